"""What every Web API method handler gets, and the registry the server dispatches on.

A handler takes a `Call` and returns the response body without `"ok"`; it raises
`ApiError` for Slack-level errors. The server adds `"ok": true` and records the call.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sandbox.errors import ApiError
from sandbox.workspace import Workspace

Handler = Callable[["Call"], dict]
METHODS: dict[str, Handler] = {}
# method -> the bot scopes of which it needs one, as Slack's method pages list them; a
# token without any of them gets `missing_scope`, with `needed` and `provided`
NEEDS: dict[str, tuple[str, ...]] = {}


def method(name: str, *needs: str) -> Callable[[Handler], Handler]:
    """Register a handler under its Slack method name (e.g. "chat.postMessage"), with the
    scopes of which a token needs one to call it (none: any bot token may)."""

    def register(handler: Handler) -> Handler:
        METHODS[name] = handler
        if needs:
            NEEDS[name] = needs
        return handler

    return register


def check_scopes(name: str, granted: list[str]) -> None:
    """Refuse as Slack does when the token holds none of the scopes the method needs."""
    needs = NEEDS.get(name, ())
    if needs and not set(needs) & set(granted):
        raise ApiError("missing_scope", needed=",".join(needs), provided=",".join(granted))


@dataclass(frozen=True)
class Call:
    """One authenticated Web API request: the workspace, decoded params, server base URL."""

    workspace: Workspace
    params: dict[str, Any]
    base: str

    def get(self, name: str, default: Any = None) -> Any:
        value = self.params.get(name)
        return default if value is None or value == "" else value

    def require(self, name: str, error: str = "invalid_arguments") -> Any:
        """A parameter Slack requires; missing means the error Slack gives for it."""
        value = self.get(name)
        if value is None:
            raise ApiError(error)
        return value

    def flag(self, name: str) -> bool:
        """Booleans arrive as true/false (JSON) or "1"/"0"/"true" (form)."""
        value = self.get(name, False)
        if isinstance(value, str):
            return value.strip().lower() in ("1", "true", "yes")
        return bool(value)

    def integer(self, name: str, default: int) -> int:
        try:
            return int(self.get(name, default))
        except (TypeError, ValueError):
            raise ApiError("invalid_arguments") from None


def paginate(call: Call, items: list, *, default_limit: int) -> tuple[list, str]:
    """Slack cursor pagination: returns one page and `next_cursor` ("" on the last page)."""
    limit = call.integer("limit", default_limit) or default_limit
    limit = max(1, min(limit, 1000))
    cursor = call.get("cursor")
    start = 0
    if cursor is not None:
        try:
            kind, _, offset = base64.b64decode(str(cursor), validate=True).decode().partition(":")
            start = int(offset)
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise ApiError("invalid_cursor") from None
        if kind != "offset" or start < 0:
            raise ApiError("invalid_cursor")
    end = start + limit
    next_cursor = base64.b64encode(f"offset:{end}".encode()).decode() if end < len(items) else ""
    return items[start:end], next_cursor
