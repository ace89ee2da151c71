"""`/pulse optout` and `/pulse optin`: stop or restart pulses for this person."""

from __future__ import annotations

from bot import preferences
from bot.blocks.reply import message
from bot.commands.registry import Audience, Call, Command, Help, Replies
from settings.i18n import N_
from storage.db import session_scope


def handle(call: Call) -> Replies:
    with session_scope(call.ctx.engine) as session:
        text = preferences.set_opt_out(
            session,
            slack_team_id=call.slack_team_id,
            user_id=call.user_id,
            out=call.name == "optout",
        )
    return [message(text)]


COMMAND = Command(
    names=("optout", "optin"),
    who=Audience.EMPLOYEE,
    help=(Help(N_("`/pulse optout` / `/pulse optin` — stop or restart pulses")),),
    handle=handle,
)
