"""build_app(): the Bolt app with its listeners and its one error handler."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltResponse, Respond
from slack_sdk import WebClient

from bot.acking import AckFirstExecutor, TurnTakingApp
from bot.context import Context
from bot.listeners import register
from bot.reader import locale_middleware
from settings.i18n import tr

log = logging.getLogger("pulse.app")
LISTENER_THREADS = 16  # DB connections listeners may hold at once (sizes the web pool)
ACK_THREADS = 64  # listeners started at once: each acks first, then waits for its turn
WORK_TURNS = 2  # listeners working at once after their ack: the GIL runs one (bot/acking.py)


def build_app(
    ctx: Context,
    client: WebClient,
    *,
    socket_mode: bool = False,
    process_before_response: bool = False,
) -> App:
    """The Bolt app. Socket Mode traffic is authenticated by the app token, so only HTTP
    verifies signatures; `process_before_response` finishes listeners before replying
    (for FaaS hosts and tests), otherwise the 3-second ack goes out first."""
    settings = ctx.settings
    bolt_log = logging.getLogger("pulse.bolt")
    # Bolt logs raw request bodies (answers, comments) on some paths, such as a bad
    # signature; keep its own logging to errors. Our listeners log ids and outcomes.
    bolt_log.setLevel(logging.ERROR)
    app = TurnTakingApp(
        executor=AckFirstExecutor(
            max_workers=ACK_THREADS, turns=WORK_TURNS, thread_name_prefix="listener"
        ),
        logger=bolt_log,
        client=client,
        signing_secret=settings.slack_signing_secret or "",
        token_verification_enabled=False,
        request_verification_enabled=not socket_mode,
        process_before_response=process_before_response,
        raise_error_for_unhandled_request=False,
    )
    app.middleware(locale_middleware(ctx.engine))
    register(app, ctx)

    @app.error
    def on_error(error: Exception, body: dict[str, Any], respond: Respond) -> BoltResponse:
        kind = body.get("type") or ("command" if "command" in body else "unknown")
        log.error("listener failed (payload %s): %r", kind, error, exc_info=error)
        if body.get("response_url"):
            respond(
                # Not "nothing was changed": the failure may come after a write (an answer
                # is stored before its DM is re-rendered), and trying again is always safe.
                text=tr(
                    "Sorry, something went wrong on our side, so this may not have worked. "
                    "Please try again in a minute."
                ),
                response_type="ephemeral",
                replace_original=False,
            )
        return BoltResponse(status=500, body="")

    return app
