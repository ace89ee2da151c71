"""`/pulse` slash command: ack, look up and run the subcommand (bot.commands), reply
ephemerally via the response URL."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond

from bot import ids
from bot.commands import dispatch
from bot.context import Context


def register(app: App, ctx: Context) -> None:
    @app.command(ids.COMMAND)
    def pulse_command(ack: Ack, command: dict[str, Any], respond: Respond) -> None:
        ack()
        replies = dispatch(
            ctx,
            slack_team_id=command["team_id"],
            user_id=command["user_id"],
            text=command.get("text") or "",
        )
        for reply in replies:  # a response URL takes up to 5 replies
            respond(**reply)
