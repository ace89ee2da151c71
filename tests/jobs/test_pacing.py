"""The sender runs at, not above, the workspace's ceiling, and a 429 stops every thread."""

from __future__ import annotations

import gc
import itertools
import random
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine

from bench.fanout import seed_database, seed_sandbox, tally
from bot.messages import SlackMessages
from jobs.delivery import Sender
from jobs.pacing import Pacer
from sandbox.ratelimit import RateLimiter
from sandbox.server import SandboxServer
from settings.runtime import Settings
from settings.slack import make_client


@pytest.fixture(autouse=True)
def settled_heap() -> Iterator[None]:
    """Rates here are measured over a few seconds inside the test process, where the sandbox
    also runs: keep what earlier tests left on the heap out of the garbage collector's way
    (as a fresh worker process would be), so a full collection cannot stall the sender."""
    gc.collect()
    gc.freeze()
    yield
    gc.unfreeze()


def _in_threads(count: int, target: Callable[[], None]) -> None:
    threads = [threading.Thread(target=target) for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def test_threads_share_one_evenly_spaced_rate() -> None:
    pacer = Pacer(100)
    starts: list[float] = []

    def work() -> None:
        for _ in range(10):
            with pacer.call():
                starts.append(time.monotonic())

    _in_threads(8, work)
    starts.sort()
    span = starts[-1] - starts[0]
    assert 0.79 * 0.95 < span < 0.79 * 1.3  # 80 calls, 10 ms apart
    # no burst: any six calls span five slots (50 ms). A thread descheduled between its slot
    # and reading the clock shifts one timestamp by a few ms, so pairs of neighbours can
    # look close on a loaded machine; a burst would put six calls within a few ms.
    assert min(b - a for a, b in zip(starts, starts[5:], strict=False)) > 0.03
    close = [b - a < 0.005 for a, b in itertools.pairwise(starts)]
    assert sum(close) < 8  # calls let through in pairs would make half the gaps close


def test_a_stalling_server_never_sees_more_than_the_ceiling() -> None:
    """Slack admits a call somewhere between request and reply; jitter must not bunch calls."""
    server = RateLimiter(threading.RLock(), {"chat.postMessage": 100})
    pacer = Pacer(100)
    refused: list[int] = []
    rng = random.Random(3)

    def work() -> None:
        for _ in range(25):
            with pacer.call():
                stall = 0.15 if rng.random() < 0.05 else rng.uniform(0, 0.02)
                time.sleep(stall)  # on the wire, or queued behind a stalled server
                if server.admit("chat.postMessage") is not None:
                    refused.append(1)
                time.sleep(rng.uniform(0, 0.02))

    started = time.monotonic()
    _in_threads(8, work)
    assert refused == []
    assert 200 / (time.monotonic() - started) > 0.8 * 100


def test_a_pause_holds_threads_already_waiting_for_their_slot() -> None:
    pacer = Pacer(2)  # slots 0.5 s apart
    with pacer.call():
        pass
    started: list[float] = []

    def late_caller() -> None:
        with pacer.call():  # its slot is 0.5 s away: it sleeps, then sees the pause
            started.append(time.monotonic())

    waiter = threading.Thread(target=late_caller)
    waiter.start()
    time.sleep(0.1)
    paused_at = time.monotonic()
    pacer.pause(1.0)  # another thread got a 429 with Retry-After: 1
    waiter.join()
    assert started[0] >= paused_at + 1.0 - 0.01


def test_pacing_runs_near_the_ceiling_without_429s(
    engine: Engine, settings: Settings, sandbox: SandboxServer
) -> None:
    users = seed_sandbox(sandbox.workspace, 120)
    pulse_id = seed_database(engine, users)
    sandbox.set_rate_limit("chat.postMessage", 40)
    client = make_client(settings, retries=False, timeout=5)
    sender = Sender(
        engine, client, worker="w1", k=5, messages=SlackMessages(), rate=40, concurrency=8
    )
    stats = sender.drain(pulse_id=pulse_id, timeout=30)
    assert stats.sent == 120 and tally(sandbox.workspace, users, pulse_id) == (0, 0)
    calls = sandbox.workspace.calls("chat.postMessage")
    assert [c for c in calls if c["status"] == 429] == []
    times = [c["time"] for c in calls]
    assert 119 / (max(times) - min(times)) > 0.9 * 40


def test_a_429_pauses_every_sender_thread_for_retry_after(
    engine: Engine, settings: Settings, sandbox: SandboxServer
) -> None:
    users = seed_sandbox(sandbox.workspace, 12)
    pulse_id = seed_database(engine, users)
    sandbox.set_rate_limit("chat.postMessage", 4)  # far below what the sender was told
    sender = Sender(
        engine,
        make_client(settings, retries=False),
        worker="w1",
        k=5,
        messages=SlackMessages(),
        rate=50,
        concurrency=4,
    )
    assert sender.drain(pulse_id=pulse_id, timeout=30).sent == 12
    assert tally(sandbox.workspace, users, pulse_id) == (0, 0)
    calls = sandbox.workspace.calls("chat.postMessage")
    limited = [c["time"] for c in calls if c["status"] == 429]
    assert limited  # the limit really bit
    assert len(limited) <= 4 * 3  # at most the calls already in flight, per pause
    for t in limited:  # Retry-After was at least 1 s: nobody called during it
        assert not [c for c in calls if t + 0.05 < c["time"] < t + 0.95]
