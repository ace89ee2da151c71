"""Socket Mode as the sandbox speaks it: the URL, the envelopes, the acks, retries, the
`disconnect` message; first with a bare WebSocket playing the app (to see every frame),
then with the real Bolt adapter driven from the page."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from slack_bolt import Ack, App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from websockets.exceptions import InvalidStatus
from websockets.sync.client import ClientConnection, connect

from sandbox import SandboxServer
from sandbox.socket_mode import EVENT_RETRIES, SocketHub
from sandbox.socket_sender import SocketSender
from tests.sandbox.test_sandbox_control import call
from tests.sandbox.test_web_actions import act

ME = "U0CAROL"


@contextmanager
def _open(server: SandboxServer) -> Iterator[ClientConnection]:
    """Connect as an app does: `apps.connections.open`, then the URL, then `hello`."""
    client = WebClient(token=server.workspace.app_token, base_url=server.url)
    url = client.apps_connections_open(app_token=server.workspace.app_token)["url"]
    with connect(url, open_timeout=5) as conn:
        hello = json.loads(conn.recv(timeout=5))
        assert hello["type"] == "hello" and hello["connection_info"] == {"app_id": "A0SANDBOX"}
        yield conn


@pytest.fixture
def app_socket(server: SandboxServer) -> Iterator[ClientConnection]:
    with _open(server) as conn:
        assert server.socket_mode.wait_connected(5)
        yield conn


def _deliver_in_background(hub: SocketHub, **kwargs: Any) -> tuple[threading.Thread, list]:
    got: list = []
    thread = threading.Thread(target=lambda: got.append(hub.deliver(**kwargs)))
    thread.start()
    return thread, got


def test_connections_open_takes_the_app_token_only(server: SandboxServer) -> None:
    ws = server.workspace
    bot = WebClient(token=ws.bot_token, base_url=server.url, retry_handlers=[])
    with pytest.raises(SlackApiError) as refused:
        bot.apps_connections_open(app_token=ws.bot_token)
    assert refused.value.response["error"] == "not_allowed_token_type"
    with pytest.raises(SlackApiError) as wrong:
        bot.apps_connections_open(app_token="xapp-1-A0SANDBOX-1-wrong")
    assert wrong.value.response["error"] == "invalid_auth"
    url = bot.apps_connections_open(app_token=ws.app_token)["url"]
    assert url.startswith("ws://127.0.0.1:")
    with connect(url, open_timeout=5):
        pass
    with pytest.raises(InvalidStatus), connect(url, open_timeout=5):  # a ticket opens one only
        pass


def test_an_envelope_is_acked_with_its_response_payload(
    server: SandboxServer, app_socket: ClientConnection
) -> None:
    hub = server.socket_mode
    thread, got = _deliver_in_background(
        hub, kind="interactive", payload={"type": "view_submission"}, accepts_response_payload=True
    )
    envelope = json.loads(app_socket.recv(timeout=5))
    assert envelope["type"] == "interactive" and envelope["accepts_response_payload"] is True
    assert envelope["payload"] == {"type": "view_submission"} and "retry_attempt" not in envelope
    errors = {"response_action": "errors", "errors": {"b": "Too short"}}
    app_socket.send(json.dumps({"envelope_id": envelope["envelope_id"], "payload": errors}))
    thread.join(5)
    assert got[0].payload == errors and got[0].attempts == 1


def test_an_unacknowledged_event_is_retried_and_an_interaction_is_not(
    server: SandboxServer, app_socket: ClientConnection
) -> None:
    thread, got = _deliver_in_background(
        server.socket_mode,
        kind="events_api",
        payload={"event": {"type": "app_home_opened"}},
        accepts_response_payload=False,
        timeout=0.2,
    )
    sent = [json.loads(app_socket.recv(timeout=5)) for _ in range(EVENT_RETRIES + 1)]
    assert [(e["retry_attempt"], e["retry_reason"]) for e in sent] == [
        (0, ""),
        (1, "timeout"),
        (2, "timeout"),
        (3, "timeout"),
    ]
    assert len({e["envelope_id"] for e in sent}) == 1
    app_socket.send(json.dumps({"envelope_id": sent[-1]["envelope_id"]}))
    thread.join(5)
    assert got[0] is not None and got[0].attempts == EVENT_RETRIES + 1

    hub = server.socket_mode
    assert hub.deliver("slash_commands", {}, accepts_response_payload=True, timeout=0.2) is None
    assert json.loads(app_socket.recv(timeout=5))["type"] == "slash_commands"


def test_disconnect_says_why_and_a_dropped_envelope_goes_again(
    server: SandboxServer, app_socket: ClientConnection
) -> None:
    hub = server.socket_mode
    assert call(server, "/_sandbox/socket_disconnect", {"reason": "link_disabled"})["told"] == 1
    assert json.loads(app_socket.recv(timeout=5)) == {
        "type": "disconnect",
        "reason": "link_disabled",
        "debug_info": {"host": "sandbox-applink"},
    }
    with pytest.raises(ValueError):
        hub.disconnect("bored")
    thread, got = _deliver_in_background(
        hub, kind="interactive", payload={"type": "block_actions"}, accepts_response_payload=False
    )
    first = json.loads(app_socket.recv(timeout=5))
    # Before the ack: the envelope must reach the app's next connection.
    assert call(server, "/_sandbox/socket_drop", {})["dropped"] == 1
    with _open(server) as again_socket:
        again = json.loads(again_socket.recv(timeout=5))
        assert again["envelope_id"] == first["envelope_id"]
        assert (again["retry_attempt"], again["retry_reason"]) == (1, "connection_lost")
        again_socket.send(json.dumps({"envelope_id": again["envelope_id"], "payload": {"x": 1}}))
        thread.join(5)
    assert got[0].payload is None  # block_actions: Slack reads no response payload
    assert hub.resent == 1 and hub.opened == 2


def test_the_page_drives_a_bolt_app_connected_over_socket_mode(server: SandboxServer) -> None:
    ws = server.workspace
    app = App(
        client=WebClient(token=ws.bot_token, base_url=server.url),
        token_verification_enabled=False,
        request_verification_enabled=False,
    )

    @app.command("/pulse")
    def command(ack: Ack, body: dict) -> None:
        ack(text=f"you typed {body['text']}")

    assert act(server, ME, "command", text="/pulse hi")["status"] == 409  # nothing connected
    handler = SocketModeHandler(app, ws.app_token)
    handler.connect()
    try:
        assert server.socket_mode.wait_connected(5)
        assert act(server, ME, "command", text="/pulse hi") == {
            "status": 200,
            "ok": True,
            "message": "",
        }
        assert ws.ephemerals(ME)[-1]["text"] == "you typed hi"
        reply = SocketSender(server).slash_command(ME, "again")
        assert (reply.status, reply.json()) == (200, {"text": "you typed again"})
    finally:
        handler.close()
