"""Keep a process's Slack calls under a rate ceiling, shared by all of its sender threads.

A 429 is expensive: Retry-After is at least a second, during which every thread must
stand still. So calls are spaced evenly at the rate (a token bucket holding one token)
rather than bursting into the limit, and a window guard makes the ceiling hold whatever
the latency: at most ceil(rate) calls in any ceil(rate)/rate seconds, counting each call
from when it is sent until one window after its reply (Slack admitted it in between), so
neither a slow thread nor a stalled server can bunch calls into one window. A 429 seen
by any thread pauses all of them. Pacing is per process (see `jobs.delivery`).
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from slack_sdk.errors import SlackApiError

T = TypeVar("T")


class Pacer:
    """Evenly spaced call slots for many threads, a window guard, and a shared pause."""

    def __init__(self, rate: float) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be > 0 calls per second, not {rate!r}")
        self.interval = 1.0 / rate
        self.capacity = math.ceil(rate)
        self.window = self.capacity / rate
        self._cond = threading.Condition()
        self._next = 0.0  # earliest start of the next slot
        self._resume = 0.0  # end of the current pause
        self._pauses = 0  # bumped by each pause, so waiting threads notice it
        self._inflight = 0
        self._finished: deque[float] = deque()  # when recent calls got their reply

    @contextmanager
    def call(self) -> Iterator[None]:
        """Block until this thread may make one call, and count it while it runs."""
        self._acquire()
        try:
            yield
        finally:
            with self._cond:
                self._inflight -= 1
                self._finished.append(time.monotonic())
                self._cond.notify_all()

    def paced(self, call: Callable[[], T]) -> T:
        """Make `call` when allowed; on a 429, pause every thread for Retry-After and retry."""
        while True:
            try:
                with self.call():
                    return call()
            except SlackApiError as exc:
                if exc.response.status_code != 429:
                    raise
                self.pause(float(exc.response.headers.get("Retry-After", 1) or 1))

    def pause(self, seconds: float) -> None:
        """Hold every thread for `seconds` from now (a 429's Retry-After), then pace again."""
        with self._cond:
            self._resume = max(self._resume, time.monotonic() + seconds)
            self._pauses += 1
            self._cond.notify_all()

    def _acquire(self) -> None:
        while True:
            with self._cond:
                now = time.monotonic()
                slot = max(now, self._next, self._resume)
                self._next = slot + self.interval
                pauses = self._pauses
            if slot > now:
                time.sleep(slot - now)
            if self._enter_window(pauses):
                return
            # a pause began while this thread waited: queue again behind it

    def _enter_window(self, pauses: int) -> bool:
        with self._cond:
            while self._pauses == pauses:
                now = time.monotonic()
                while self._finished and self._finished[0] <= now - self.window:
                    self._finished.popleft()
                if len(self._finished) + self._inflight < self.capacity:
                    self._inflight += 1
                    return True
                oldest = self._finished[0] + self.window - now if self._finished else None
                self._cond.wait(oldest)
            return False
