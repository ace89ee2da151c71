"""Faults injected into Web API methods at runtime, to test how the bot survives Slack.

Kinds: `http_500` / `http_503` (server error, nothing stored), `timeout_before`
(sleep, then answer without applying the call), `timeout_after` (apply the call,
then sleep: Slack delivered a message the client never heard about), and
`error:<code>` (`{"ok": false, "error": code}`, nothing stored).
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field

KINDS = ("http_500", "http_503", "timeout_before", "timeout_after")
ANY_METHOD = "*"


@dataclass
class Fault:
    """One armed fault; `times=None` fires forever, each firing with `probability`."""

    method: str
    kind: str
    times: int | None = 1
    probability: float = 1.0
    delay: float = 5.0
    seed: int | None = None
    fired: int = 0
    rng: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.kind not in KINDS and not (self.kind.startswith("error:") and self.kind[6:]):
            raise ValueError(f"unknown fault kind {self.kind!r}: use {KINDS} or 'error:<code>'")
        if self.times is not None and self.times < 1:
            raise ValueError("times must be >= 1 or None (forever)")
        if not 0.0 <= self.probability <= 1.0:
            raise ValueError("probability must be between 0 and 1")
        if self.delay < 0:
            raise ValueError("delay must be >= 0 seconds")
        self.rng = random.Random(self.seed)

    @property
    def error_code(self) -> str | None:
        return self.kind[6:] if self.kind.startswith("error:") else None

    def describe(self) -> dict:
        names = ("method", "kind", "times", "probability", "delay", "seed", "fired")
        return {name: getattr(self, name) for name in names}


class FaultInjector:
    """The armed faults; `draw` decides, per call, which one (if any) fires."""

    def __init__(self, lock: threading.RLock) -> None:
        self._lock = lock
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def faults(self) -> list[dict]:
        with self._lock:
            return [f.describe() for f in self._faults]

    def draw(self, method: str) -> Fault | None:
        """The first armed fault for `method` (or "*") that fires now; spent ones are dropped."""
        with self._lock:
            for fault in self._faults:
                if fault.method not in (method, ANY_METHOD):
                    continue
                if fault.probability < 1.0 and fault.rng.random() >= fault.probability:
                    continue
                fault.fired += 1
                if fault.times is not None and fault.fired >= fault.times:
                    self._faults.remove(fault)
                return fault
            return None
