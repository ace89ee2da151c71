"""Events API listeners."""

from __future__ import annotations

from slack_bolt import App

from bot.context import Context


def register(app: App, ctx: Context) -> None:
    @app.event("message")
    def ignore_messages() -> None:
        """DMs to the bot carry no commands; acknowledging keeps Slack from retrying."""
