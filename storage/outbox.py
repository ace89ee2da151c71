"""The delivery outbox: claim due deliveries, then record how sending went.

A claim is a short transaction: `FOR UPDATE SKIP LOCKED` on PostgreSQL lets several
workers claim disjoint batches; on SQLite the whole transaction holds the write lock
(BEGIN IMMEDIATE), which makes the same statements atomic. A claim whose worker died is
reclaimed after `lease`; `attempts` > 1 tells the sender to check Slack before re-posting.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func
from sqlmodel import Session, and_, col, select, update

from storage import closed_dms
from storage.claims import claim_ids
from storage.models import Delivery, Employee, Workspace

PENDING, CLAIMED, SENT, FAILED = "pending", "claimed", "sent", "failed"
SKIPPED = "skipped"  # opted out or paused by send time: never posted


@dataclass(frozen=True)
class Claimed:
    """A delivery this worker now holds, with what sending it needs to know."""

    delivery_id: int
    pulse_id: int
    attempts: int
    slack_user_id: str
    tz: str
    workspace: str
    channel_id: str | None
    opted_out: bool = False
    paused_until: dt.date | None = None
    locale: str = ""  # the language they read the bot in (chosen, else Slack's)

    def skip_reason(self, now: dt.datetime) -> str | None:
        """Why the DM must not go now: opted out, or paused through today in their zone."""
        if self.opted_out:
            return "opted_out"
        if self.paused_until is None:
            return None
        try:
            today = now.astimezone(ZoneInfo(self.tz)).date()
        except (ZoneInfoNotFoundError, ValueError):
            today = now.date()
        return "paused" if self.paused_until >= today else None


@dataclass(frozen=True)
class Posted:
    """A DM Slack holds for a delivery: just posted, or found in the DM's history."""

    delivery_id: int
    channel_id: str
    message_ts: str


def claim_due(
    session: Session, *, worker: str, now: dt.datetime, limit: int, lease: dt.timedelta
) -> list[Claimed]:
    ids = claim_ids(
        session, Delivery, Delivery.id, worker=worker, now=now, limit=limit, lease=lease
    )
    if not ids:
        return []
    rows = session.exec(
        select(Delivery, Employee, Workspace.slack_team_id)
        .join(Employee, col(Employee.id) == Delivery.employee_id)
        .join(Workspace, col(Workspace.id) == Employee.workspace_id)
        .where(col(Delivery.id).in_(ids))
        .order_by(col(Delivery.id))
    ).all()
    return [
        Claimed(
            delivery_id=d.id,
            pulse_id=d.pulse_id,
            attempts=d.attempts,
            slack_user_id=e.slack_user_id,
            tz=e.tz,
            workspace=team,
            channel_id=d.channel_id,
            opted_out=e.opted_out,
            paused_until=e.paused_until,
            locale=e.locale_override or e.locale,
        )
        for d, e, team in rows
        if d.id is not None
    ]


def _mine(delivery_id: int, worker: str):  # type: ignore[no-untyped-def]
    return and_(
        col(Delivery.id) == delivery_id,
        col(Delivery.status) == CLAIMED,
        col(Delivery.claimed_by) == worker,
    )


def mark_sent(session: Session, *, posted: Sequence[Posted], now: dt.datetime) -> None:
    """Record DMs Slack holds, in one statement; whoever claimed them, a posted DM is sent."""
    if posted:
        session.exec(
            update(Delivery),
            params=[
                {
                    "id": p.delivery_id,
                    "status": SENT,
                    "channel_id": p.channel_id,
                    "message_ts": p.message_ts,
                    "sent_at": now,
                    "error": None,
                }
                for p in posted
            ],
        )


def mark_retry(
    session: Session,
    *,
    delivery_id: int,
    worker: str,
    at: dt.datetime,
    error: str,
    posted_maybe: bool = True,
) -> None:
    """Put a claim back for later; `posted_maybe=False` (e.g. a 429) un-counts the attempt."""
    attempts = col(Delivery.attempts) - (0 if posted_maybe else 1)
    session.exec(
        update(Delivery)
        .where(_mine(delivery_id, worker))
        .values(
            status=PENDING,
            next_attempt_at=at,
            error=error[:200],
            claimed_by=None,
            attempts=attempts,
        )
    )


def mark_failed(session: Session, *, delivery_id: int, worker: str, error: str) -> None:
    session.exec(
        update(Delivery)
        .where(_mine(delivery_id, worker))
        .values(status=FAILED, error=error[:200], claimed_by=None)
    )


def mark_skipped(session: Session, *, delivery_id: int, worker: str, reason: str) -> None:
    session.exec(
        update(Delivery)
        .where(_mine(delivery_id, worker))
        .values(status=SKIPPED, error=reason, claimed_by=None)
    )


def reclaim_own(session: Session, *, worker: str, now: dt.datetime) -> int:
    """A restarted worker takes back its previous life's claims without waiting out the lease.

    Worker names must be unique among live workers (e.g. `worker.1`). Attempts are kept, so
    each of these is checked against the DM's history before any re-send. Its claimed
    closing updates (`storage.closed_dms`) come back too.
    """
    result = session.exec(
        update(Delivery)
        .where(col(Delivery.status) == CLAIMED, col(Delivery.claimed_by) == worker)
        .values(status=PENDING, claimed_by=None, next_attempt_at=now)
    )
    return int(result.rowcount or 0) + closed_dms.reclaim_own(session, worker=worker, now=now)


def release(session: Session, *, delivery_ids: list[int], worker: str, now: dt.datetime) -> None:
    """Hand back claims this worker never tried (shutdown): not counted as attempts."""
    if delivery_ids:
        session.exec(
            update(Delivery)
            .where(
                col(Delivery.id).in_(delivery_ids),
                col(Delivery.status) == CLAIMED,
                col(Delivery.claimed_by) == worker,
            )
            .values(
                status=PENDING,
                claimed_by=None,
                next_attempt_at=now,
                attempts=col(Delivery.attempts) - 1,
            )
        )


def status_counts(session: Session, *, pulse_id: int) -> dict[str, int]:
    rows = session.exec(
        select(Delivery.status, func.count())
        .where(Delivery.pulse_id == pulse_id)
        .group_by(col(Delivery.status))
    ).all()
    return {status: count for status, count in rows}


def delivery_for(session: Session, *, pulse_id: int, employee_id: int) -> Delivery | None:
    return session.exec(
        select(Delivery).where(Delivery.pulse_id == pulse_id, Delivery.employee_id == employee_id)
    ).first()


def unfinished(session: Session, *, pulse_id: int | None = None) -> tuple[int, dt.datetime | None]:
    """How many deliveries still wait (pending or claimed), and when the next is due."""
    query = select(func.count(), func.min(Delivery.next_attempt_at)).where(
        col(Delivery.status).in_([PENDING, CLAIMED])
    )
    if pulse_id is not None:
        query = query.where(Delivery.pulse_id == pulse_id)
    count, due = session.exec(query).one()
    if isinstance(due, dt.datetime) and due.tzinfo is None:
        due = due.replace(tzinfo=dt.UTC)
    return int(count), due
