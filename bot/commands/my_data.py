"""`/pulse my-data`: what Oxygen Pulse stores about this person, to download or delete."""

from __future__ import annotations

from bot import mydata
from bot.blocks.mydata import my_data
from bot.blocks.reply import message
from bot.commands.registry import Audience, Call, Command, Help, Replies
from settings.i18n import N_, tr
from storage.db import session_scope

NOTHING = N_("Oxygen Pulse stores nothing about you.")


def handle(call: Call) -> Replies:
    with session_scope(call.ctx.engine) as session:
        record = mydata.collect(
            session,
            secret=call.ctx.settings.secret(),
            slack_team_id=call.slack_team_id,
            user_id=call.user_id,
        )
        return [message(tr(NOTHING)) if record is None else my_data(record)]


COMMAND = Command(
    names=("my-data", "mydata"),
    who=Audience.EMPLOYEE,
    help=(Help(N_("`/pulse my-data` — see, download or delete what is stored about you")),),
    handle=handle,
)
