"""`/pulse admin …`: HR admins send or close a pulse, see schedules, manage questions.

The subcommands and their own help (`/pulse admin help`) are in bot.admin."""

from __future__ import annotations

from bot.admin import admin_command
from bot.commands.registry import Audience, Call, Command, Help, Replies
from settings.i18n import N_
from storage.db import session_scope


def handle(call: Call) -> Replies:
    ctx = call.ctx
    with session_scope(ctx.engine) as session:
        return [
            admin_command(
                session,
                config=ctx.settings.config,
                bank=ctx.settings.bank,
                slack_team_id=call.slack_team_id,
                user_id=call.user_id,
                args=call.args,
                now=ctx.clock(),
                secret=ctx.settings.secret(),
            )
        ]


COMMAND = Command(
    names=("admin",),
    who=Audience.HR,
    help=(
        Help(
            N_(
                "HR admins: `/pulse admin send TEAM`, `close TEAM`, `schedules`, `questions`, "
                "`retire KEY`, `restore KEY` (`/pulse admin help`)"
            )
        ),
    ),
    handle=handle,
    takes_args=True,
)
