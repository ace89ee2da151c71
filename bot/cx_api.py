"""`POST /api/cx-metrics`: CX metrics pushed as JSON by another system, bearer-token protected.

Body: ``{"metrics": [{"team": "support", "metric": "csat", "period_start": "2026-11-16",
"value": 87.5, "sample_size": 120, "scale": "0-100"}]}`` (``sample_size`` and ``scale``
optional). Validation is the CSV import's (cx.validate); the whole body is stored in one
transaction or refused with 400 naming the field, e.g. ``metrics[3].value: 'abc' is not a
number``. The body must be strict JSON (bot.request_body.strict_json: UTF-8, no NaN or
Infinity, no duplicate keys, no lone surrogates, at most 16 levels deep) and arrive within
PULSE_BODY_TIMEOUT. Replies: 200 ``{"ok": true, "imported": N, "changed": M}``, 400, 401, 405,
408 (body too slow), 409 (nothing synced yet), 411 (no Content-Length), 413 (over 1 MB), 503
(PULSE_CX_TOKEN unset). Every refusal writes nothing.

Rows may carry ``"period": "monthly"`` (or weekly, quarterly; default the metric's in
config.toml). Raw responses go as ``{"source": "helpdesk", "responses": [{"Ticket ID": "4021",
"Group": "Support - Tier 1", "Satisfaction": "good", "Rated at": "2026-11-16T09:12:33Z"}]}``:
objects keyed by that ``[[cx.sources]]`` source's column names, read and counted exactly as
``pulse cx import --responses`` reads a file (each response once, by id or row hash); problems
name ``responses[3].Satisfaction``. Reply: ``{"ok": true, "counted": N, "repeated": M,
"not_rated": K, "unmapped": [...], "periods": [{"team", "metric", "period_start", "cadence",
"value", "sample_size"}]}``.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

from bot import request_body
from bot.context import Context
from bot.request_body import BodyError, strict_json
from cx.importer import store
from cx.response_import import ResponsesImported, source_of, store_responses
from cx.responses import Reading, read_records
from cx.validate import CxDataError, CxImportError
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


def _body(environ: dict[str, Any], timeout: float) -> dict[str, Any]:
    try:
        body = strict_json(request_body.read(environ, limit=MAX_BODY, timeout=timeout))
    except BodyError as exc:
        if exc.status == 413:
            raise _Refused(413, f"{exc.error}: send fewer metrics at a time") from None
        raise _Refused(exc.status, exc.error) from None
    if isinstance(body, dict) and "responses" in body:
        keys, shape = {"source", "responses"}, '{"source": "...", "responses": [...]}'
    else:
        keys, shape = {"metrics"}, '{"metrics": [...]}'
    if not isinstance(body, dict) or not isinstance(body.get(max(keys, key=len)), list):
        raise _Refused(400, f"body must be a JSON object {shape}")
    if set(body) - keys:
        unknown = ", ".join(ascii(k) for k in sorted(set(body) - keys))
        accepted = "only 'metrics' is" if len(keys) == 1 else "only 'source' and 'responses' are"
        raise _Refused(400, f"unknown top-level field(s) {unknown}: {accepted} accepted")
    if "responses" in body and not isinstance(body.get("source"), str):
        raise _Refused(400, "'source' must name a [[cx.sources]] entry of config.toml")
    return body


def _responses(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    config = ctx.settings.config
    source = source_of(config, body["source"])
    reading = Reading("responses")
    responses = read_records(body["responses"], source=source, cx=config.cx, reading=reading)
    with session_scope(ctx.engine) as session:
        result = store_responses(
            session, chunks=[responses], reading=reading, source=source, config=config
        )
    log.info(
        "cx-metrics: %d responses from %s, %d counted", result.rows, source.name, result.counted
    )
    return {"ok": True, **_counts(result)}


def _counts(result: ResponsesImported) -> dict[str, Any]:
    periods = [
        {
            "team": a.team,
            "metric": a.metric,
            "period_start": a.period_start.isoformat(),
            "cadence": a.cadence,
            "value": round(a.raw_value, 4),
            "sample_size": a.sample_size,
        }
        for a in result.aggregates
    ]
    return {
        "counted": result.counted,
        "repeated": result.repeated,
        "not_rated": result.not_rated,
        "unmapped": result.unmapped,
        "periods": periods,
    }


def handle(
    ctx: Context,
    environ: dict[str, Any],
    start_response: StartResponse,
    *,
    body_timeout: float = request_body.DEFAULT_TIMEOUT,
) -> Iterable[bytes]:
    """The WSGI handler bot.server routes POST /api/cx-metrics to."""
    try:
        if environ.get("REQUEST_METHOD") != "POST":
            raise _Refused(405, "use POST")
        _authorise(ctx, environ)
        body = _body(environ, body_timeout)
        if "responses" in body:
            return _reply(start_response, 200, _responses(ctx, body))
        metrics = body["metrics"]
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
        problems = [_clip(p) for p in exc.problems[:50]]
        body = {"ok": False, "error": _clip(str(exc)), "problems": problems}
        return _reply(start_response, 400, body)
    except CxImportError as exc:
        return _reply(start_response, 409, {"ok": False, "error": str(exc)})
    log.info("cx-metrics: %d rows, %d changed", result.rows, result.changed)
    return _reply(
        start_response, 200, {"ok": True, "imported": result.rows, "changed": result.changed}
    )


def _clip(text: str, limit: int = 300) -> str:
    """A problem quotes the value sent: a megabyte string is not echoed back whole."""
    half = limit // 2
    return text if len(text) <= limit else f"{text[:half]}…{text[-half:]}"


def _reply(start_response: StartResponse, status: int, body: dict[str, Any]) -> Iterable[bytes]:
    data = json.dumps(body, ensure_ascii=False).encode()
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
    if status == 401:
        headers.append(("WWW-Authenticate", 'Bearer realm="pulse"'))
    start_response(f"{status} {HTTPStatus(status).phrase}", headers)
    return [data]
