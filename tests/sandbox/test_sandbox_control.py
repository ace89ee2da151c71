"""Driving the sandbox over HTTP from another process, the HTML page, and lifecycle."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import urllib.request
from urllib.error import HTTPError

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from sandbox import SandboxServer, Workspace


def call(server: SandboxServer, path: str, body: dict | None = None) -> dict:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(server.base + path, data=data)
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


def test_state_lists_users_messages_and_call_counts(
    server: SandboxServer, client: WebClient
) -> None:
    client.chat_postMessage(channel="C0GENERAL", text="hello")
    state = call(server, "/_sandbox/state")
    assert "U0ALICE" in [u["id"] for u in state["users"]]
    assert [m["text"] for m in state["messages"]] == ["hello"]
    assert state["calls"]["by_method"]["chat.postMessage"] == {"200": 1}


def test_rate_limit_fault_and_reset_over_http(server: SandboxServer, client: WebClient) -> None:
    call(server, "/_sandbox/rate_limit", {"method": "chat.postMessage", "per_second": 1})
    client.chat_postMessage(channel="C0GENERAL", text="1")
    with pytest.raises(SlackApiError, match="ratelimited"):
        client.chat_postMessage(channel="C0GENERAL", text="2")
    call(server, "/_sandbox/rate_limit", {"method": "chat.postMessage", "per_second": None})
    call(server, "/_sandbox/fault", {"method": "auth.test", "kind": "error:nope", "times": None})
    for _ in range(2):
        with pytest.raises(SlackApiError, match="nope"):
            client.auth_test()
    assert call(server, "/_sandbox/state")["faults"][0]["fired"] == 2
    call(server, "/_sandbox/clear_faults", {})
    assert client.auth_test()["ok"]
    call(server, "/_sandbox/reset_calls", {})
    assert server.workspace.calls() == []


def test_bad_control_requests_are_400(server: SandboxServer) -> None:
    with pytest.raises(HTTPError) as raised:
        call(server, "/_sandbox/fault", {"method": "auth.test", "kind": "gremlins"})
    assert raised.value.code == 400
    raised.value.close()


def test_starts_fast_and_stops_clean(workspace: Workspace) -> None:
    before = {t.ident for t in threading.enumerate()}
    started = time.perf_counter()
    server = SandboxServer(workspace).start()
    assert time.perf_counter() - started < 0.05
    assert server.url.startswith("http://127.0.0.1:") and server.url.endswith("/api/")
    WebClient(token=workspace.bot_token, base_url=server.url).auth_test()
    base = server.base
    server.stop()
    server.stop()  # idempotent
    assert {t.ident for t in threading.enumerate()} <= before
    with pytest.raises(OSError):
        urllib.request.urlopen(base + "/", timeout=1)


def test_refuses_to_bind_beyond_loopback() -> None:
    with pytest.raises(ValueError):
        SandboxServer(host="0.0.0.0")


def test_python_dash_m_sandbox_serves_a_seeded_company() -> None:
    command = [sys.executable, "-m", "sandbox", "--port", "0"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as process:
        try:
            line = process.stdout.readline() if process.stdout else ""
            url = line.split(": ", 1)[1].strip()
            client = WebClient(token="xoxb-sandbox", base_url=url)
            members = client.usergroups_users_list(usergroup="S0SUPPORT")["users"]
            assert "U0SUP01" in members
        finally:
            process.terminate()
