"""Socket Mode: the same Bolt app over Slack's WebSocket, for hosts without a public URL."""

from __future__ import annotations

from slack_bolt.adapter.socket_mode import SocketModeHandler

from bot.app import build_app
from bot.context import Context
from settings.runtime import Settings
from settings.slack import make_client
from storage.db import make_engine


def run_socket_mode(settings: Settings) -> int:
    ctx = Context(settings=settings, engine=make_engine(settings.database_url))
    app = build_app(ctx, make_client(settings), socket_mode=True)
    SocketModeHandler(app, settings.slack_app_token).start()
    return 0
