"""The HTTP side of the sandbox: routes, body decoding, auth, rate limits and faults.

Routes: `POST /api/<method>` (Web API), `POST /upload/<file_id>` (files upload v2
bytes), `POST /response/<id>` (response URLs), `/_sandbox/*` (control), `GET /`
(the conversations as a person sees them; `sandbox.web.routes`) and
`POST /_sandbox/act` (act as that person; `sandbox.actions`).
"""

from __future__ import annotations

import json
import logging
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

import sandbox.actions as actions
import sandbox.control as control
from sandbox.errors import ApiError
from sandbox.limits import MAX_MESSAGE_BLOCKS, check_blocks
from sandbox.methods import METHODS, Call, check_scopes
from sandbox.web import routes

if TYPE_CHECKING:
    from sandbox.contracts import Sandbox

log = logging.getLogger("sandbox")

# Arguments slack_sdk JSON-encodes inside form bodies; Slack decodes them server-side.
_JSON_ARGS = {"blocks": "invalid_blocks_format", "attachments": "invalid_attachments"}
_JSON_ARGS |= {"metadata": "invalid_metadata_format", "view": "invalid_arguments"}
_JSON_ARGS |= {"files": "invalid_arguments", "user_auth_blocks": "invalid_blocks_format"}
CONNECTIONS_OPEN = "apps.connections.open"  # served by sandbox.socket_mode, not METHODS
_SERVER_ERROR = {500: "internal_error", 503: "service_unavailable"}


def decode_params(content_type: str, body: bytes, query: str) -> dict[str, Any]:
    """Merge query string and form/JSON body into one dict, decoding JSON-string args."""
    params: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
    media_type = content_type.split(";")[0].strip().lower()
    if media_type == "application/json":
        try:
            decoded = json.loads(body or b"{}")
        except ValueError:
            raise ApiError("invalid_json") from None
        if not isinstance(decoded, dict):
            raise ApiError("invalid_json")
        params.update(decoded)
    elif media_type in ("", "application/x-www-form-urlencoded"):
        try:
            params.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        except UnicodeDecodeError:
            raise ApiError("invalid_form_data") from None
    else:
        raise ApiError("invalid_form_data", detail=f"unsupported Content-Type {media_type}")
    for name, error in _JSON_ARGS.items():
        if isinstance(params.get(name), str) and params[name].strip()[:1] in ("[", "{"):
            try:
                params[name] = json.loads(params[name])
            except ValueError:
                raise ApiError(error) from None
    return params


class SandboxHandler(BaseHTTPRequestHandler):
    """One request; `self.server.sandbox` is the owning `SandboxServer`."""

    timeout = 10  # a stalled client cannot hold a thread forever
    server_version = "SlackSandbox/1.0"

    @property
    def sandbox(self) -> Sandbox:
        return self.server.sandbox  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)

    # -- plumbing ----------------------------------------------------------------------------

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def send_body(
        self, status: int, body: bytes, content_type: str, headers: dict | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def send_json(self, status: int, payload: Any, headers: dict | None = None) -> None:
        body = json.dumps(payload).encode()
        self.send_body(status, body, "application/json; charset=utf-8", headers)

    def send_text(self, status: int, text: str) -> None:
        self.send_body(status, text.encode(), "text/plain; charset=utf-8")

    # -- routing -----------------------------------------------------------------------------

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path.startswith("/api/"):
            self._api(path[len("/api/") :], b"")
        elif routes.is_page_route(path):
            routes.serve(self, path, urlsplit(self.path).query)
        elif path.startswith("/_sandbox/"):
            control.handle(self, "GET", path[len("/_sandbox/") :], b"")
        else:
            self.send_text(404, "not_found")

    def do_POST(self) -> None:
        path, body = urlsplit(self.path).path, self._body()
        if path.startswith("/api/"):
            self._api(path[len("/api/") :], body)
        elif path.startswith("/upload/"):
            if self.sandbox.workspace.receive_upload(path[len("/upload/") :], body):
                self.send_text(200, f"OK - {len(body)}")
            else:
                self.send_text(404, "not_found")
        elif path.startswith("/response/"):
            self._response_url(path[len("/response/") :], body)
        elif path == "/_sandbox/act":
            actions.handle(self, body)
        elif path.startswith("/_sandbox/"):
            control.handle(self, "POST", path[len("/_sandbox/") :], body)
        else:
            self.send_text(404, "not_found")

    def _response_url(self, token: str, body: bytes) -> None:
        try:
            payload = json.loads(body or b"{}")
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            return self.send_text(400, "invalid_payload")
        try:
            blocks = payload.get("blocks", [])
            check_blocks(blocks, max_blocks=MAX_MESSAGE_BLOCKS, code="invalid_blocks")
        except ApiError as error:
            return self.send_text(400, error.code)
        if self.sandbox.workspace.post_to_response_url(token, payload):
            self.send_text(200, "ok")
        else:
            self.send_text(404, "no_such_response_url")

    # -- Web API -----------------------------------------------------------------------------

    def _api(self, method: str, body: bytes) -> None:
        """Decode, authenticate, rate-limit, maybe fault, dispatch, record, answer."""
        sandbox, ws = self.sandbox, self.sandbox.workspace
        params: dict[str, Any] = {}
        try:
            params = decode_params(
                self.headers.get("Content-Type", ""), body, urlsplit(self.path).query
            )
            token = _bearer(self.headers.get("Authorization")) or params.pop("token", None)
            if method not in METHODS and method != CONNECTIONS_OPEN:
                raise ApiError("unknown_method")
            if not token:
                raise ApiError("not_authed")
            if token != (ws.app_token if method.startswith("apps.") else ws.bot_token):
                known = token in (ws.bot_token, ws.app_token)
                raise ApiError("not_allowed_token_type" if known else "invalid_auth")
        except ApiError as error:
            ws.record_call(method, params, 200, error=error.code)
            return self.send_json(200, error.body())
        retry_after = sandbox.limiter.admit(method)
        if retry_after is not None:
            ws.record_call(method, params, 429, error="ratelimited")
            headers = {"Retry-After": str(retry_after)}
            return self.send_json(429, {"ok": False, "error": "ratelimited"}, headers)
        fault = sandbox.faults.draw(method)
        kind = fault.kind if fault else None
        if fault is not None and kind in ("http_500", "http_503"):
            status = int(kind[-3:])
            ws.record_call(method, params, status, error=_SERVER_ERROR[status], fault=kind)
            return self.send_json(status, {"ok": False, "error": _SERVER_ERROR[status]})
        if fault is not None and fault.error_code is not None:
            ws.record_call(method, params, 200, error=fault.error_code, fault=kind)
            return self.send_json(200, {"ok": False, "error": fault.error_code})
        if fault is not None and kind == "timeout_before":
            ws.record_call(method, params, 200, error="request_timeout", fault=kind)
            if not sandbox.sleep(fault.delay):
                return self.send_json(200, {"ok": False, "error": "request_timeout"})
            return None
        result: dict[str, Any]
        try:
            if method == CONNECTIONS_OPEN:
                result = {"ok": True, "url": sandbox.socket_mode.issue_url()}
            else:
                check_scopes(method, ws.scopes)
                result = {"ok": True, **METHODS[method](Call(ws, params, sandbox.base))}
        except ApiError as error:
            result = error.body()
        ws.record_call(method, params, 200, error=result.get("error"), fault=kind)
        if fault is not None and kind == "timeout_after" and sandbox.sleep(fault.delay):
            return None  # stopping: drop the connection, as a vanished Slack would
        return self.send_json(200, result, {"x-oauth-scopes": ",".join(ws.scopes)})


def _bearer(header: str | None) -> str | None:
    if header and header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    return None
