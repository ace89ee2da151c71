"""Hostile requests over real HTTP against the served app (gunicorn, gthread): pathological JSON
gets 400 with a reason and writes nothing; a body that stalls is cut off at PULSE_BODY_TIMEOUT
while the server goes on answering everyone else."""

from __future__ import annotations

import contextlib
import json
import select as select_module
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlmodel import select

from bot.request_body import DEFAULT_TIMEOUT, timeout_from_env
from storage.db import session_scope
from storage.models import CxMetric
from tests.acceptance.conftest import Stack, serve_stack

BODY_TIMEOUT = 2.0
THREADS = 4


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The web process with a short body timeout and four threads (SQLite: no database
    behaviour is under test here)."""
    tmp = tmp_path_factory.mktemp("hostile")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PULSE_BODY_TIMEOUT", str(BODY_TIMEOUT))
        env.setenv("WEB_THREADS", str(THREADS))
        stacks = serve_stack(f"sqlite:///{tmp / 'hostile.db'}", tmp)
        stack = next(stacks)
        assert stack.pulse("teams", "sync").returncode == 0
        yield stack
        next(stacks, None)


def _request(stack: Stack, path: str, body: bytes, headers: dict[str, str]) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", int(stack.env["PORT"])), timeout=10)
    head = [f"POST {path} HTTP/1.1", "Host: pulse", *(f"{k}: {v}" for k, v in headers.items())]
    sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + body)
    return sock


def _reply(sock: socket.socket) -> tuple[int, dict[str, Any]]:
    data = b""
    while b"\r\n\r\n" not in data or len(data.partition(b"\r\n\r\n")[2]) < _length(data):
        chunk = sock.recv(65536)
        assert chunk, f"connection closed without a full reply: {data!r}"
        data += chunk
    sock.close()
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body)


def _length(data: bytes) -> int:
    for line in data.partition(b"\r\n\r\n")[0].split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.lower() == b"content-length":
            return int(value)
    return 0


def push(stack: Stack, body: bytes) -> tuple[int, dict[str, Any]]:
    token = stack.env["PULSE_CX_TOKEN"]
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/json",
        "Content-Length": str(len(body)),
    }
    return _reply(_request(stack, "/api/cx-metrics", body, headers))


def _rows(stack: Stack) -> list[tuple[Any, ...]]:
    with session_scope(stack.engine) as s:
        return [(m.metric, m.period_start, m.value) for m in s.exec(select(CxMetric))]


def _record(**fields: Any) -> str:
    row = {"team": "support", "metric": "csat", "period_start": "2026-11-16", "value": 80}
    return json.dumps({**row, **fields})


HOSTILE: dict[str, tuple[bytes, str]] = {
    "100,000 nested [": (b"[" * 100_000, "nested deeper than 16 levels"),
    "deep record": (
        b'{"metrics": [' + b'{"a": ' * 40 + b"1" + b"}" * 40 + b"]}",
        "nested deeper than 16 levels",
    ),
    "1e999999": (
        b'{"metrics": ['
        + _record(value=0).replace('"value": 0', '"value": 1e999999').encode()
        + b"]}",
        "too large for a float",
    ),
    "-1e999999": (b'{"metrics": [-1e999999]}', "too large for a float"),
    "NaN": (b'{"metrics": [' + _record(value=0).replace(" 0}", " NaN}").encode() + b"]}", "NaN"),
    "Infinity": (b'{"metrics": [Infinity]}', "Infinity"),
    "5,000 digits": (b'{"metrics": [' + b"9" * 5000 + b"]}", "not JSON"),
    "duplicate top-level key": (b'{"metrics": [], "metrics": []}', "duplicate key 'metrics'"),
    "duplicate field": (
        b'{"metrics": [' + _record()[:-1].encode() + b', "value": 10}]}',
        "duplicate key 'value'",
    ),
    "Latin-1": ('{"metrics": [{"team": "sérvice"}]}'.encode("latin-1"), "not UTF-8"),
    "UTF-16": ('{"metrics": []}'.encode("utf-16"), "not UTF-8"),
    "lone surrogate in a value": (
        b'{"metrics": [' + _record(team="support\ud800").encode() + b"]}",
        "lone UTF-16 surrogate",
    ),
    "lone surrogate in a key": (b'{"metrics": [], "\\udc00": 1}', "lone UTF-16 surrogate"),
    "top-level list": (b"[]", "body must be a JSON object"),
    "top-level string": (b'"metrics"', "body must be a JSON object"),
    "top-level null": (b"null", "body must be a JSON object"),
    "metrics not a list": (b'{"metrics": {"team": "support"}}', "body must be a JSON object"),
    "empty": (b"", "not JSON"),
    "truncated": (b'{"metrics": [{"team": "sup', "not JSON"),
}


def test_pathological_json_gets_400_with_a_reason_and_writes_nothing(served: Stack) -> None:
    before = _rows(served)
    for name, (body, reason) in HOSTILE.items():
        status, reply = push(served, body)
        assert (status, reply["ok"]) == (400, False), (name, status, reply)
        assert reason in reply["error"], (name, reply)
    assert _rows(served) == before
    # The same bodies at the Slack endpoint (Bolt parses before it checks the signature).
    for body in (b"[" * 100_000, b"payload=" + b"%5B" * 100_000):
        kind = "application/json" if body.startswith(b"[") else "application/x-www-form-urlencoded"
        headers = {"Content-Type": kind, "Content-Length": str(len(body))}
        status, reply = _reply(_request(served, "/slack/events", body, headers))
        assert status == 400 and reply == {"ok": False, "error": "malformed request"}
    log = served.web_log()
    assert "Traceback" not in log and '"status": 500' not in log
    # Control: the endpoint is live, and a well-formed push is stored.
    status, reply = push(served, b'{"metrics": [' + _record().encode() + b"]}")
    assert (status, reply) == (200, {"ok": True, "imported": 1, "changed": 1}), reply
    assert len(_rows(served)) == len(before) + 1


def _stalled(stack: Stack, path: str, *, trickle: bool = False) -> socket.socket:
    """Declare 999,999 bytes and send 14; with `trickle`, a byte every 0.2 s after that
    (a per-read timeout would never fire on it)."""
    headers = {"Content-Type": "application/json", "Content-Length": "999999"}
    if path == "/api/cx-metrics":
        headers["Authorization"] = f"Bearer {stack.env['PULSE_CX_TOKEN']}"
    sock = _request(stack, path, b'{"metrics": [ ', headers)
    if trickle:

        def drip() -> None:
            """Until the reply comes (a byte sent after it could reset the connection)."""
            with contextlib.suppress(OSError):  # the server cut the connection
                for _ in range(100):
                    if select_module.select([sock], [], [], 0.2)[0]:
                        return
                    sock.send(b" ")

        threading.Thread(target=drip, daemon=True).start()
    return sock


def test_a_stalled_body_is_cut_off_at_the_timeout_while_others_are_served(
    served: Stack,
) -> None:
    started = time.monotonic()
    stalled = [
        _stalled(served, "/api/cx-metrics"),
        _stalled(served, "/slack/events"),
        _stalled(served, "/slack/events", trickle=True),
    ]  # three of the four threads held
    time.sleep(0.2)
    for _ in range(3):  # meanwhile, the fourth thread answers everyone else
        status, reply = _reply(_request(served, "/api/cx-metrics", b"{}", _json_headers(served)))
        assert status == 400 and reply["error"].startswith("body must be a JSON object")
    assert time.monotonic() - started < BODY_TIMEOUT  # all answered while the three stalled
    results: list[tuple[int, dict[str, Any], float]] = []
    for sock in stalled:
        status, reply = _reply(sock)
        results.append((status, reply, time.monotonic() - started))
    for status, reply, elapsed in results:
        assert status == 408, reply
        assert reply["error"] == f"the request body did not arrive within {BODY_TIMEOUT:g} s"
        assert BODY_TIMEOUT - 0.1 < elapsed < BODY_TIMEOUT + 2.0
    # Every thread is free again: as many slow clients as threads still cannot starve it.
    more = [_stalled(served, "/slack/events") for _ in range(THREADS)]
    asked = time.monotonic()
    with socket.create_connection(("127.0.0.1", int(served.env["PORT"])), timeout=10) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: pulse\r\n\r\n")
        assert sock.recv(100).startswith(b"HTTP/1.1 200")
    assert time.monotonic() - asked < BODY_TIMEOUT + 2.0
    assert [_reply(sock)[0] for sock in more] == [408] * THREADS


def _json_headers(stack: Stack) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {stack.env['PULSE_CX_TOKEN']}",
        "Content-Type": "application/json",
        "Content-Length": "2",
    }


def test_the_body_timeout_setting_is_checked() -> None:
    assert timeout_from_env({}) == DEFAULT_TIMEOUT == 10
    assert timeout_from_env({"PULSE_BODY_TIMEOUT": "2.5"}) == 2.5
    for bad in ("soon", "0", "-1", "nan", "1e9"):
        with pytest.raises(ValueError, match="PULSE_BODY_TIMEOUT must be seconds"):
            timeout_from_env({"PULSE_BODY_TIMEOUT": bad})
