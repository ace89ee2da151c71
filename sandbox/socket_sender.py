"""Requests into an app connected over Socket Mode: what `SlackSender` sends, as envelopes.

The same payloads Slack would POST to a Request URL go down the app's WebSocket instead
(`sandbox.socket_mode`): an event as `events_api`, a slash command's form as
`slash_commands`, an interaction as `interactive`. The app's ack comes back as a
`SenderResponse` (status 200, its payload as the body), so tests and the page read both
transports alike; no ack in time raises TimeoutError, as an HTTP timeout does.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from sandbox.sender import SenderResponse, SlackSender
from sandbox.socket_mode import ACK_TIMEOUT

if TYPE_CHECKING:
    from sandbox.contracts import Sandbox

# Interactions whose ack Slack reads (a modal's response_action, suggestion options).
_ANSWERED = ("view_submission", "block_suggestion")


def envelope_of(body: bytes, content_type: str) -> tuple[str, dict[str, Any], bool]:
    """(envelope type, payload, accepts_response_payload) of an HTTP body Slack would send."""
    if content_type.startswith("application/json"):
        return "events_api", json.loads(body), False
    form = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    if "payload" in form:
        payload = json.loads(form["payload"])
        return "interactive", payload, payload.get("type") in _ANSWERED
    return "slash_commands", form, True


class SocketSender(SlackSender):
    """Plays Slack's side towards the app connected to `server.socket_mode`."""

    def __init__(self, server: Sandbox, *, timeout: float = ACK_TIMEOUT) -> None:
        super().__init__("socket-mode", "", server, timeout=timeout)

    def _send(
        self,
        body: bytes,
        content_type: str,
        *,
        retry_num: int | None = None,
        retry_reason: str | None = None,
        timestamp: int | None = None,
    ) -> SenderResponse:
        kind, payload, answered = envelope_of(body, content_type)
        ack = self.server.socket_mode.deliver(
            kind,
            payload,
            accepts_response_payload=answered,
            timeout=self.timeout,
            retry_attempt=retry_num,
            retry_reason=retry_reason,
        )
        if ack is None:
            raise TimeoutError(f"operation_timeout: the app did not acknowledge the {kind}")
        text = json.dumps(ack.payload) if ack.payload else ""
        return SenderResponse(200, text, {}, body, content_type, retry_num)

    def post_raw(self, body: bytes, headers: dict[str, str]) -> SenderResponse:
        raise TypeError("Socket Mode has no raw HTTP requests: signatures are an HTTP matter")
