"""`/pulse` slash command: parse, ack, delegate, reply ephemerally via the response URL."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond

from bot import ids
from bot.blocks import report
from bot.context import Context
from bot.reporting import team_report
from storage.db import session_scope


def register(app: App, ctx: Context) -> None:
    @app.command(ids.COMMAND)
    def pulse_command(ack: Ack, command: dict[str, Any], respond: Respond) -> None:
        ack()
        words = (command.get("text") or "").split()
        sub, args = (words[0].lower(), words[1:]) if words else ("help", [])
        if sub == "report" and len(args) <= 1:
            with session_scope(ctx.engine) as session:
                reply = team_report(
                    session,
                    config=ctx.settings.config,
                    slack_team_id=command["team_id"],
                    user_id=command["user_id"],
                    team_key=args[0].lower() if args else None,
                    now=ctx.clock(),
                )
        elif sub == "help":
            reply = report.message(report.USAGE)
        else:
            reply = report.message(f"I don't know `{' '.join(words)[:80]}`.\n\n{report.USAGE}")
        respond(**reply)
