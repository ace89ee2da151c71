"""Slack's side of Socket Mode: the WebSocket an app opens instead of serving a public URL.

`apps.connections.open` (app-level `xapp-` token) issues a one-use URL to this server
(`ws://127.0.0.1:PORT/link/?ticket=…`). On connect the app gets `hello`; then every event,
slash command and interaction arrives as an envelope
(`envelope_id`, `type`, `payload`, `accepts_response_payload`, and for events
`retry_attempt` and `retry_reason`) that the app acknowledges by sending back
`{"envelope_id": …}`, with a `payload` where Slack reads one (a command's reply, a
modal's `response_action`). As Slack does: an envelope whose connection drops before its
ack is sent again on a live connection, an unacknowledged event is retried after 3 s
(three times), an unacknowledged interaction fails; `disconnect` asks the app to
reconnect ("refresh_requested") or tells it the link is off ("link_disabled").
Served by `websockets` (threaded, sync API), one thread per connection.
"""

from __future__ import annotations

import contextlib
import json
import logging
import secrets
import socket
import struct
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.http11 import Request, Response
from websockets.sync.server import Server, ServerConnection, serve

log = logging.getLogger("sandbox.socket_mode")
_WS_LOG = logging.getLogger("sandbox.socket_mode.websockets")  # its connection chatter
_WS_LOG.setLevel(logging.WARNING)

ACK_TIMEOUT = 3.0  # Slack waits 3 s for an acknowledgement
EVENT_RETRIES = 3  # then retries an event three times; interactions are not retried
REASONS = ("refresh_requested", "link_disabled", "warning")


@dataclass
class Ack:
    """What the app sent back for one envelope: its payload (None for a bare ack)."""

    envelope_id: str
    payload: dict | None
    attempts: int  # how many times the envelope was sent before this ack


@dataclass
class _Pending:
    """One envelope awaiting its ack; its flags change under the hub's lock, then `wake`."""

    envelope: dict
    wake: threading.Event = field(default_factory=threading.Event)
    sent_on: ServerConnection | None = None
    done: bool = False  # acked
    ack: dict | None = None
    lost: bool = False  # its connection dropped before the ack


class SocketHub:
    """The WebSocket endpoint of the sandbox workspace; start, then `deliver` envelopes."""

    def __init__(self, *, app_id: str, host: str = "127.0.0.1") -> None:
        self.app_id, self.host = app_id, host
        self.port = 0
        self.lock = threading.Lock()
        self._tickets: set[str] = set()
        self._connections: list[ServerConnection] = []
        self._opened = 0  # connections ever accepted (a reconnect increments it)
        self._changed = threading.Condition(self.lock)
        self._pending: dict[str, _Pending] = {}
        self._acked: list[str] = []  # envelope ids in ack order (tests count them)
        self._swallow = 0  # acks still to lose in transit (a fault)
        self.resent = 0  # envelopes sent again because their connection dropped unacked
        self._server: Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> SocketHub:
        self._server = serve(
            self._serve,
            self.host,
            0,
            process_request=self._admit,
            compression=None,
            ping_interval=None,  # the app pings; Slack answers
            server_header="SlackSandbox/1.0",
            logger=_WS_LOG,
        )
        self.port = int(self._server.socket.getsockname()[1])
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="sandbox-socket-mode", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        for conn in self.connections():
            _cut(conn)
        if self._thread is not None:
            self._thread.join(2)
        with self.lock:
            for pending in self._pending.values():
                pending.lost = True
                pending.wake.set()
            self._changed.notify_all()

    # -- what Web API methods and tests ask of it ----------------------------------------------

    def issue_url(self) -> str:
        """A one-use WebSocket URL, as `apps.connections.open` returns."""
        ticket = secrets.token_hex(12)
        with self.lock:
            self._tickets.add(ticket)
        return f"ws://{self.host}:{self.port}/link/?ticket={ticket}&app_id={self.app_id}"

    def connections(self) -> list[ServerConnection]:
        with self.lock:
            return list(self._connections)

    @property
    def opened(self) -> int:
        """How many connections the app has ever opened (a reconnect adds one)."""
        with self.lock:
            return self._opened

    def wait_connected(self, timeout: float = 10.0, *, opened: int = 1) -> bool:
        """True once at least `opened` connections were ever made and one is live."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not (self._opened >= opened and self._connections):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(left)
            return True

    def acked(self) -> list[str]:
        with self.lock:
            return list(self._acked)

    def deliver(
        self,
        kind: str,
        payload: dict,
        *,
        accepts_response_payload: bool,
        timeout: float = ACK_TIMEOUT,
        retry_attempt: int | None = None,
        retry_reason: str | None = None,
    ) -> Ack | None:
        """Send one envelope and wait for its ack, as Slack does (see the module docstring).

        Returns None when Slack would give up: an interaction unacknowledged after
        `timeout`, or an event after its retries, or no connection within `timeout`.
        """
        envelope: dict[str, Any] = {
            "envelope_id": str(uuid.uuid4()),
            "payload": payload,
            "type": kind,
            "accepts_response_payload": accepts_response_payload,
        }
        retries = EVENT_RETRIES if kind == "events_api" else 0
        if kind == "events_api" or retry_attempt is not None:
            envelope["retry_attempt"] = retry_attempt or 0
            envelope["retry_reason"] = retry_reason or ""
        pending = _Pending(envelope)
        with self.lock:
            self._pending[envelope["envelope_id"]] = pending
        attempts = 0
        try:
            while True:
                attempts += 1
                if not self._send(pending, timeout):
                    return None
                pending.wake.wait(timeout)
                with self.lock:
                    if pending.done:
                        return Ack(envelope["envelope_id"], pending.ack, attempts)
                    pending.wake.clear()
                    if pending.lost:  # the socket went: send again on a live one
                        pending.lost = False
                        reason = "connection_lost"
                        self.resent += 1
                    elif retries == 0:
                        return None
                    else:
                        retries -= 1
                        reason = "timeout"
                    envelope["retry_attempt"] = envelope.get("retry_attempt", 0) + 1
                    envelope["retry_reason"] = reason
        finally:
            with self.lock:
                self._pending.pop(envelope["envelope_id"], None)

    def swallow_acks(self, times: int = 1) -> None:
        """Lose the next `times` acks in transit: Slack never hears them (a fault)."""
        with self.lock:
            self._swallow += times

    def drop(self) -> int:
        """Reset every connection (TCP RST, no closing handshake), as a failing network or
        load balancer does; the app sees its socket fail and opens a new one."""
        conns = self.connections()
        for conn in conns:
            _cut(conn, reset=True)
        return len(conns)

    def disconnect(self, reason: str = "refresh_requested") -> int:
        """Send Slack's `disconnect` message on every live connection; the app should open a
        new one (and close this), which it does for "refresh_requested"."""
        if reason not in REASONS:
            raise ValueError(f"unknown disconnect reason {reason!r}: use {REASONS}")
        message = json.dumps(
            {"type": "disconnect", "reason": reason, "debug_info": {"host": "sandbox-applink"}}
        )
        conns = self.connections()
        for conn in conns:
            with contextlib.suppress(Exception):
                conn.send(message)
        return len(conns)

    # -- the connections -------------------------------------------------------------------

    def _admit(self, conn: ServerConnection, request: Request) -> Response | None:
        """Only a ticket from `apps.connections.open`, and only once."""
        parts = urlsplit(request.path)
        ticket = (parse_qs(parts.query).get("ticket") or [""])[0]
        with self.lock:
            if parts.path.rstrip("/") == "/link" and ticket in self._tickets:
                self._tickets.discard(ticket)
                return None
        return conn.respond(401, "invalid or used ticket: call apps.connections.open\n")

    def _serve(self, conn: ServerConnection) -> None:
        hello = {
            "type": "hello",
            "num_connections": len(self.connections()) + 1,
            "debug_info": {"host": "sandbox-applink", "approximate_connection_time": 18060},
            "connection_info": {"app_id": self.app_id},
        }
        with self._changed:
            self._connections.append(conn)
            self._opened += 1
        try:
            conn.send(json.dumps(hello))
            with self._changed:
                self._changed.notify_all()
            for raw in conn:
                self._receive(raw)
        except Exception as error:  # a cut socket ends here; the app reconnects
            log.debug("socket mode connection ended: %r", error)
        finally:
            with self._changed:
                if conn in self._connections:
                    self._connections.remove(conn)
                for pending in self._pending.values():
                    if pending.sent_on is conn and not pending.done:
                        pending.lost = True
                        pending.wake.set()
                self._changed.notify_all()

    def _receive(self, raw: str | bytes) -> None:
        try:
            message = json.loads(raw)
        except ValueError:
            log.warning("socket mode: the app sent something that is not JSON")
            return
        envelope_id = message.get("envelope_id") if isinstance(message, dict) else None
        if not envelope_id:
            return
        with self.lock:
            pending = self._pending.get(envelope_id)
            if pending is None or pending.done:
                return  # an ack for an envelope Slack already gave up on: ignored
            if self._swallow > 0:
                self._swallow -= 1
                return
            payload = message.get("payload")
            accepted = pending.envelope["accepts_response_payload"]
            pending.ack = payload if accepted and isinstance(payload, dict) else None
            self._acked.append(envelope_id)
            pending.done = True
            pending.wake.set()

    def _send(self, pending: _Pending, timeout: float) -> bool:
        """Send on a live connection (the newest); wait up to `timeout` for one."""
        deadline = time.monotonic() + timeout
        message = json.dumps(pending.envelope)
        while True:
            with self._changed:
                while not self._connections:
                    left = deadline - time.monotonic()
                    if left <= 0 or self._server is None:
                        return False
                    self._changed.wait(left)
                conn = self._connections[-1]
                pending.sent_on = conn
            try:
                conn.send(message)
                return True
            except Exception:  # closed between the check and the send: try the next one
                with self._changed:
                    if conn in self._connections:
                        self._connections.remove(conn)
                if time.monotonic() > deadline:
                    return False


def _cut(conn: ServerConnection, *, reset: bool = False) -> None:
    """End a connection now; with `reset` its close sends a TCP RST instead of a FIN."""
    with contextlib.suppress(OSError):
        if reset:
            conn.socket.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.close_socket()  # wakes its reader; closing with linger 0 sends the RST
        else:
            conn.socket.shutdown(socket.SHUT_RDWR)
