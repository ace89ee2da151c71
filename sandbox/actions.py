"""`POST /_sandbox/act`: the page acting as one person, as Slack's client would.

A click, a slash command, opening the Home tab or submitting a modal becomes the
signed request `SlackSender` sends to the connected app; then what Slack itself does
with the app's answer is applied here (a command's reply shown as an ephemeral, a
modal's `response_action`). Body: `{"as": "U…", "kind": ..., ...}`; answer:
`{"ok": bool, "message": str}` (200), 400 bad request, 403 foreign origin,
409 no app connected or stale surface, 502 the app could not be reached.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.error import URLError
from urllib.parse import urlsplit

from sandbox.errors import ApiError
from sandbox.limits import MAX_VIEW_BLOCKS, check_blocks
from sandbox.sender import SenderResponse, SlackSender
from sandbox.socket_sender import SocketSender

if TYPE_CHECKING:
    from sandbox.contracts import Responder, Sandbox

REQUIRED = "Please complete this required field."


class ActError(Exception):
    """A request the page cannot act on; `status` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def handle(handler: Responder, body: bytes) -> None:
    """The HTTP edge: same-origin JSON only (no cross-site form posts, no DNS rebinding)."""
    host = handler.headers.get("Host", "")
    origin = handler.headers.get("Origin")
    local = {f"127.0.0.1:{handler.sandbox.port}", f"localhost:{handler.sandbox.port}"}
    if host not in local or (origin is not None and urlsplit(origin).netloc not in local):
        return handler.send_json(403, {"ok": False, "message": "foreign origin"})
    if not handler.headers.get("Content-Type", "").startswith("application/json"):
        return handler.send_json(415, {"ok": False, "message": "send application/json"})
    try:
        request = json.loads(body or b"{}")
        if not isinstance(request, dict):
            raise ActError(400, "the body must be a JSON object")
        result = perform(handler.sandbox, request)
    except (ValueError, KeyError, TypeError, ApiError) as error:
        return handler.send_json(400, {"ok": False, "message": f"bad request: {error}"})
    except LookupError as error:  # the button or view changed under the person's pointer
        return handler.send_json(409, {"ok": False, "message": str(error)})
    except ActError as error:
        return handler.send_json(error.status, {"ok": False, "message": error.message})
    except (URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        timed_out = isinstance(error, TimeoutError) or isinstance(reason, TimeoutError)
        message = "operation_timeout" if timed_out else str(error)
        return handler.send_json(502, {"ok": False, "message": f"app unreachable: {message}"})
    handler.send_json(200, result)


def perform(server: Sandbox, request: dict[str, Any]) -> dict[str, Any]:
    """Do what `request["kind"]` says as person `request["as"]`; see the module docstring."""
    user, kind = str(request["as"]), request["kind"]
    member = server.workspace.user(user)  # user_not_found: a 400
    if member["is_bot"] or member["deleted"]:
        raise ActError(400, "only active people can act on the page")
    if kind == "close":
        server.client_state.close(str(request["view_id"]))
        return {"ok": True, "message": ""}
    sender = _sender(server)
    if kind == "command":
        return _command(sender, user, str(request["text"]), request.get("channel") or None)
    if kind == "home_opened":
        return _outcome(sender.app_home_opened(user))
    if kind == "click":
        action_id, value = str(request["action_id"]), request.get("value") or None
        if request.get("view_id"):
            view = {"id": str(request["view_id"])}
            return _outcome(sender.home_click(user, view, action_id=action_id, value=value))
        message = {"channel": request["channel"], "ts": request["ts"]}
        message["ephemeral"] = bool(request.get("ephemeral"))
        return _outcome(sender.click(user, message, action_id=action_id, value=value))
    if kind == "submit":
        return _submit(server, sender, user, str(request["view_id"]), request.get("values") or {})
    raise ActError(400, f"unknown kind {kind!r}")


def _sender(server: Sandbox) -> SlackSender:
    if server.app is None and server.socket_mode.connections():
        return SocketSender(server, timeout=3)  # Socket Mode: 3 s for the ack, as over HTTP
    if server.app is None:
        raise ActError(409, "No app connected: the page is read-only.")
    # Slack waits 3 s for an app to acknowledge, then gives up (operation_timeout).
    return SlackSender(server.app.url, server.app.signing_secret, server, timeout=3)


def _outcome(response: SenderResponse) -> dict[str, Any]:
    if response.status == 200:
        return {"ok": True, "message": ""}
    return {"ok": False, "message": f"The app answered HTTP {response.status}."}


def _reply(response: SenderResponse) -> dict[str, Any] | None:
    """The app's response body as Slack reads it: JSON object, plain text, or nothing."""
    if response.status != 200 or not response.body.strip():
        return None
    try:
        body = response.json()
    except ValueError:
        return {"text": response.body}
    return body if isinstance(body, dict) else None


def _command(sender: SlackSender, user: str, typed: str, channel: str | None) -> dict[str, Any]:
    """Run `/command text`; a reply in the response body shows as Slack shows it."""
    typed = typed.strip()
    if not typed.startswith("/") or len(typed) < 2:
        raise ActError(400, "Only slash commands reach the app here: try /pulse help")
    command, _, text = typed.partition(" ")
    ws = sender.workspace
    where = channel or ws.dm_id(user)
    response = sender.slash_command(user, text.strip(), command=command, channel_id=where)
    reply = _reply(response)
    if reply and (reply.get("text") or reply.get("blocks")):
        shown, blocks = str(reply.get("text", "")), list(reply.get("blocks") or [])
        if reply.get("response_type") == "in_channel":
            ws.post_message(where, text=shown, blocks=blocks)
        else:
            ws.post_ephemeral(where, user, text=shown, blocks=blocks)
    if response.status != 200:
        return {"ok": False, "message": f"{command} failed with the error 'dispatch_failed'"}
    return {"ok": True, "message": ""}


def _submit(
    server: Sandbox, sender: SlackSender, user: str, view_id: str, typed: dict[str, Any]
) -> dict[str, Any]:
    """Check required fields as Slack's client does, send, then apply `response_action`."""
    ws, state = server.workspace, server.client_state
    view = next((v for v in ws.views(user) if v["id"] == view_id), None)
    if view is None or view["type"] != "modal":
        raise LookupError(f"no modal {view_id} open for {user}")
    drafts = {str(k): str(v) for k, v in typed.items()}
    values, errors = _values(view, drafts)
    if errors:
        state.remember(view_id, drafts, errors)
        return {"ok": False, "message": "Some fields need your attention."}
    response = sender.submit_view(user, {"id": view_id}, values)
    reply = _reply(response) or {}
    action = reply.get("response_action")
    if response.status != 200:
        state.remember(view_id, drafts, {})
        return {"ok": False, "message": "We had some trouble connecting. Try again?"}
    if action == "errors":
        state.remember(view_id, drafts, {str(k): str(v) for k, v in reply["errors"].items()})
        return {"ok": False, "message": ""}
    if action in ("update", "push"):
        check_blocks(reply["view"].get("blocks", []), max_blocks=MAX_VIEW_BLOCKS, code="invalid")
    if action == "update":
        ws.update_view(reply["view"], view_id=view_id, external_id=None, view_hash=None)
        state.forget(view_id)
    elif action == "push":
        state.remember(view_id, drafts, {})
        state.push(ws.open_modal(user, reply["view"])["id"])
    elif action == "clear":
        modals = [v for v in ws.views(user) if v["type"] == "modal"]
        while (top := state.open_modal(modals)) is not None:
            state.close(top["id"])
    else:
        state.close(view_id)
    return {"ok": True, "message": ""}


def _values(view: dict, typed: dict[str, str]) -> tuple[dict, dict[str, str]]:
    """`view.state.values` from what was typed, and the errors Slack's client would show."""
    values: dict[str, dict] = {}
    errors: dict[str, str] = {}
    for block in view.get("blocks", []):
        element = block.get("element") or {}
        if block.get("type") != "input" or "action_id" not in element:
            continue
        block_id, text = block["block_id"], typed.get(block["block_id"], "")
        if element.get("type") == "static_select":
            options = list(element.get("options") or [])
            options += [o for g in element.get("option_groups") or [] for o in g["options"]]
            chosen = next((o for o in options if o.get("value") == text), None)
            value = {"type": "static_select", "selected_option": chosen}
        else:
            chosen = text if text.strip() else None
            value = {"type": element.get("type", "plain_text_input"), "value": chosen}
            if chosen and len(text) < int(element.get("min_length") or 0):
                errors[block_id] = f"Please use at least {element['min_length']} characters."
        if chosen is None and not block.get("optional"):
            errors[block_id] = REQUIRED
        values[block_id] = {element["action_id"]: value}
    return values, errors
