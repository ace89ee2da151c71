"""`/pulse resume`: end a pause early."""

from __future__ import annotations

from bot import preferences
from bot.blocks.reply import message
from bot.commands.registry import Audience, Call, Command, Help, Replies
from settings.i18n import N_
from storage.db import session_scope


def handle(call: Call) -> Replies:
    with session_scope(call.ctx.engine) as session:
        text = preferences.resume(session, slack_team_id=call.slack_team_id, user_id=call.user_id)
    return [message(text)]


COMMAND = Command(
    names=("resume",),
    who=Audience.EMPLOYEE,
    help=(Help(N_("`/pulse resume` — end a pause early")),),
    handle=handle,
)
