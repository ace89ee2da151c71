"""The one exception sandbox state and method handlers raise for Slack-level errors."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """A Slack Web API error: the server answers `{"ok": false, "error": code, **extra}`."""

    def __init__(self, code: str, **extra: Any) -> None:
        super().__init__(code)
        self.code = code
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {"ok": False, "error": self.code, **self.extra}
