"""build_app(): the Bolt app with its listeners and its one error handler."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltResponse, Respond
from slack_sdk import WebClient

from bot.context import Context
from bot.listeners import register
from bot.logs import ContextExecutor

log = logging.getLogger("pulse.app")
LISTENER_THREADS = 16  # listeners run after the ack; each may hold one DB connection


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
    app = App(
        logger=bolt_log,
        client=client,
        signing_secret=settings.slack_signing_secret or "",
        token_verification_enabled=False,
        request_verification_enabled=not socket_mode,
        process_before_response=process_before_response,
        raise_error_for_unhandled_request=False,
        listener_executor=ContextExecutor(
            max_workers=LISTENER_THREADS, thread_name_prefix="listener"
        ),
    )
    register(app, ctx)

    @app.error
    def on_error(error: Exception, body: dict[str, Any], respond: Respond) -> BoltResponse:
        kind = body.get("type") or ("command" if "command" in body else "unknown")
        log.error("listener failed (payload %s): %r", kind, error, exc_info=error)
        if body.get("response_url"):
            respond(
                text="Sorry, something went wrong on our side and nothing was changed. "
                "Please try again in a minute.",
                response_type="ephemeral",
                replace_original=False,
            )
        return BoltResponse(status=500, body="")

    return app
