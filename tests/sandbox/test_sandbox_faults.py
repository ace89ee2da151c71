"""Injected faults, seen through the real WebClient: what the client sees, what Slack kept."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from urllib.error import URLError

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from sandbox import SandboxServer, Workspace


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors_store_nothing_then_clear(
    server: SandboxServer, client: WebClient, status: int
) -> None:
    server.inject_fault("chat.postMessage", f"http_{status}")
    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel="C0GENERAL", text="lost")
    assert raised.value.response.status_code == status
    assert server.workspace.messages() == []
    client.chat_postMessage(channel="C0GENERAL", text="kept")  # times=1: spent
    assert [m["text"] for m in server.workspace.messages()] == ["kept"]


def test_error_fault_returns_that_slack_error(server: SandboxServer, client: WebClient) -> None:
    server.inject_fault("chat.postMessage", "error:fatal_error", times=2)
    for _ in range(2):
        with pytest.raises(SlackApiError, match="fatal_error"):
            client.chat_postMessage(channel="C0GENERAL", text="x")
    client.chat_postMessage(channel="C0GENERAL", text="x")
    assert len(server.workspace.messages()) == 1
    faults = [c["fault"] for c in server.workspace.calls("chat.postMessage")]
    assert faults == ["error:fatal_error", "error:fatal_error", None]


def test_timeout_before_applies_nothing(
    server: SandboxServer, make_client: Callable[..., WebClient]
) -> None:
    server.inject_fault("chat.postMessage", "timeout_before", delay=1.0)
    with pytest.raises((TimeoutError, URLError)):
        make_client(timeout=0.2).chat_postMessage(channel="C0GENERAL", text="never")
    assert server.workspace.messages() == []
    assert server.workspace.calls("chat.postMessage")[0]["fault"] == "timeout_before"


def test_timeout_after_stores_the_message_the_client_never_heard_of(
    server: SandboxServer, make_client: Callable[..., WebClient]
) -> None:
    server.inject_fault("chat.postMessage", "timeout_after", delay=1.0)
    with pytest.raises((TimeoutError, URLError)):
        make_client(timeout=0.2).chat_postMessage(channel="U0ALICE", text="delivered")
    assert [m["text"] for m in server.workspace.dm_messages("U0ALICE")] == ["delivered"]


def test_probability_is_reproducible_with_a_seed(server: SandboxServer, client: WebClient) -> None:
    def outcomes() -> list[bool]:
        server.clear_faults()
        server.inject_fault("auth.test", "http_500", times=None, probability=0.5, seed=7)
        results = []
        for _ in range(20):
            try:
                results.append(bool(client.auth_test()["ok"]))
            except SlackApiError:
                results.append(False)
        return results

    first = outcomes()
    assert first == outcomes()
    assert 0 < first.count(False) < 20


def test_wildcard_and_bad_kinds(server: SandboxServer, client: WebClient) -> None:
    server.inject_fault("*", "error:team_access_not_granted")
    with pytest.raises(SlackApiError, match="team_access_not_granted"):
        client.users_list()
    with pytest.raises(ValueError):
        server.inject_fault("auth.test", "gremlins")


def test_stop_does_not_wait_for_sleeping_requests(workspace: Workspace) -> None:
    server = SandboxServer(workspace).start()
    server.inject_fault("chat.postMessage", "timeout_before", delay=30)
    client = WebClient(token=workspace.bot_token, base_url=server.url, retry_handlers=[])

    outcome: list[BaseException] = []

    def stuck() -> None:
        try:
            client.chat_postMessage(channel="C0GENERAL", text="x")
        except OSError as error:  # stop() drops the connection, as a vanished Slack would
            outcome.append(error)

    caller = threading.Thread(target=stuck)
    caller.start()
    while not workspace.calls("chat.postMessage"):
        time.sleep(0.01)
    started = time.monotonic()
    server.stop()
    caller.join(2)
    assert time.monotonic() - started < 0.5
    assert not caller.is_alive() and len(outcome) == 1
    assert not [t for t in threading.enumerate() if t.name.startswith("sandbox-")]
