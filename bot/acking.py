"""Acks first: no Slack request waits for its ack behind the work that follows other acks.

A listener's first line is `ack()`, but Bolt runs listeners on a thread pool, and the ack
goes back only once its listener has started. Measured by bench/ack_latency.py with 50
requests at once, two things delayed acks: every pool thread could be busy with the work
that follows earlier acks (database, rendering, Slack calls), so a new listener, and its
ack, queued behind them; and with many listeners computing at once, the threads sending
acks waited for the GIL. Clicks took 2.5× as long as on a bare Bolt app; reports, whose
work is heavier, 40× (p99 3.9 s: past Slack's 3 seconds).

So the pool has room to start every listener as its request arrives, and after acking a
listener waits for a turn to work: a few turns (`turns`), taken once no request is still
waiting for its ack (or after `defer` seconds, so that work is never starved), and given
back while the listener waits for Slack (Web API calls, response URLs), so that slow
Slack replies do not hold up other listeners' work. A waiting listener holds no database
connection, since listeners open their session after acking.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from typing import Any, TypeVar

from slack_bolt import App, BoltContext, BoltRequest, BoltResponse
from slack_bolt.context.ack import Ack

from settings.logs import ContextExecutor

T = TypeVar("T")


class AckFirstExecutor(ContextExecutor):
    """Bolt's listener pool: `max_workers` threads start listeners at once; after acking,
    at most `turns` of them work at a time, yielding first to requests not yet acked."""

    def __init__(
        self, *, max_workers: int, turns: int, defer: float = 0.1, thread_name_prefix: str = ""
    ) -> None:
        super().__init__(max_workers=max_workers, thread_name_prefix=thread_name_prefix)
        self.defer = defer
        self._turns = threading.BoundedSemaphore(turns)
        self._local = threading.local()
        self._unacked = 0  # requests inside Bolt whose ack has not gone back yet
        self._all_acked = threading.Condition()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        return super().submit(self._run, fn, *args, **kwargs)

    def _run(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        self._local.listener, self._local.turn = True, False
        try:
            return fn(*args, **kwargs)
        finally:
            if self._local.turn:
                self._turns.release()
            self._local.listener, self._local.turn = False, False

    @contextmanager
    def request(self) -> Iterator[None]:
        """Around one request's way through Bolt, until its ack is handed back."""
        with self._all_acked:
            self._unacked += 1
        try:
            yield
        finally:
            with self._all_acked:
                self._unacked -= 1
                if self._unacked == 0:
                    self._all_acked.notify_all()

    def acked(self) -> None:
        """After an ack: a listener running on this pool waits for its turn to work."""
        if not getattr(self._local, "listener", False) or self._local.turn:
            return  # not on this pool (process_before_response, auto-acked events)
        with self._all_acked:
            self._all_acked.wait_for(lambda: self._unacked == 0, timeout=self.defer)
        self._turns.acquire()
        self._local.turn = True

    def outside_turn(self, call: Callable[..., T]) -> Callable[..., T]:
        """`call`, giving the caller's turn back while it runs (for calls that wait on Slack)."""

        def without_turn(*args: Any, **kwargs: Any) -> T:
            if not getattr(self._local, "turn", False):
                return call(*args, **kwargs)
            self._turns.release()
            self._local.turn = False
            try:
                return call(*args, **kwargs)
            finally:
                self._turns.acquire()
                self._local.turn = True

        return without_turn


class TurnAck(Ack):
    """Bolt's `ack`; the listener calling it then waits for its turn to work."""

    def __init__(self, executor: AckFirstExecutor) -> None:
        super().__init__()
        self._executor = executor

    def __call__(self, *args: Any, **kwargs: Any) -> BoltResponse:
        response = super().__call__(*args, **kwargs)
        self._executor.acked()
        return response


class TurnTakingApp(App):
    """A Bolt `App` whose listeners ack first, then take turns to work (see above)."""

    def __init__(self, *, executor: AckFirstExecutor, **kwargs: Any) -> None:
        super().__init__(listener_executor=executor, **kwargs)
        self.turns = executor

        @self.middleware
        def take_turns(context: BoltContext, next: Callable[[], BoltResponse]) -> BoltResponse:
            context["ack"] = TurnAck(executor)
            client = context.client  # this request's own WebClient
            client.api_call = executor.outside_turn(client.api_call)  # type: ignore[method-assign]
            respond = context.respond if context.response_url else None
            if respond is not None:
                context["respond"] = executor.outside_turn(respond)
            return next()

    def dispatch(self, req: BoltRequest) -> BoltResponse:
        """Counted from arrival until the ack is handed back (or Bolt stopped waiting)."""
        with self.turns.request():
            return super().dispatch(req)
