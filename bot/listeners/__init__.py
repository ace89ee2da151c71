"""Thin Slack listeners: ack first, pull ids from the payload, call one domain function."""

from __future__ import annotations

from slack_bolt import App

from bot.context import Context
from bot.listeners import (
    actions,
    cocreate,
    commands,
    commitments,
    conversations,
    events,
    mydata,
    views,
)


def register(app: App, ctx: Context) -> None:
    commands.register(app, ctx)
    actions.register(app, ctx)
    events.register(app, ctx)
    views.register(app, ctx)
    mydata.register(app, ctx)
    commitments.register(app, ctx)
    cocreate.register(app, ctx)
    conversations.register(app, ctx)
