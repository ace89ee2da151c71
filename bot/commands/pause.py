"""`/pulse pause 2w`: no pulses for this person for a while."""

from __future__ import annotations

from bot import preferences
from bot.blocks.reply import message
from bot.commands.registry import Audience, Call, Command, Help, Replies
from settings.i18n import N_
from storage.db import session_scope


def handle(call: Call) -> Replies:
    with session_scope(call.ctx.engine) as session:
        text = preferences.pause(
            session,
            slack_team_id=call.slack_team_id,
            user_id=call.user_id,
            text=" ".join(call.args),
            today=call.ctx.clock().date(),
        )
    return [message(text)]


COMMAND = Command(
    names=("pause",),
    who=Audience.EMPLOYEE,
    help=(
        Help(
            N_("`/pulse pause 2w` — no pulses for a while (days `d` or weeks `w`, up to 12 weeks)")
        ),
    ),
    handle=handle,
    takes_args=True,
)
