"""The sandbox's clock for rate-limit windows, trigger ages and fault delays.

It reads CLOCK_MONOTONIC directly because freezegun patches `time.monotonic`
(and scans modules for references to it): a test that freezes time for the bot
must not freeze the fake Slack's rate limiter, or every call after the first
window would be refused forever.
"""

from __future__ import annotations

import time


def monotonic() -> float:
    """Seconds on the real monotonic clock, immune to freezegun."""
    if hasattr(time, "clock_gettime"):
        return time.clock_gettime(time.CLOCK_MONOTONIC)
    return time.perf_counter()  # Windows: no clock_gettime; freezegun may patch this
