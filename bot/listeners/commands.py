"""`/pulse` slash command: parse, ack, delegate, reply ephemerally via the response URL."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond

from bot import ids, mydata, preferences
from bot.admin import admin_command
from bot.blocks import report
from bot.blocks.mydata import my_data
from bot.context import Context
from bot.report_args import quoted
from bot.reporting import report_command
from storage.db import read_scope, session_scope


def register(app: App, ctx: Context) -> None:
    @app.command(ids.COMMAND)
    def pulse_command(ack: Ack, command: dict[str, Any], respond: Respond) -> None:
        ack()
        words = (command.get("text") or "").split()
        sub, args = (words[0].lower(), words[1:]) if words else ("help", [])
        team_id, user_id = command["team_id"], command["user_id"]
        if sub == "report":
            with read_scope(ctx.engine) as session:
                replies = report_command(
                    session,
                    config=ctx.settings.config,
                    slack_team_id=team_id,
                    user_id=user_id,
                    args=args,
                    now=ctx.clock(),
                    driver_labels={k: d.label for k, d in ctx.settings.bank.drivers.items()},
                )
            for reply in replies:  # a response URL takes up to 5 replies
                respond(**reply)
            return
        with session_scope(ctx.engine) as session:
            if sub == "pause":
                text = preferences.pause(
                    session,
                    slack_team_id=team_id,
                    user_id=user_id,
                    text=" ".join(args),
                    today=ctx.clock().date(),
                )
                reply = report.message(text)
            elif sub == "resume" and not args:
                reply = report.message(
                    preferences.resume(session, slack_team_id=team_id, user_id=user_id)
                )
            elif sub in ("optout", "optin") and not args:
                text = preferences.set_opt_out(
                    session, slack_team_id=team_id, user_id=user_id, out=sub == "optout"
                )
                reply = report.message(text)
            elif sub in ("my-data", "mydata") and not args:
                record = mydata.collect(
                    session, secret=ctx.settings.secret(), slack_team_id=team_id, user_id=user_id
                )
                reply = (
                    report.message("Oxygen Pulse stores nothing about you.")
                    if record is None
                    else my_data(record)
                )
            elif sub == "admin":
                reply = admin_command(
                    session,
                    config=ctx.settings.config,
                    bank=ctx.settings.bank,
                    slack_team_id=team_id,
                    user_id=user_id,
                    args=args,
                    now=ctx.clock(),
                    secret=ctx.settings.secret(),
                )
            elif sub == "help" and not args:
                reply = report.message(report.USAGE)
            else:
                shown = quoted(" ".join(words))
                reply = report.message(f"I don't know {shown}.\n\n{report.USAGE}")
        respond(**reply)
