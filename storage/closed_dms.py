"""The outbox of closing DMs: once a pulse closes, each DM it sent is updated to say so.

Rows are queued by the close path (`jobs.closing`) for every sent DM of a recently closed
pulse, including a DM whose post was only recorded after the close; the primary key on
the delivery makes that at most once per DM, however often the sweep runs. Claiming works
as for deliveries (`storage.outbox`): `FOR UPDATE SKIP LOCKED` on PostgreSQL, the write
lock on SQLite, a lease for claims whose worker died, and `attempts` > 1 telling the
sender to look at the DM before updating it again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, literal
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, and_, col, select, update

from storage.claims import claim_ids
from storage.models import ClosedDm, Delivery, Employee, Pulse, UTCDateTime

PENDING, CLAIMED, DONE, FAILED = "pending", "claimed", "done", "failed"
SWEEP = dt.timedelta(hours=1)  # a DM recorded as sent this long after its close is still updated
# Updates wait a few seconds after the close, so that a click answered just before it,
# whose listener re-renders the open DM, cannot land after the closed one.
GRACE = dt.timedelta(seconds=5)


@dataclass(frozen=True)
class Claim:
    """A closing update this worker now holds: which DM, and in whose time zone."""

    delivery_id: int
    pulse_id: int
    attempts: int
    channel_id: str
    message_ts: str
    tz: str
    locale: str = ""  # the language they read the bot in (chosen, else Slack's)


def enqueue(session: Session, *, now: dt.datetime, grace: dt.timedelta | None = None) -> int:
    """Queue one update, due `grace` (default GRACE) from now, for every sent DM of a pulse
    closed within SWEEP that has none yet; returns how many were queued."""
    grace = GRACE if grace is None else grace
    source = (
        select(  # type: ignore[call-overload]
            col(Delivery.id),
            col(Delivery.pulse_id),
            literal(PENDING),
            literal(0),
            literal(now + grace, UTCDateTime()),
        )
        .join(Pulse, col(Pulse.id) == Delivery.pulse_id)
        .where(
            col(Pulse.closed_at).is_not(None),
            col(Pulse.closed_at) >= now - SWEEP,
            col(Delivery.status) == "sent",
            col(Delivery.channel_id).is_not(None),
            col(Delivery.message_ts).is_not(None),
            ~select(ClosedDm.delivery_id).where(col(ClosedDm.delivery_id) == Delivery.id).exists(),
        )
    )
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(ClosedDm)
        .from_select(["delivery_id", "pulse_id", "status", "attempts", "next_attempt_at"], source)
        .on_conflict_do_nothing()
    )
    return int(session.exec(statement).rowcount or 0)


def claim_due(
    session: Session, *, worker: str, now: dt.datetime, limit: int, lease: dt.timedelta
) -> list[Claim]:
    ids = claim_ids(
        session, ClosedDm, ClosedDm.delivery_id, worker=worker, now=now, limit=limit, lease=lease
    )
    if not ids:
        return []
    rows = session.exec(
        select(ClosedDm, Delivery, Employee)
        .join(Delivery, col(Delivery.id) == ClosedDm.delivery_id)
        .join(Employee, col(Employee.id) == Delivery.employee_id)
        .where(col(ClosedDm.delivery_id).in_(ids))
        .order_by(col(ClosedDm.delivery_id))
    ).all()
    return [
        Claim(
            c.delivery_id,
            c.pulse_id,
            c.attempts,
            d.channel_id or "",
            d.message_ts or "",
            e.tz,
            e.locale_override or e.locale,
        )
        for c, d, e in rows
    ]


def _mine(delivery_id: int, worker: str):  # type: ignore[no-untyped-def]
    return and_(
        col(ClosedDm.delivery_id) == delivery_id,
        col(ClosedDm.status) == CLAIMED,
        col(ClosedDm.claimed_by) == worker,
    )


def mark_done(session: Session, *, delivery_ids: Sequence[int], now: dt.datetime) -> None:
    """Slack shows these DMs closed; whoever claimed them, they are done."""
    if delivery_ids:
        session.exec(
            update(ClosedDm)
            .where(col(ClosedDm.delivery_id).in_(delivery_ids))
            .values(status=DONE, updated_at=now, claimed_by=None, error=None)
        )


def mark_retry(
    session: Session, *, delivery_id: int, worker: str, at: dt.datetime, error: str
) -> None:
    session.exec(
        update(ClosedDm)
        .where(_mine(delivery_id, worker))
        .values(status=PENDING, next_attempt_at=at, error=error[:200], claimed_by=None)
    )


def mark_failed(session: Session, *, delivery_id: int, worker: str, error: str) -> None:
    session.exec(
        update(ClosedDm)
        .where(_mine(delivery_id, worker))
        .values(status=FAILED, error=error[:200], claimed_by=None)
    )


def release(session: Session, *, delivery_ids: list[int], worker: str, now: dt.datetime) -> None:
    """Hand back claims this worker never tried (shutdown): not counted as attempts."""
    if delivery_ids:
        session.exec(
            update(ClosedDm)
            .where(
                col(ClosedDm.delivery_id).in_(delivery_ids),
                col(ClosedDm.status) == CLAIMED,
                col(ClosedDm.claimed_by) == worker,
            )
            .values(
                status=PENDING,
                claimed_by=None,
                next_attempt_at=now,
                attempts=col(ClosedDm.attempts) - 1,
            )
        )


def reclaim_own(session: Session, *, worker: str, now: dt.datetime) -> int:
    """A restarted worker's earlier claims, back to pending (attempts kept: checked first)."""
    result = session.exec(
        update(ClosedDm)
        .where(col(ClosedDm.status) == CLAIMED, col(ClosedDm.claimed_by) == worker)
        .values(status=PENDING, claimed_by=None, next_attempt_at=now)
    )
    return int(result.rowcount or 0)


def unfinished(session: Session, *, pulse_id: int | None = None) -> tuple[int, dt.datetime | None]:
    """How many updates still wait (pending or claimed), and when the next is due."""
    query = select(func.count(), func.min(ClosedDm.next_attempt_at)).where(
        col(ClosedDm.status).in_([PENDING, CLAIMED])
    )
    if pulse_id is not None:
        query = query.where(ClosedDm.pulse_id == pulse_id)
    count, due = session.exec(query).one()
    if isinstance(due, dt.datetime) and due.tzinfo is None:
        due = due.replace(tzinfo=dt.UTC)
    return int(count), due
