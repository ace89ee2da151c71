"""Sealing: a closed pulse's answers become the sums every figure reads.

A sealed pulse has `sealed_at`, `respondents` (distinct respondent keys), `invited` (its DMs
that were posted: deliveries neither failed nor skipped) and one `response_rollup` row per
question answered (n, total, total_sq, favourable, promoters, detractors). storage.rollup,
storage.reportable and storage.aggregates read only those, never `response` or `delivery`.

Sealing runs in the caller's transaction, at close (jobs.closing, after storage.release has
moved the held answers out) and whenever answers are written to a pulse after that
(storage.release retrying, storage.responses.record_answer): a crash leaves a pulse sealed or
not, never half. A seal is computed from the stored answers, so sealing twice writes the same
sums. The raw `response` and `comment` rows stay for people's own view (`/pulse my-data`)
until retention purges them; a purged pulse keeps its seal and is never sealed again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, case, delete, func, insert
from sqlmodel import Session, col, select, update

from storage.conversations import drop_threads
from storage.models import Comment, Delivery, Pulse, Response, ResponseRollup

NOT_INVITED = ("failed", "skipped")  # storage.outbox: never posted, so nobody was asked
CHUNK = 500  # pulses per statement: well under any bound-parameter limit
SUMS = ("n", "total", "total_sq", "favourable", "promoters", "detractors")


def _count_if(condition: ColumnElement[bool]) -> Any:
    return func.sum(case((condition, 1), else_=0))


def _sums(pulse_ids: Sequence[int]) -> Any:
    """The pulses' stored answers per question: favourable 4–5, promoters 9–10, detractors
    0–6 (storage.aggregates keeps each only for its question kind)."""
    value = col(Response.value)
    return (
        select(  # type: ignore[call-overload]
            col(Response.pulse_id),
            col(Response.question_id),
            func.count(),
            func.sum(value),
            func.sum(value * value),
            _count_if(value >= 4),
            _count_if(value >= 9),
            _count_if(value <= 6),
        )
        .where(col(Response.pulse_id).in_(pulse_ids))
        .group_by(col(Response.pulse_id), col(Response.question_id))
    )


def seal(session: Session, *, pulse_id: int, now: dt.datetime) -> None:
    """Write the pulse's sums, respondents and invited from its stored answers and DMs,
    replacing any earlier seal; a purged pulse (raw answers gone) keeps the seal it has."""
    seal_pulses(session, pulse_ids=[pulse_id], now=now)


def seal_pulses(session: Session, *, pulse_ids: Sequence[int], now: dt.datetime) -> None:
    """seal, for many pulses: a few statements per CHUNK pulses (`pulse seed`)."""
    for start in range(0, len(pulse_ids), CHUNK):
        _seal_chunk(session, pulse_ids[start : start + CHUNK], now)


def _seal_chunk(session: Session, pulse_ids: Sequence[int], now: dt.datetime) -> None:
    locked = session.exec(  # the row locks order concurrent seals of a pulse (PostgreSQL)
        select(Pulse.id)
        .where(col(Pulse.id).in_(pulse_ids), col(Pulse.purged_at).is_(None))
        .with_for_update()
    )
    ids = [pid for pid in locked if pid is not None]
    if not ids:
        return
    session.exec(delete(ResponseRollup).where(col(ResponseRollup.pulse_id).in_(ids)))
    session.exec(insert(ResponseRollup).from_select(["pulse_id", "question_id", *SUMS], _sums(ids)))
    people = select(func.count(func.distinct(Response.respondent))).where(
        Response.pulse_id == Pulse.id
    )
    invited = select(func.count()).where(
        Delivery.pulse_id == Pulse.id, col(Delivery.status).not_in(NOT_INVITED)
    )
    session.exec(
        update(Pulse)
        .where(col(Pulse.id).in_(ids))
        .values(
            respondents=people.scalar_subquery(),
            invited=invited.scalar_subquery(),
            sealed_at=now,
        )
    )


def closed_unsealed(session: Session, *, now: dt.datetime) -> list[int]:
    """Pulses closed by ``now`` (closed early, or past their close) and not sealed yet."""
    closed = (col(Pulse.closes_at) <= now) | (col(Pulse.closed_at) <= now)
    query = select(Pulse.id).where(closed, col(Pulse.sealed_at).is_(None)).order_by(col(Pulse.id))
    return [pid for pid in session.exec(query) if pid is not None]


def seal_closed(session: Session, *, now: dt.datetime) -> list[int]:
    """Seal every pulse closed by ``now`` that is not sealed yet; returns their ids."""
    due = closed_unsealed(session, now=now)
    seal_pulses(session, pulse_ids=due, now=now)
    return due


def due_for_purge(session: Session, *, before: dt.datetime) -> list[int]:
    """Sealed pulses that closed before ``before`` and still hold raw answers or comments."""
    query = (
        select(Pulse.id)
        .where(
            col(Pulse.closes_at) < before,
            col(Pulse.sealed_at).is_not(None),
            col(Pulse.purged_at).is_(None),
        )
        .order_by(col(Pulse.id))
    )
    return [pid for pid in session.exec(query) if pid is not None]


def purge(session: Session, *, pulse_id: int, now: dt.datetime) -> None:
    """Delete a sealed pulse's raw answers and comments (text has no sum); its seal stays."""
    sealed = session.exec(select(Pulse.sealed_at).where(Pulse.id == pulse_id)).one()
    if sealed is None:
        raise ValueError(f"pulse {pulse_id} is not sealed: purging it would lose its answers")
    session.exec(delete(Response).where(col(Response.pulse_id) == pulse_id))
    gone = session.exec(select(Comment.id).where(Comment.pulse_id == pulse_id)).all()
    drop_threads(session, comment_ids=gone)  # conversations go with their comments
    session.exec(delete(Comment).where(col(Comment.pulse_id) == pulse_id))
    session.exec(update(Pulse).where(col(Pulse.id) == pulse_id).values(purged_at=now))
