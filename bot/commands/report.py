"""`/pulse report [team] [weeks]`: a team's, a department's or (HR) the organisation's report."""

from __future__ import annotations

from bot.commands.registry import Audience, Call, Command, Help, Replies
from bot.reporting import report_command
from settings.i18n import N_, current_language
from storage.db import read_scope


def handle(call: Call) -> Replies:
    ctx = call.ctx
    with read_scope(ctx.engine) as session:
        return report_command(
            session,
            config=ctx.settings.config,
            slack_team_id=call.slack_team_id,
            user_id=call.user_id,
            args=call.args,
            now=ctx.clock(),
            secret=ctx.settings.segment_secret(),
            driver_labels={
                k: d.label_in(current_language()) for k, d in ctx.settings.bank.drivers.items()
            },
        )


COMMAND = Command(
    names=("report",),
    who=Audience.MANAGER,
    help=(
        Help(
            N_(
                "`/pulse report [team] [weeks]` — a team's engagement, trend, drivers, red flags, "
                "comments and link to customer metrics over the last 1–52 weeks (default 12); "
                "managers and HR. A team is its key, its name or their first letters (`support`, "
                "`Customer Support`, `sup`); name none to pick from your teams"
            )
        ),
        Help(
            N_(
                "`/pulse report all [weeks]` — the whole organisation: its figures, then every "
                "team, those with a red flag first"
            ),
            who=Audience.HR,
        ),
    ),
    handle=handle,
    takes_args=True,
)
