"""`POST /api/cx-metrics`: CX metrics pushed as JSON by another system, bearer-token protected.

Body: ``{"metrics": [{"team": "support", "metric": "csat", "period_start": "2026-11-16",
"value": 87.5, "sample_size": 120, "scale": "0-100"}]}`` (``sample_size`` and ``scale``
optional). Validation is the CSV import's (bot.cx_validate); the whole body is stored in one
transaction or refused with 400 naming the field, e.g. ``metrics[3].value: 'abc' is not a
number``. Replies: 200 ``{"ok": true, "imported": N, "changed": M}``, 400, 401, 405, 409
(nothing synced yet), 411 (no Content-Length), 413 (over 1 MB), 503 (PULSE_CX_TOKEN unset).
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

from bot.context import Context
from bot.cx_import import store
from bot.cx_validate import CxDataError, CxImportError
from storage.db import session_scope

log = logging.getLogger("pulse.cx_api")
MAX_BODY = 1_000_000
StartResponse = Callable[..., Any]


class _Refused(Exception):
    def __init__(self, status: int, error: str) -> None:
        super().__init__(error)
        self.status, self.error = status, error


def _authorise(ctx: Context, environ: dict[str, Any]) -> None:
    expected = ctx.settings.cx_api_token
    if not expected:
        raise _Refused(503, "the CX metrics API is off: set PULSE_CX_TOKEN on the server")
    scheme, _, token = environ.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.encode(), expected.encode()):
        raise _Refused(401, "missing or wrong bearer token (Authorization: Bearer <token>)")


def _metrics(environ: dict[str, Any]) -> list[Any]:
    length = environ.get("CONTENT_LENGTH") or ""
    if not length.isdigit():
        raise _Refused(411, "send a Content-Length header")
    if int(length) > MAX_BODY:
        raise _Refused(413, f"request body over {MAX_BODY:,} bytes: send fewer metrics at a time")
    try:
        body = json.loads(environ["wsgi.input"].read(int(length)), parse_constant=_no_constant)
    except (ValueError, UnicodeDecodeError) as exc:
        raise _Refused(400, f"body is not JSON: {exc}") from None
    if not isinstance(body, dict) or not isinstance(body.get("metrics"), list):
        raise _Refused(400, 'body must be a JSON object {"metrics": [...]}')
    if set(body) != {"metrics"}:
        unknown = ", ".join(sorted(set(body) - {"metrics"}))
        raise _Refused(400, f"unknown top-level field(s) {unknown}: only 'metrics' is accepted")
    return body["metrics"]


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a number JSON allows")


def handle(ctx: Context, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    """The WSGI handler bot.server routes POST /api/cx-metrics to."""
    try:
        if environ.get("REQUEST_METHOD") != "POST":
            raise _Refused(405, "use POST")
        _authorise(ctx, environ)
        metrics = _metrics(environ)
        with session_scope(ctx.engine) as session:
            result = store(
                session,
                records=metrics,
                config=ctx.settings.config,
                locate=lambda i, field: f"metrics[{i}]" + (f".{field}" if field else ""),
            )
    except _Refused as refused:
        return _reply(start_response, refused.status, {"ok": False, "error": refused.error})
    except CxDataError as exc:
        body = {"ok": False, "error": str(exc), "problems": exc.problems[:50]}
        return _reply(start_response, 400, body)
    except CxImportError as exc:
        return _reply(start_response, 409, {"ok": False, "error": str(exc)})
    log.info("cx-metrics: %d rows, %d changed", result.rows, result.changed)
    return _reply(
        start_response, 200, {"ok": True, "imported": result.rows, "changed": result.changed}
    )


def _reply(start_response: StartResponse, status: int, body: dict[str, Any]) -> Iterable[bytes]:
    data = json.dumps(body, ensure_ascii=False).encode()
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
    if status == 401:
        headers.append(("WWW-Authenticate", 'Bearer realm="pulse"'))
    start_response(f"{status} {HTTPStatus(status).phrase}", headers)
    return [data]
