"""Requests into the app signed exactly as Slack signs them, over real HTTP.

Signing follows https://api.slack.com/authentication/verifying-requests-from-slack:
HMAC-SHA256 of `v0:{timestamp}:{raw body}` with the signing secret, sent as
`X-Slack-Signature: v0=<hex>` with `X-Slack-Request-Timestamp`.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import secrets
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import sandbox.payloads as payloads
from sandbox.errors import ApiError
from sandbox.workspace import slack_message

if TYPE_CHECKING:
    from sandbox.contracts import Sandbox

_FORM = "application/x-www-form-urlencoded"
_JSON = "application/json"
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def sign(signing_secret: str, body: bytes, timestamp: int) -> dict[str, str]:
    """The two headers Slack adds to every request it sends to an app."""
    basestring = b"v0:" + str(timestamp).encode() + b":" + body
    digest = hmac.new(signing_secret.encode(), basestring, hashlib.sha256).hexdigest()
    return {"X-Slack-Signature": f"v0={digest}", "X-Slack-Request-Timestamp": str(timestamp)}


@dataclass
class SenderResponse:
    """The app's answer, plus what was sent so `SlackSender.resend` can replay it."""

    status: int
    body: str
    headers: dict[str, str] = field(default_factory=dict)
    request_body: bytes = b""
    content_type: str = _FORM
    retry_num: int | None = None

    def json(self) -> Any:
        """The body parsed as JSON; None for the empty body of a bare `ack()`."""
        return json.loads(self.body) if self.body.strip() else None


class SlackSender:
    """Plays Slack's side towards the app at `app_url` (its `POST /slack/events`)."""

    def __init__(
        self, app_url: str, signing_secret: str, server: Sandbox, *, timeout: float = 10
    ) -> None:
        self.app_url = app_url
        self.signing_secret = signing_secret
        self.server = server
        self.workspace = server.workspace
        self.timeout = timeout
        self._event_seq = itertools.count(1)

    # -- what users do -------------------------------------------------------------------

    def slash_command(
        self,
        user_id: str,
        text: str,
        *,
        command: str = "/pulse",
        channel_id: str | None = None,
        retry_num: int | None = None,
        timestamp: int | None = None,
    ) -> SenderResponse:
        """Type `command text` (by default in the user's DM with the bot)."""
        ws = self.workspace
        channel = channel_id or ws.dm_id(user_id)
        path = ws.new_response_url("slash_command", channel=channel, user_id=user_id)
        form = payloads.slash_command(
            ws,
            user_id,
            text,
            command=command,
            channel_id=channel,
            response_url=self.server.base + path,
            trigger_id=ws.issue_trigger(user_id),
        )
        body = urlencode(form).encode()
        return self._send(body, _FORM, retry_num=retry_num, timestamp=timestamp)

    def click(
        self,
        user_id: str,
        message: dict,
        *,
        action_id: str,
        value: str | None = None,
        retry_num: int | None = None,
        forged_value: str | None = None,
    ) -> SenderResponse:
        """Press a button in a message the bot posted (its current version), or an ephemeral.
        With `forged_value` the action carries that value instead of the button's, as a
        client that edits the payload would send it (still signed: the app must check it).

        Raises `payloads.NoSuchButton` (a LookupError) if the message has no such button.
        """
        ws = self.workspace
        channel, ts = message["channel"], message["ts"]
        ephemeral = bool(message.get("ephemeral"))
        if ephemeral:
            found = [e for e in ws.ephemerals(user_id) if e["ts"] == ts]
            if not found:
                raise payloads.NoSuchButton(f"no ephemeral message {ts} for {user_id}")
            current = found[0]
        else:
            try:
                current = ws.message(channel, ts)
            except ApiError:
                raise payloads.NoSuchButton(f"message_not_found: {channel}/{ts}") from None
        block_id, button = payloads.find_button(
            current["blocks"], action_id, value, f"message {channel}/{ts}"
        )
        if forged_value is not None:
            button = {**button, "value": forged_value}
        path = ws.new_response_url(
            "block_actions", channel=channel, message_ts=ts, user_id=user_id, ephemeral=ephemeral
        )
        container = {"type": "message", "message_ts": ts, "channel_id": channel}
        parts: dict[str, Any] = {
            "container": {**container, "is_ephemeral": ephemeral},
            "trigger_id": ws.issue_trigger(user_id),
            "channel": {"id": channel, "name": ws.channel_name(channel)},
            "state": {"values": {}},
            "response_url": self.server.base + path,
            "actions": [payloads.action(block_id, button)],
        }
        if not ephemeral:  # Slack leaves an ephemeral message's content out of the payload
            parts["message"] = slack_message(current)
        payload = payloads.block_actions(ws, user_id, **parts)
        return self._send_payload(payload, retry_num=retry_num)

    def home_click(
        self, user_id: str, view: dict, *, action_id: str, value: str | None = None
    ) -> SenderResponse:
        """Press a button in the user's App Home view (its latest published version)."""
        current = self._current_view(user_id, view)
        block_id, button = payloads.find_button(
            current["blocks"], action_id, value, f"view {current['id']}"
        )
        payload = payloads.block_actions(
            self.workspace,
            user_id,
            container={"type": "view", "view_id": current["id"]},
            trigger_id=self.workspace.issue_trigger(user_id),
            view=current,
            actions=[payloads.action(block_id, button)],
        )
        return self._send_payload(payload)

    def home_select(
        self, user_id: str, view: dict, *, action_id: str, value: str
    ) -> SenderResponse:
        """Pick the option `value` of a static select in the user's App Home view."""
        current = self._current_view(user_id, view)
        block_id, menu, option = payloads.find_option(
            current["blocks"], action_id, value, f"view {current['id']}"
        )
        payload = payloads.block_actions(
            self.workspace,
            user_id,
            container={"type": "view", "view_id": current["id"]},
            trigger_id=self.workspace.issue_trigger(user_id),
            view=current,
            actions=[payloads.selection(block_id, menu, option)],
        )
        return self._send_payload(payload)

    def submit_view(self, user_id: str, view: dict, values: dict) -> SenderResponse:
        """Submit a modal with `values[block_id][action_id] = {"type": ..., "value": ...}`.

        The app may answer with `{"response_action": "errors", ...}`; inspect `.json()`.
        """
        current = self._current_view(user_id, view)
        payloads.check_inputs(current, values)
        trigger = self.workspace.issue_trigger(user_id)
        payload = payloads.view_submission(self.workspace, user_id, current, values, trigger)
        return self._send_payload(payload)

    def event(
        self, event: dict, *, retry_num: int | None = None, retry_reason: str | None = None
    ) -> SenderResponse:
        """Deliver one Events API event in an `event_callback` envelope (unique event_id)."""
        event_id = f"Ev{next(self._event_seq):08d}{secrets.token_hex(3).upper()}"
        envelope = payloads.event_callback(self.workspace, event, event_id)
        body = json.dumps(envelope).encode()
        return self._send(body, _JSON, retry_num=retry_num, retry_reason=retry_reason)

    def app_home_opened(self, user_id: str) -> SenderResponse:
        """The user opens the app's Home tab."""
        ws = self.workspace
        event: dict[str, Any] = {
            "type": "app_home_opened",
            "user": user_id,
            "channel": ws.dm_id(user_id),
            "tab": "home",
            "event_ts": f"{time.time():.6f}",
        }
        home = [v for v in ws.views(user_id) if v["type"] == "home"]
        if home:
            event["view"] = _as_slack_view(home[-1])
        return self.event(event)

    # -- transport -----------------------------------------------------------------------

    def resend(self, previous: SenderResponse, *, reason: str = "http_timeout") -> SenderResponse:
        """Replay the same body as Slack's retry does: next retry number, fresh signature."""
        retry_num = (previous.retry_num or 0) + 1
        return self._send(
            previous.request_body, previous.content_type, retry_num=retry_num, retry_reason=reason
        )

    def post_raw(self, body: bytes, headers: dict[str, str]) -> SenderResponse:
        """POST exactly these bytes and headers (for bad-signature and stale-timestamp tests)."""
        request = urllib.request.Request(self.app_url, data=body, headers=headers, method="POST")
        try:
            with _NO_PROXY.open(request, timeout=self.timeout) as response:
                status, text = response.status, response.read().decode("utf-8", "replace")
                response_headers = dict(response.headers.items())
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read().decode("utf-8", "replace")
            response_headers = dict(error.headers.items())
            error.close()
        return SenderResponse(status, text, response_headers, body)

    def _send(
        self,
        body: bytes,
        content_type: str,
        *,
        retry_num: int | None = None,
        retry_reason: str | None = None,
        timestamp: int | None = None,
    ) -> SenderResponse:
        stamp = int(time.time()) if timestamp is None else timestamp
        headers = {"Content-Type": content_type, **sign(self.signing_secret, body, stamp)}
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = retry_reason or "http_timeout"
        result = self.post_raw(body, headers)
        result.content_type, result.retry_num = content_type, retry_num
        return result

    def _send_payload(self, payload: dict, *, retry_num: int | None = None) -> SenderResponse:
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return self._send(body, _FORM, retry_num=retry_num)

    def _current_view(self, user_id: str, view: dict) -> dict:
        for current in self.workspace.views(user_id):
            if current["id"] == view.get("id"):
                return _as_slack_view(current)
        raise LookupError(f"no view {view.get('id')!r} open for {user_id}")


def _as_slack_view(view: dict) -> dict:
    return {k: v for k, v in view.items() if k != "user_id"}
