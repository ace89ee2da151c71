"""What `pulse status` reads: the worker's queues and pulses, counted by the database.

Counts only: no answer, comment, respondent key or person appears here. Participation of an
open pulse is left to the caller, which shows it under the report's rule (k+ answered).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import case, func, or_
from sqlmodel import Session, col, select

from storage.models import ClosedDm, Delivery, Pulse, SchedulerState, SentDigest, Team


@dataclass(frozen=True)
class OpenPulse:
    pulse_id: int
    team_key: str
    opened_at: dt.datetime
    closes_at: dt.datetime


@dataclass
class Queue:
    """One outbox: waiting rows (due now or later), claims in flight, outcomes by reason."""

    queued: int = 0
    due_now: int = 0
    next_due: dt.datetime | None = None
    claimed: int = 0
    workers: int = 0
    oldest_claim: dt.datetime | None = None
    done: int = 0
    failed: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite hands aggregates (MIN) back without the column type's time zone."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


def open_pulses(session: Session, *, workspace_id: int, now: dt.datetime) -> list[OpenPulse]:
    """Pulses open now or planned to open (not closed, closing after `now`), by team key."""
    rows = session.exec(
        select(Pulse.id, Team.key, Pulse.opened_at, Pulse.closes_at)
        .join(Team, col(Team.id) == Pulse.team_id)
        .where(
            Pulse.workspace_id == workspace_id,
            col(Pulse.closed_at).is_(None),
            col(Pulse.closes_at) > now,
        )
        .order_by(col(Team.key), col(Pulse.opened_at))
    ).all()
    return [OpenPulse(int(pid or 0), key, opened, closes) for pid, key, opened, closes in rows]


def deliveries(session: Session, *, now: dt.datetime, since: dt.datetime) -> Queue:
    """Pulse DMs: every queued and claimed one; sent, failed and skipped of recent pulses
    (still open, or closed since `since`)."""
    return _queue(session, Delivery, now=now, since=since)


def closing_updates(session: Session, *, now: dt.datetime, since: dt.datetime) -> Queue:
    """The closed-DM outbox (`storage.closed_dms`), counted the same way."""
    return _queue(session, ClosedDm, now=now, since=since)


def _queue(
    session: Session,
    table: type[Delivery] | type[ClosedDm],
    *,
    now: dt.datetime,
    since: dt.datetime,
) -> Queue:
    queue = Queue()
    status = col(table.status)
    waiting = session.exec(
        select(
            status,
            func.count(),
            func.sum(case((col(table.next_attempt_at) <= now, 1), else_=0)),
            func.min(table.next_attempt_at),
        )
        .where(status.in_(["pending", "claimed"]))
        .group_by(status)
    ).all()
    for state, count, due, first in waiting:
        if state == "pending":
            queue.queued, queue.due_now, queue.next_due = count, int(due or 0), _utc(first)
        else:
            queue.claimed = count
    if queue.claimed:
        workers, oldest = session.exec(
            select(func.count(func.distinct(table.claimed_by)), func.min(table.claimed_at)).where(
                status == "claimed"
            )
        ).one()
        queue.workers, queue.oldest_claim = int(workers), _utc(oldest)
    recent = select(Pulse.id).where(
        or_(col(Pulse.closed_at).is_(None), col(Pulse.closed_at) >= since)
    )
    outcomes = session.exec(
        select(status, table.error, func.count())
        .where(status.not_in(["pending", "claimed"]), col(table.pulse_id).in_(recent))
        .group_by(status, col(table.error))
    ).all()
    for state, error, count in outcomes:
        reason = error or "unknown"
        if state == "failed":
            queue.failed[reason] = queue.failed.get(reason, 0) + count
        elif state == "skipped":
            queue.skipped[reason] = queue.skipped.get(reason, 0) + count
        else:  # sent, done
            queue.done += count
    return queue


def planner_last_run(session: Session, *, workspace_id: int) -> dt.datetime | None:
    """When the worker's planner last ran (it runs every 5 minutes while `pulse worker` is up)."""
    state = session.get(SchedulerState, f"planner:{workspace_id}")
    return None if state is None else _utc(state.last_run_at)


def last_digest(session: Session, *, workspace_id: int) -> SentDigest | None:
    return session.exec(
        select(SentDigest)
        .where(SentDigest.workspace_id == workspace_id)
        .order_by(col(SentDigest.period_start).desc(), col(SentDigest.sent_at).desc())
    ).first()
