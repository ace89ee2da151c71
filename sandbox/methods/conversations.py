"""`conversations.*`: opening the bot's DMs, channel members and message history."""

from __future__ import annotations

import time
from decimal import Decimal, InvalidOperation

from sandbox.errors import ApiError
from sandbox.methods.base import Call, method, paginate


@method("conversations.open", "im:write", "mpim:write")
def open_conversation(call: Call) -> dict:
    """Only 1:1 DMs with the bot are modelled; group DMs answer `invalid_arguments`."""
    ws = call.workspace
    channel = call.get("channel")
    if channel is not None:
        if ws.dm_user(channel) is None:
            raise ApiError("channel_not_found")
        return {"no_op": True, "already_open": True, "channel": {"id": channel}}
    users = call.require("users", "users_list_not_supplied")
    user_ids = users if isinstance(users, list) else [u.strip() for u in str(users).split(",")]
    user_ids = [u for u in user_ids if u]
    if len(user_ids) != 1:
        raise ApiError("invalid_arguments", detail="sandbox models 1:1 DMs only")
    with ws.lock:
        already_open = ws.has_dm(user_ids[0])
        dm = ws.open_dm(user_ids[0])
    return {"no_op": already_open, "already_open": already_open, "channel": {"id": dm}}


@method("conversations.info", "channels:read", "groups:read", "im:read", "mpim:read")
def info(call: Call) -> dict:
    return {"channel": call.workspace.channel_info(call.require("channel", "channel_not_found"))}


@method("conversations.members", "channels:read", "groups:read", "im:read", "mpim:read")
def members(call: Call) -> dict:
    channel = call.require("channel", "channel_not_found")
    page, next_cursor = paginate(call, call.workspace.channel_members(channel), default_limit=100)
    return {"members": page, "response_metadata": {"next_cursor": next_cursor}}


def _ts(call: Call, name: str, default: str) -> Decimal:
    try:
        return Decimal(str(call.get(name, default)))
    except InvalidOperation:
        raise ApiError("invalid_ts_" + name) from None


@method("conversations.history", "channels:history", "groups:history", "im:history", "mpim:history")
def history(call: Call) -> dict:
    """Newest first; `oldest`/`latest` exclusive unless `inclusive`; metadata only if asked."""
    ws = call.workspace
    channel = call.require("channel", "channel_not_found")
    ws.channel_members(channel)  # channel_not_found for unknown ids
    oldest = _ts(call, "oldest", "0")
    latest = _ts(call, "latest", f"{time.time() + 1:.6f}")
    inclusive = call.flag("inclusive")
    found = [
        m
        for m in ws.history(channel, with_metadata=call.flag("include_all_metadata"))
        if (oldest <= Decimal(m["ts"]) <= latest)
        and (inclusive or Decimal(m["ts"]) not in (oldest, latest))
    ]
    page, next_cursor = paginate(call, found, default_limit=100)
    return {
        "messages": page,
        "has_more": bool(next_cursor),
        "pin_count": 0,
        "response_metadata": {"next_cursor": next_cursor},
    }
