"""The web process: a small WSGI router in front of Bolt, served by gunicorn.

Routes: POST /slack/events (Bolt: events, commands, interactivity), GET /healthz,
POST /api/cx-metrics (bot.cx_api). A request body must be complete within PULSE_BODY_TIMEOUT
seconds (default 10; bot.request_body) or the connection is cut with 408, so a client that
stalls mid-body cannot hold one of gunicorn's threads. Bad input gets a 4xx, never a 500.
"""

from __future__ import annotations

import io
import json
import logging
import time
import uuid
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot import cx_api, request_body
from bot.app import build_app
from bot.context import Context
from bot.request_body import BodyError
from settings.logs import configure_from_env, request_id
from settings.runtime import SettingsError
from settings.slack import make_client
from storage.db import ping

log = logging.getLogger("pulse.server")
MAX_BODY = 1_000_000  # Slack's largest payloads are well under this

StartResponse = Callable[..., Any]


class PulseWSGI:
    def __init__(self, ctx: Context, *, body_timeout: float = request_body.DEFAULT_TIMEOUT) -> None:
        self.ctx = ctx
        self.body_timeout = body_timeout
        self.bolt = SlackRequestHandler(build_app(ctx, make_client(ctx.settings)))

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """Tag the request with an id for every log line it causes, then route it."""
        rid = environ.get("HTTP_X_REQUEST_ID") or uuid.uuid4().hex[:16]
        token = request_id.set(rid[:64])
        started = time.perf_counter()
        status: list[str] = []

        def recording_start(code: str, headers: list[tuple[str, str]], *exc: Any) -> Any:
            status.append(code)
            return start_response(code, [*headers, ("X-Request-Id", rid[:64])], *exc)

        try:
            return self.route(environ, recording_start)
        finally:
            log.info(
                "request",
                extra={
                    "method": environ.get("REQUEST_METHOD"),
                    "path": environ.get("PATH_INFO"),
                    "status": int(status[0].split()[0]) if status else 500,
                    "ms": round((time.perf_counter() - started) * 1000, 1),
                    "retry": environ.get("HTTP_X_SLACK_RETRY_NUM"),
                },
            )
            request_id.reset(token)

    def route(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "")
        if path == "/slack/events":
            if method != "POST":
                return _json(start_response, 405, {"ok": False, "error": "use POST"})
            length = environ.get("CONTENT_LENGTH") or "0"
            if not length.isdigit() or int(length) > MAX_BODY:
                return _json(start_response, 413, {"ok": False, "error": "request too large"})
            try:
                body = request_body.read(
                    {**environ, "CONTENT_LENGTH": length}, limit=MAX_BODY, timeout=self.body_timeout
                )
            except BodyError as exc:
                return _json(start_response, exc.status, {"ok": False, "error": exc.error})
            environ = {**environ, "wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body))}
            try:
                return self.bolt(environ, start_response)
            except (ValueError, RecursionError):  # Bolt parses the body (JSON, UTF-8) before
                # it checks the signature: a malformed or absurdly nested body from anyone is
                # refused here, not a 500 trace
                return _json(start_response, 400, {"ok": False, "error": "malformed request"})
        if path == "/api/cx-metrics":
            return cx_api.handle(self.ctx, environ, start_response, body_timeout=self.body_timeout)
        if path == "/healthz" and method in ("GET", "HEAD"):
            return self.healthz(start_response)
        return _json(start_response, 404, {"ok": False, "error": "not found"})

    def healthz(self, start_response: StartResponse) -> Iterable[bytes]:
        try:
            ping(self.ctx.engine)
        except Exception as exc:  # the probe's whole job is to report any failure
            log.warning("healthz: database unreachable: %s", type(exc).__name__)
            return _json(start_response, 503, {"ok": False, "database": "unreachable"})
        return _json(start_response, 200, {"ok": True, "database": "ok"})


def _json(start_response: StartResponse, status: int, body: dict[str, Any]) -> Iterable[bytes]:
    data = json.dumps(body).encode()
    start_response(
        f"{status} {HTTPStatus(status).phrase}",
        [("Content-Type", "application/json"), ("Content-Length", str(len(data)))],
    )
    return [data]


def serve(
    make_ctx: Callable[[], Context], *, host: str, port: int, workers: int, threads: int
) -> None:
    """Run gunicorn (gthread workers); each worker builds its own engine and Bolt app."""
    from gunicorn.app.base import BaseApplication

    try:
        body_timeout = request_body.timeout_from_env()
    except ValueError as exc:
        raise SettingsError(str(exc)) from None

    class _Gunicorn(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            options = {
                "bind": f"{host}:{port}",
                "workers": workers,
                "threads": threads,
                "worker_class": "gthread",
                "timeout": 30,
                "graceful_timeout": 25,
                "keepalive": 5,
                "accesslog": None,
                "errorlog": "-",
                "loglevel": "warning",
            }
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> PulseWSGI:
            configure_from_env()  # gunicorn set up its own handlers; ours are JSON lines
            return PulseWSGI(make_ctx(), body_timeout=body_timeout)

    _Gunicorn().run()
