"""Send pulse DMs from the outbox, exactly once, through faults and rate limits.

Each delivery is claimed, then posted with the pulse id in Slack message metadata. A claim
already attempted once (a crash, a timeout after which Slack may have posted) is first
checked against the DM's history, so a retry never produces a second DM. Permanent
errors (deactivated user, DMs blocked) are recorded for HR and not retried.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine

from bot.dm import render_dm
from storage import outbox
from storage.db import session_scope
from storage.pulses import is_open, pulse_view

log = logging.getLogger("pulse.delivery")

METADATA_EVENT = "pulse_dm"
MAX_ATTEMPTS = 8
PERMANENT_ERRORS = frozenset(
    {
        "user_not_found",
        "user_disabled",
        "account_inactive",
        "messages_tab_disabled",
        "cannot_dm_bot",
        "channel_not_found",
        "is_archived",
        "invalid_blocks",
        "msg_too_long",
        "no_text",
        "not_authed",
        "invalid_auth",
        "restricted_action",
    }
)


@dataclass
class Stats:
    sent: int = 0
    failed: int = 0
    retried: int = 0
    recovered: int = 0  # found already posted by an earlier attempt


class Sender:
    def __init__(
        self,
        engine: Engine,
        client: WebClient,
        *,
        worker: str,
        k: int,
        batch: int = 25,
        lease: dt.timedelta = dt.timedelta(minutes=5),
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.engine, self.client, self.worker, self.k = engine, client, worker, k
        self.batch, self.lease, self.clock, self.sleep = batch, lease, clock, sleep
        self.stats = Stats()

    def run_once(self) -> int:
        """Claim one batch and send it; returns how many were claimed."""
        with session_scope(self.engine) as s:
            claims = outbox.claim_due(
                s, worker=self.worker, now=self.clock(), limit=self.batch, lease=self.lease
            )
        for claim in claims:
            self._send(claim)
        return len(claims)

    def drain(self, *, pulse_id: int | None = None, timeout: float = 600) -> Stats:
        """Send until nothing is left for `pulse_id` (or at all), waiting out retries."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.run_once():
                continue
            with session_scope(self.engine) as s:
                left, due = outbox.unfinished(s, pulse_id=pulse_id)
            if left == 0:
                break
            wait = 1.0 if due is None else (due - self.clock()).total_seconds()
            self.sleep(min(max(wait, 0.05), 5.0))
        return self.stats

    def _send(self, claim: outbox.Claimed) -> None:
        now = self.clock()
        with session_scope(self.engine) as s:
            view = pulse_view(s, pulse_id=claim.pulse_id)
            if view is None or not is_open(view.pulse, now):
                outbox.mark_failed(
                    s, delivery_id=claim.delivery_id, worker=self.worker, error="pulse_closed"
                )
                self.stats.failed += 1
                return
            message = render_dm(s, view=view, respondent=None, tz=claim.tz, now=now, k=self.k)
        try:
            if claim.attempts > 1 and self._already_posted(claim):
                return
            reply = self.client.chat_postMessage(
                channel=claim.slack_user_id,
                metadata={
                    "event_type": METADATA_EVENT,
                    "event_payload": {"pulse_id": claim.pulse_id},
                },
                **message,
            )
        except SlackApiError as exc:
            self._failed(claim, exc)
            return
        except OSError as exc:  # timeouts and dropped connections: Slack may have posted
            self._retry(claim, f"network: {type(exc).__name__}")
            return
        with session_scope(self.engine) as s:
            outbox.mark_sent(
                s,
                delivery_id=claim.delivery_id,
                worker=self.worker,
                channel_id=reply["channel"],
                message_ts=reply["ts"],
                now=self.clock(),
            )
        self.stats.sent += 1

    def _already_posted(self, claim: outbox.Claimed) -> bool:
        channel = claim.channel_id
        if channel is None:
            channel = self.client.conversations_open(users=claim.slack_user_id)["channel"]["id"]
        history = self.client.conversations_history(
            channel=channel, limit=50, include_all_metadata=True
        )
        for msg in history.get("messages", []):
            meta = msg.get("metadata") or {}
            payload = meta.get("event_payload") or {}
            if (
                meta.get("event_type") == METADATA_EVENT
                and payload.get("pulse_id") == claim.pulse_id
            ):
                with session_scope(self.engine) as s:
                    outbox.mark_sent(
                        s,
                        delivery_id=claim.delivery_id,
                        worker=self.worker,
                        channel_id=channel,
                        message_ts=msg["ts"],
                        now=self.clock(),
                    )
                self.stats.recovered += 1
                self.stats.sent += 1
                return True
        return False

    def _failed(self, claim: outbox.Claimed, exc: SlackApiError) -> None:
        status = exc.response.status_code
        error = str(exc.response.get("error") or f"http_{status}")
        if status == 429:
            retry_after = float(exc.response.headers.get("Retry-After", 1) or 1)
            self._retry(claim, "ratelimited", delay=retry_after, count_attempt=False)
            self.sleep(retry_after)
        elif error in PERMANENT_ERRORS:
            with session_scope(self.engine) as s:
                outbox.mark_failed(
                    s, delivery_id=claim.delivery_id, worker=self.worker, error=error
                )
            self.stats.failed += 1
            log.warning("delivery %s failed permanently: %s", claim.delivery_id, error)
        else:
            self._retry(claim, error)

    def _retry(
        self,
        claim: outbox.Claimed,
        error: str,
        *,
        delay: float | None = None,
        count_attempt: bool = True,
    ) -> None:
        if count_attempt and claim.attempts >= MAX_ATTEMPTS:
            with session_scope(self.engine) as s:
                outbox.mark_failed(
                    s,
                    delivery_id=claim.delivery_id,
                    worker=self.worker,
                    error=f"gave up after {claim.attempts} attempts: {error}",
                )
            self.stats.failed += 1
            return
        if delay is None:
            delay = min(300.0, 2.0**claim.attempts) * random.uniform(0.5, 1.0)
        with session_scope(self.engine) as s:
            outbox.mark_retry(
                s,
                delivery_id=claim.delivery_id,
                worker=self.worker,
                at=self.clock() + dt.timedelta(seconds=delay),
                error=error,
                posted_maybe=count_attempt,
            )
        self.stats.retried += 1
