"""Socket Mode: the same Bolt app over Slack's WebSocket, for hosts without a public URL.

The app opens the connection (`apps.connections.open` with the app-level token), so a
token Slack refuses stops the start at once with a one-line reason (`AppTokenRefused`);
after that slack_sdk's built-in client reconnects by itself (dropped socket, `disconnect`).
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
from urllib.error import URLError

from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk.errors import SlackApiError

from bot.app import ACK_THREADS, build_app
from bot.context import Context
from settings.runtime import Settings
from settings.slack import make_client
from storage.db import make_engine

log = logging.getLogger("pulse.socket_mode")

# The built-in client notices a dead socket when its pings fail (five in a row) or go
# unanswered (four intervals): a short interval is a short outage. Bolt's default is 10 s.
PING_SECONDS = 2.0

_WHY = {
    "invalid_auth": "it is not a valid app-level token",
    "not_authed": "it is empty",
    "not_allowed_token_type": "it is not an app-level token (xapp-…): is it the bot token?",
    "missing_scope": "the app-level token lacks the connections:write scope",
}


class AppTokenRefused(Exception):
    """Slack would not open a Socket Mode connection; the message says why in one line."""


def run_socket_mode(settings: Settings) -> int:
    """Connect, then serve until SIGTERM or Ctrl-C; work already acknowledged is finished."""
    ctx = Context(settings=settings, engine=make_engine(settings.database_url))
    client = make_client(settings)
    app = build_app(ctx, client, socket_mode=True)
    handler = SocketModeHandler(
        app,
        settings.slack_app_token,
        logger=logging.getLogger("pulse.socket_mode.client"),
        web_client=client,
        ping_interval=PING_SECONDS,
        concurrency=ACK_THREADS,  # envelopes dispatched at once, as the HTTP server's threads
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    connect(handler)
    log.info("connected to Slack over Socket Mode")
    with contextlib.suppress(KeyboardInterrupt):
        stop.wait()
    # Stop taking envelopes, then let the listeners finish what they acked: Slack will not
    # send an acknowledged envelope again. The listener pool's threads are joined at exit.
    handler.close()
    log.info("Socket Mode connection closed; finishing acknowledged work")
    return 0


def connect(handler: SocketModeHandler) -> None:
    """Open the first connection; raises AppTokenRefused with Slack's reason (and the client
    does not log it too: the reason is the one line the operator reads)."""
    quiet = handler.client.logger
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)
    try:
        handler.connect()
    except SlackApiError as error:
        code = str(error.response.get("error") or "unknown_error")
        why = _WHY.get(code, "see Slack's error code")
        raise AppTokenRefused(f"Slack refused SLACK_APP_TOKEN ({code}): {why}") from None
    except (URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise AppTokenRefused(f"cannot open a Socket Mode connection: {reason}") from None
    finally:
        quiet.setLevel(level)
