"""The delivery outbox: claim due deliveries, then record how sending went.

A claim is a short transaction: `FOR UPDATE SKIP LOCKED` on PostgreSQL lets several
workers claim disjoint batches; on SQLite the whole transaction holds the write lock
(BEGIN IMMEDIATE), which makes the same statements atomic. A claim whose worker died is
reclaimed after `lease`; `attempts` > 1 tells the sender to check Slack before re-posting.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, and_, col, or_, select, update

from storage.models import Delivery, Employee, Workspace

PENDING, CLAIMED, SENT, FAILED = "pending", "claimed", "sent", "failed"


@dataclass(frozen=True)
class Claimed:
    delivery_id: int
    pulse_id: int
    attempts: int
    slack_user_id: str
    tz: str
    workspace: str
    channel_id: str | None


def claim_due(
    session: Session, *, worker: str, now: dt.datetime, limit: int, lease: dt.timedelta
) -> list[Claimed]:
    due = or_(
        and_(col(Delivery.status) == PENDING, col(Delivery.next_attempt_at) <= now),
        and_(col(Delivery.status) == CLAIMED, col(Delivery.claimed_at) < now - lease),
    )
    ids = session.exec(
        select(Delivery.id)
        .where(due)
        .order_by(col(Delivery.id))
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    if not ids:
        return []
    session.exec(
        update(Delivery)
        .where(col(Delivery.id).in_(ids))
        .values(
            status=CLAIMED,
            claimed_by=worker,
            claimed_at=now,
            attempts=col(Delivery.attempts) + 1,
        )
    )
    rows = session.exec(
        select(Delivery, Employee.slack_user_id, Employee.tz, Workspace.slack_team_id)
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
            slack_user_id=uid,
            tz=tz,
            workspace=team,
            channel_id=d.channel_id,
        )
        for d, uid, tz, team in rows
        if d.id is not None
    ]


def _mine(delivery_id: int, worker: str):  # type: ignore[no-untyped-def]
    return and_(
        col(Delivery.id) == delivery_id,
        col(Delivery.status) == CLAIMED,
        col(Delivery.claimed_by) == worker,
    )


def mark_sent(
    session: Session,
    *,
    delivery_id: int,
    worker: str,
    channel_id: str,
    message_ts: str,
    now: dt.datetime,
) -> None:
    session.exec(
        update(Delivery)
        .where(col(Delivery.id) == delivery_id)
        .values(status=SENT, channel_id=channel_id, message_ts=message_ts, sent_at=now, error=None)
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


def set_channel(session: Session, *, delivery_id: int, channel_id: str) -> None:
    session.exec(
        update(Delivery).where(col(Delivery.id) == delivery_id).values(channel_id=channel_id)
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
