"""`views.*`: App Home publishing and modals opened with a fresh trigger id."""

from __future__ import annotations

from sandbox.errors import ApiError
from sandbox.limits import MAX_VIEW_BLOCKS, check_blocks
from sandbox.methods.base import Call, method


def _view(call: Call, *, kind: str | None) -> dict:
    """The `view` argument, checked against Slack's view limits; kind=None keeps its type."""
    view = call.get("view")
    if not isinstance(view, dict):
        raise ApiError("invalid_arguments", detail="view must be a JSON object")
    if kind is not None and view.get("type") != kind:
        raise ApiError("invalid_arguments", detail=f"view type must be {kind}")
    if view.get("type") == "modal" and not view.get("title"):
        raise ApiError("invalid_arguments", detail="modal views need a title")
    check_blocks(view.get("blocks", []), max_blocks=MAX_VIEW_BLOCKS, code="invalid_arguments")
    return view


def _shown(view: dict) -> dict:
    return {k: v for k, v in view.items() if k != "user_id"}


@method("views.publish")
def publish(call: Call) -> dict:
    ws = call.workspace
    with ws.lock:
        user_id = call.require("user_id", "user_not_found")
        ws.user(user_id)
        return {"view": _shown(ws.publish_home(user_id, _view(call, kind="home")))}


@method("views.open")
def open_view(call: Call) -> dict:
    """The trigger id must be one the sender issued, unused and under `trigger_ttl` old."""
    ws = call.workspace
    with ws.lock:
        view = _view(call, kind="modal")
        user_id = ws.consume_trigger(call.require("trigger_id"))
        return {"view": _shown(ws.open_modal(user_id, view))}


@method("views.update")
def update(call: Call) -> dict:
    ws = call.workspace
    view_id, external_id = call.get("view_id"), call.get("external_id")
    if view_id is None and external_id is None:
        raise ApiError("invalid_arguments", detail="view_id or external_id is required")
    updated = ws.update_view(
        _view(call, kind=None),
        view_id=view_id,
        external_id=external_id,
        view_hash=call.get("hash"),
    )
    return {"view": _shown(updated)}
