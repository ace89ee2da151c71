"""Send pulse DMs from the outbox, exactly once, at the workspace's rate ceiling.

The calling thread coordinates: it claims due deliveries, renders each DM once per (pulse,
time zone), and records outcomes, one transaction per tick for the whole batch. Posting
is latency-bound, so `concurrency` threads post, sharing one `Pacer`. Each process paces
at its own `[delivery] rate_per_second`: with N worker processes, give each
floor(ceiling / N), so that the shares never sum past the workspace's ceiling.

Exactly once: every DM carries the pulse id in Slack message metadata, and a claim
attempted before (a crash, a timeout after which Slack may have posted) is checked
against the DM's history before any re-send. Permanent errors (deactivated user, DMs
blocked) are recorded for HR; people who opted out or paused are skipped, not posted.

Once a pulse closes, each DM it sent is updated, once, to show it closed (no buttons): the
same sender claims those updates from `storage.closed_dms` and makes them at the same pace.

The sender reads what a DM says; `messages` (the edge's `jobs.messages.Messages`) renders
it. Its process entry is `pulse worker --send-only` (cli.main).
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from sqlalchemy import Engine
from sqlmodel import Session

from jobs.messages import Messages
from jobs.pacing import Pacer
from jobs.posting import Outcome, Poster
from settings.i18n import language
from settings.runtime import Settings
from settings.slack import make_client
from storage import closed_dms, outbox
from storage.commitments import announced_in
from storage.db import session_scope
from storage.pulses import PulseView, is_open, pulse_view, respondent_count
from storage.questions import localized

log = logging.getLogger("pulse.delivery")

MAX_ATTEMPTS = 10  # with BACKOFF: about four minutes of failures before giving up
BACKOFF = 0.5  # seconds before the first retry, doubling after each failed attempt
TICK = 0.1  # seconds between the coordinator's transactions while sending
VIEW_TTL = 30.0  # seconds a cached pulse (and its rendered DMs) is trusted


@dataclass
class Stats:
    sent: int = 0
    failed: int = 0
    retried: int = 0
    recovered: int = 0  # found already posted by an earlier attempt (also counted as sent)
    skipped: int = 0
    updated: int = 0  # DMs updated to show their pulse closed
    update_failed: int = 0


class Sender:
    def __init__(
        self,
        engine: Engine,
        client: WebClient,
        *,
        worker: str,
        k: int,
        messages: Messages,
        rate: float = 20.0,
        concurrency: int = 4,
        lease: dt.timedelta = dt.timedelta(minutes=5),
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.engine, self.client, self.worker, self.k = engine, client, worker, k
        self.messages = messages
        self.concurrency, self.lease, self.clock = concurrency, lease, clock
        self.pacer = Pacer(rate)
        self.poster = Poster(client, self.pacer, lease)
        self.window = concurrency + math.ceil(rate / 2)  # claims in hand: ~0.5 s of sending
        self.stats = Stats()
        # keyed by (pulse, time zone, language): who reads the DM the same way
        self._dms: dict[tuple[int, str, str], tuple[float, PulseView | None, Any]] = {}
        self._closed: dict[tuple[int, str, str], dict[str, Any] | None] = {}

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        engine: Engine,
        *,
        worker: str,
        messages: Messages,
        http_timeout: int = 10,
    ) -> Sender:
        """Paced and sized by `[delivery]`, with a client that never repeats a post itself."""
        return cls(
            engine,
            make_client(settings, retries=False, timeout=http_timeout),
            worker=worker,
            k=settings.config.privacy.min_group_size,
            messages=messages,
            rate=settings.config.delivery.rate_per_second,
            concurrency=settings.config.delivery.concurrency,
        )

    def drain(
        self,
        *,
        pulse_id: int | None = None,
        timeout: float = 600,
        stop: threading.Event | None = None,
    ) -> Stats:
        """Send (and update closed DMs) until nothing is left for `pulse_id` (or at all),
        waiting out retries."""
        stop = stop or threading.Event()
        deadline = time.monotonic() + timeout
        while not stop.is_set() and time.monotonic() < deadline:
            if self.run_once(stop, deadline):
                continue
            with session_scope(self.engine) as s:
                left, due = outbox.unfinished(s, pulse_id=pulse_id)
                updates, update_due = closed_dms.unfinished(s, pulse_id=pulse_id)
            if left + updates == 0:
                break
            due = min((d for d in (due, update_due) if d is not None), default=None)
            wait_s = 1.0 if due is None else (due - self.clock()).total_seconds()
            stop.wait(min(max(wait_s, TICK), 5.0))
        return self.stats

    def run_once(self, stop: threading.Event | None = None, deadline: float = math.inf) -> int:
        """Send everything due now, paced; returns how many deliveries were claimed."""
        claimed, outcomes = 0, list[Outcome]()
        inflight: dict[Future[Outcome], outbox.Claimed | closed_dms.Claim] = {}
        with ThreadPoolExecutor(self.concurrency, thread_name_prefix="pulse-send") as pool:
            while True:
                halt = (stop is not None and stop.is_set()) or time.monotonic() > deadline
                if halt:  # hand back what no thread has started
                    for future in [f for f in inflight if f.cancel()]:
                        outcomes.append(Outcome("released", inflight.pop(future)))
                room = 0 if halt else self.window - len(inflight)
                now = self.clock()
                batch = self._exchange(outcomes, room, now)
                claimed, outcomes = claimed + len(batch), []
                for claim, dm in batch:
                    if isinstance(claim, closed_dms.Claim):
                        if dm is None:
                            outcomes.append(Outcome("failed", claim, error="pulse_gone"))
                        else:
                            mono = time.monotonic()
                            inflight[pool.submit(self.poster.close, claim, dm, mono)] = claim
                        continue
                    skip = claim.skip_reason(now)
                    if skip is not None:
                        outcomes.append(Outcome("skipped", claim, error=skip))
                    elif dm is None:
                        outcomes.append(Outcome("failed", claim, error="pulse_closed"))
                    else:
                        mono = time.monotonic()
                        inflight[pool.submit(self.poster.deliver, claim, dm, mono)] = claim
                if not inflight and not outcomes and not batch:
                    return claimed
                done, _ = wait(list(inflight), timeout=TICK)
                for future in done:
                    del inflight[future]
                    outcomes.append(future.result())

    def _exchange(
        self, outcomes: list[Outcome], room: int, now: dt.datetime
    ) -> list[tuple[outbox.Claimed | closed_dms.Claim, dict[str, Any] | None]]:
        """One transaction: record finished sends, then claim up to `room` more (DMs to
        post first, then closed DMs to update)."""
        if not outcomes and room <= 0:
            return []
        with session_scope(self.engine) as s:
            self._record(s, outcomes, now)
            if room <= 0:
                return []
            claims = outbox.claim_due(s, worker=self.worker, now=now, limit=room, lease=self.lease)
            batch: list[tuple[outbox.Claimed | closed_dms.Claim, dict[str, Any] | None]]
            batch = [(c, self._dm(s, c, now)) for c in claims]
            if len(batch) < room:
                updates = closed_dms.claim_due(
                    s, worker=self.worker, now=now, limit=room - len(batch), lease=self.lease
                )
                batch += [(u, self._closed_dm(s, u)) for u in updates]
            return batch

    def _dm(self, s: Session, claim: outbox.Claimed, now: dt.datetime) -> dict[str, Any] | None:
        """This pulse's DM in this time zone, rendered once per VIEW_TTL; None once closed."""
        key = (claim.pulse_id, claim.tz, language(claim.locale))
        loaded_at, view, dm = self._dms.get(key, (-math.inf, None, None))
        if time.monotonic() - loaded_at > VIEW_TTL:
            view = pulse_view(s, pulse_id=claim.pulse_id)
            if view is not None:
                promises = [c.text for c in announced_in(s, pulse_id=claim.pulse_id)]
                dm = self.messages.pulse_dm(
                    view=view,
                    commitments=promises,
                    tz=claim.tz,
                    now=now,
                    k=self.k,
                    locale=claim.locale,
                )
            self._dms[key] = (time.monotonic(), view, dm)
        return dm if view is not None and is_open(view.pulse, now) else None

    def _closed_dm(self, s: Session, claim: closed_dms.Claim) -> dict[str, Any] | None:
        """The closed DM of this pulse in this time zone (final, so rendered once)."""
        key = (claim.pulse_id, claim.tz, language(claim.locale))
        if key not in self._closed:
            if len(self._closed) > 1000:
                self._closed.clear()
            view = pulse_view(s, pulse_id=claim.pulse_id)
            closed_at = view.pulse.closed_at if view is not None else None
            self._closed[key] = (
                None
                if view is None or closed_at is None
                else self.messages.closed_dm(
                    team_name=view.team_name,
                    questions=[localized(q, language(claim.locale))[0] for q in view.questions],
                    closed_at=closed_at,
                    tz=claim.tz,
                    respondents=respondent_count(s, pulse_id=claim.pulse_id),
                    k=self.k,
                    locale=claim.locale,
                )
            )
        return self._closed[key]

    def _record(self, s: Session, outcomes: list[Outcome], now: dt.datetime) -> None:
        """Write one tick's outcomes: the sent rows in one statement, the rare rest one by one."""
        updates = [o for o in outcomes if isinstance(o.claim, closed_dms.Claim)]
        if updates:
            self._record_updates(s, updates, now)
            outcomes = [o for o in outcomes if not isinstance(o.claim, closed_dms.Claim)]
        posted = [o for o in outcomes if o.kind in ("sent", "recovered")]
        outbox.mark_sent(
            s,
            posted=[outbox.Posted(o.claim.delivery_id, o.channel_id, o.message_ts) for o in posted],
            now=now,
        )
        released = [o.claim.delivery_id for o in outcomes if o.kind == "released"]
        outbox.release(s, delivery_ids=released, worker=self.worker, now=now)
        self.stats.sent += len(posted)
        self.stats.recovered += sum(1 for o in posted if o.kind == "recovered")
        for o in outcomes:
            delivery_id, worker = o.claim.delivery_id, self.worker
            if o.kind == "skipped":
                outbox.mark_skipped(s, delivery_id=delivery_id, worker=worker, reason=o.error)
                self.stats.skipped += 1
            elif o.kind == "retry" and o.claim.attempts < MAX_ATTEMPTS:
                delay = min(300.0, BACKOFF * 2 ** (o.claim.attempts - 1)) * random.uniform(0.5, 1)
                at = now + dt.timedelta(seconds=delay)
                outbox.mark_retry(s, delivery_id=delivery_id, worker=worker, at=at, error=o.error)
                self.stats.retried += 1
            elif o.kind in ("retry", "failed"):
                error = o.error if o.kind == "failed" else f"gave up: {o.error}"
                outbox.mark_failed(s, delivery_id=delivery_id, worker=worker, error=error)
                self.stats.failed += 1
                log.warning("delivery %s failed: %s", delivery_id, error)

    def _record_updates(self, s: Session, outcomes: list[Outcome], now: dt.datetime) -> None:
        """Closing updates: done in one statement, the rest as for DMs, without skipping."""
        done = [o.claim.delivery_id for o in outcomes if o.kind in ("sent", "recovered")]
        closed_dms.mark_done(s, delivery_ids=done, now=now)
        self.stats.updated += len(done)
        released = [o.claim.delivery_id for o in outcomes if o.kind == "released"]
        closed_dms.release(s, delivery_ids=released, worker=self.worker, now=now)
        for o in outcomes:
            delivery_id, worker = o.claim.delivery_id, self.worker
            if o.kind == "retry" and o.claim.attempts < MAX_ATTEMPTS:
                delay = min(300.0, BACKOFF * 2 ** (o.claim.attempts - 1)) * random.uniform(0.5, 1)
                at = now + dt.timedelta(seconds=delay)
                closed_dms.mark_retry(
                    s, delivery_id=delivery_id, worker=worker, at=at, error=o.error
                )
            elif o.kind in ("retry", "failed"):
                error = o.error if o.kind == "failed" else f"gave up: {o.error}"
                closed_dms.mark_failed(s, delivery_id=delivery_id, worker=worker, error=error)
                self.stats.update_failed += 1
                log.warning("closing update of delivery %s failed: %s", delivery_id, error)


def send_until_stopped(sender: Sender, *, stop: threading.Event, until_idle: bool = False) -> Stats:
    """A sender process's loop: drain, look again each second, until `stop` is set (or, with
    `until_idle`, until nothing is left to send)."""
    while not stop.is_set():
        sender.drain(timeout=math.inf, stop=stop)
        if until_idle:
            break
        stop.wait(1.0)
    return sender.stats
