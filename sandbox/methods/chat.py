"""`chat.*`: posting, updating and deleting the bot's messages, and ephemerals."""

from __future__ import annotations

from typing import Any

from sandbox.errors import ApiError
from sandbox.limits import MAX_MESSAGE_BLOCKS, MAX_MESSAGE_CHARS, check_blocks, check_message
from sandbox.methods.base import Call, method
from sandbox.workspace import slack_message


def _metadata(call: Call) -> dict | None:
    """Message metadata must be `{"event_type": str, "event_payload": object}`."""
    metadata = call.get("metadata")
    if metadata is None:
        return None
    if (
        not isinstance(metadata, dict)
        or not isinstance(metadata.get("event_type"), str)
        or not isinstance(metadata.get("event_payload", {}), dict)
    ):
        raise ApiError("invalid_metadata_format")
    return {
        "event_type": metadata["event_type"],
        "event_payload": metadata.get("event_payload", {}),
    }


def _channel(call: Call) -> str:
    return call.workspace.resolve_channel(call.require("channel", "channel_not_found"))


@method("chat.postMessage", "chat:write")
def post_message(call: Call) -> dict:
    ws = call.workspace
    with ws.lock:
        channel = _channel(call)
        text, blocks = call.get("text", ""), call.get("blocks")
        check_message(text, blocks)
        message = ws.post_message(
            channel,
            text=text,
            blocks=blocks,
            metadata=_metadata(call),
            thread_ts=call.get("thread_ts"),
        )
    return {"channel": channel, "ts": message["ts"], "message": slack_message(message)}


@method("chat.update", "chat:write")
def update(call: Call) -> dict:
    ws = call.workspace
    with ws.lock:
        channel = _channel(call)
        ts = call.require("ts", "message_not_found")
        ws.message(channel, ts)  # message_not_found before content errors, as Slack does
        text, blocks = call.params.get("text"), call.get("blocks")
        if text is None and blocks is None:
            raise ApiError("no_text")
        if text and len(text) > MAX_MESSAGE_CHARS:
            raise ApiError("msg_too_long")
        if blocks is not None:
            check_blocks(blocks, max_blocks=MAX_MESSAGE_BLOCKS, code="invalid_blocks")
        changes: dict[str, Any] = {"text": text, "blocks": blocks, "metadata": _metadata(call)}
        message = ws.update_message(channel, ts, **changes)
    return {
        "channel": channel,
        "ts": ts,
        "text": message["text"],
        "message": slack_message(message),
    }


@method("chat.postEphemeral", "chat:write")
def post_ephemeral(call: Call) -> dict:
    ws = call.workspace
    with ws.lock:
        channel = _channel(call)
        user_id = call.require("user", "user_not_found")
        ws.user(user_id)
        if user_id not in ws.channel_members(channel):
            raise ApiError("user_not_in_channel")
        text, blocks = call.get("text", ""), call.get("blocks")
        check_message(text, blocks)
        record = ws.post_ephemeral(channel, user_id, text=text, blocks=blocks or [])
    return {"message_ts": record["ts"]}


@method("chat.delete", "chat:write")
def delete(call: Call) -> dict:
    channel = _channel(call)
    ts = call.require("ts", "message_not_found")
    call.workspace.delete_message(channel, ts)
    return {"channel": channel, "ts": ts}
