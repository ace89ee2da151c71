"""The web process as `pulse serve` and `python -m bot` start it: HTTP (gunicorn) or Socket Mode.

Refuses to start, with a one-line reason, on missing Slack settings, a missing PULSE_SECRET
or a database whose schema is not up to date (StartError or SettingsError).
"""

from __future__ import annotations

import os

from bot.app import LISTENER_THREADS
from bot.context import Context
from bot.server import serve
from settings.runtime import Settings
from storage.db import make_engine
from storage.schema import is_current

NOT_MIGRATED = "the database schema is not up to date: run `pulse db upgrade`"


class StartError(Exception):
    """The web process cannot start; the message says why in one line."""


def run(*, host: str) -> int:
    settings = Settings.from_env()
    settings.require_slack(http=not settings.slack_app_token)
    settings.secret()
    engine = make_engine(settings.database_url)
    try:
        if not is_current(engine):
            raise StartError(NOT_MIGRATED)
    finally:
        engine.dispose()
    if settings.slack_app_token:
        from bot.socket_mode import AppTokenRefused, run_socket_mode

        try:
            return run_socket_mode(settings)
        except AppTokenRefused as exc:
            raise StartError(str(exc)) from None
    sqlite = settings.database_url.startswith("sqlite")
    workers = int(os.environ.get("WEB_CONCURRENCY") or (1 if sqlite else 2))
    # Every listener thread may hold a connection; two spare for /healthz and the CX API.
    pool = LISTENER_THREADS + 2
    serve(
        lambda: Context(
            settings=settings, engine=make_engine(settings.database_url, pool_size=pool)
        ),
        host=host,
        port=settings.port,
        workers=workers,
        threads=int(os.environ.get("WEB_THREADS") or 8),
    )
    return 0
