"""Every Web API request the sandbox received, as tests and the benchmark inspect them.

A mixin of `Workspace`: it relies on the `lock` set by `Directory`.
"""

from __future__ import annotations

import copy
import threading
import time


class CallLog:
    """Method, decoded params, HTTP status, Slack error and injected fault of each call."""

    lock: threading.RLock

    def __init__(self) -> None:
        self._calls: list[dict] = []

    def record_call(
        self,
        method: str,
        params: dict,
        status: int,
        *,
        error: str | None = None,
        fault: str | None = None,
    ) -> None:
        """Log one request as received, with how it was answered (429s and faults included)."""
        entry = {"method": method, "params": params, "status": status, "time": time.time()}
        with self.lock:
            self._calls.append({**entry, "error": error, "fault": fault})

    def calls(self, method: str | None = None) -> list[dict]:
        """Calls in arrival order, optionally only those to one method."""
        with self.lock:
            found = [c for c in self._calls if method is None or c["method"] == method]
            return copy.deepcopy(found)

    def reset_calls(self) -> None:
        with self.lock:
            self._calls.clear()

    def call_counts(self) -> dict:
        """`{"total": n, "by_method": {method: {"200": n, "429": m}}}` for the state endpoint."""
        with self.lock:
            counts: dict[str, dict[str, int]] = {}
            for call in self._calls:
                per_status = counts.setdefault(call["method"], {})
                per_status[str(call["status"])] = per_status.get(str(call["status"]), 0) + 1
            return {"total": len(self._calls), "by_method": counts}
