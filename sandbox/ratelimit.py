"""Per-method rate limits that admit exactly the ceiling: a sliding-window log.

A limit of r calls per second admits k = ceil(r) calls in any window of k / r
seconds (for r = 50: at most 50 calls in any one second, and 50 again as soon as
the oldest leaves the window). A caller that honours Retry-After therefore runs
at the ceiling, and a caller that hammers never gets above it.
"""

from __future__ import annotations

import math
import threading
from collections import deque

import sandbox.clock as clock


class RateLimiter:
    """Admits or refuses Web API calls per method; shares the sandbox's one lock."""

    def __init__(
        self,
        lock: threading.RLock,
        limits: dict[str, float] | None = None,
        default: float | None = None,
    ) -> None:
        self._lock = lock
        self._limits: dict[str, float | None] = {}
        self._default: float | None = None
        self._admitted: dict[str, deque[float]] = {}
        for method, per_second in (limits or {}).items():
            self.set(method, per_second)
        self.set_default(default)

    def set(self, method: str, per_second: float | None) -> None:
        """Set one method's ceiling in calls per second; None makes it unlimited."""
        _check(per_second)
        with self._lock:
            self._limits[method] = per_second
            self._admitted.pop(method, None)

    def set_default(self, per_second: float | None) -> None:
        """The ceiling for methods without their own; None means unlimited."""
        _check(per_second)
        with self._lock:
            self._default = per_second

    def limits(self) -> dict:
        with self._lock:
            return {"default": self._default, "methods": dict(self._limits)}

    def admit(self, method: str, now: float | None = None) -> int | None:
        """None if the call may proceed (and counts), else the Retry-After in whole seconds."""
        with self._lock:
            per_second = self._limits.get(method, self._default)  # an explicit None: unlimited
            if per_second is None:
                return None
            now = clock.monotonic() if now is None else now
            capacity = math.ceil(per_second)
            window = capacity / per_second
            admitted = self._admitted.setdefault(method, deque())
            while admitted and admitted[0] <= now - window:
                admitted.popleft()
            if len(admitted) < capacity:
                admitted.append(now)
                return None
            return max(1, math.ceil(admitted[0] + window - now))


def _check(per_second: float | None) -> None:
    if per_second is not None and not per_second > 0:
        raise ValueError(f"rate limit must be > 0 calls per second or None, not {per_second!r}")
