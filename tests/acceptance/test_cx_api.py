"""`POST /api/cx-metrics` over real HTTP, as another system pushing weekly CX figures would."""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request
from typing import Any

import pytest
from sqlmodel import select

from storage.db import session_scope
from storage.models import CxMetric
from tests.acceptance.conftest import Stack

OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def push(
    stack: Stack, body: Any, *, token: str | None = None, method: str = "POST"
) -> tuple[int, dict[str, Any], dict[str, str]]:
    """Send ``body`` (JSON-encoded unless bytes); returns status, reply and headers."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(stack.app_url + "/api/cx-metrics", data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if token is None:
        token = stack.env["PULSE_CX_TOKEN"]
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with OPENER.open(request, timeout=10) as reply:
            return reply.status, json.loads(reply.read()), dict(reply.headers)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read()), dict(error.headers)


def stored(stack: Stack, week: str) -> list[tuple[str, float, float, str, int | None]]:
    with session_scope(stack.engine) as s:
        rows = s.exec(select(CxMetric).order_by(CxMetric.metric)).all()
        return [
            (m.metric, m.value, m.raw_value, m.scale, m.sample_size)
            for m in rows
            if m.period_start.isoformat() == week
        ]


def metrics(week: str) -> dict[str, Any]:
    return {
        "metrics": [
            {
                "team": "support",
                "metric": "csat",
                "period_start": week,
                "value": 87.5,
                "sample_size": 120,
                "scale": "0-100",
            },
            {"team": "success", "metric": "nps", "period_start": week, "value": -20},
        ]
    }


def test_a_push_is_stored_normalised_and_a_repeat_changes_nothing(stack: Stack) -> None:
    assert stack.pulse("teams", "sync").returncode == 0
    status, reply, _ = push(stack, metrics("2026-11-16"))
    assert (status, reply) == (200, {"ok": True, "imported": 2, "changed": 2})
    rows = stored(stack, "2026-11-16")
    assert rows == [("csat", 87.5, 87.5, "0-100", 120), ("nps", 40.0, -20.0, "-100-100", None)]
    status, reply, _ = push(stack, metrics("2026-11-16"))
    assert (status, reply) == (200, {"ok": True, "imported": 2, "changed": 0})
    assert stored(stack, "2026-11-16") == rows


@pytest.mark.databases("sqlite")  # HTTP and the ack: storage is the other tests'
def test_without_the_right_token_nothing_is_read(stack: Stack) -> None:
    for token in ("", "wrong-token"):
        status, reply, headers = push(stack, metrics("2026-11-09"), token=token)
        assert status == 401 and reply["ok"] is False
        assert "bearer token" in reply["error"] and headers["WWW-Authenticate"].startswith("Bearer")
    assert stored(stack, "2026-11-09") == []


def test_a_bad_payload_names_the_field_and_writes_nothing(stack: Stack) -> None:
    assert stack.pulse("teams", "sync").returncode == 0
    body = metrics("2026-11-02")
    body["metrics"][1]["value"] = "abc"
    status, reply, _ = push(stack, body)
    assert status == 400
    assert reply["error"] == "metrics[1].value: 'abc' is not a number; nothing was imported"
    body["metrics"][1] |= {"value": -20, "period_start": "2026-11-03", "comment": "x"}
    status, reply, _ = push(stack, body)
    assert status == 400 and reply["problems"] == [
        "metrics[1]: unknown field 'comment' (team, metric, period_start, value, sample_size, "
        "scale, period)",
        "metrics[1].period_start: 2026-11-03 is a Tuesday: period_start must be the Monday a "
        "week starts on (the week containing 2026-11-03 starts on 2026-11-02)",
    ]
    assert push(stack, b"{not json")[:2][0] == 400
    assert push(stack, {"rows": []})[1]["error"] == 'body must be a JSON object {"metrics": [...]}'
    assert stored(stack, "2026-11-02") == []


@pytest.mark.databases("sqlite")  # HTTP and the ack: storage is the other tests'
def test_size_and_method_limits(stack: Stack) -> None:
    connection = http.client.HTTPConnection(stack.app_url.removeprefix("http://"), timeout=10)
    connection.putrequest("POST", "/api/cx-metrics")
    connection.putheader("Authorization", f"Bearer {stack.env['PULSE_CX_TOKEN']}")
    connection.putheader("Content-Length", "2000000")  # refused before a byte is read
    connection.endheaders()
    refused = connection.getresponse()
    assert refused.status == 413 and b"over 1,000,000 bytes" in refused.read()
    connection.close()
    status, reply, _ = push(stack, b"", method="GET")
    assert (status, reply) == (405, {"ok": False, "error": "use POST"})
