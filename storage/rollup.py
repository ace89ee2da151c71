"""Answer sums per (pulse, question) and respondents per pulse, whether the answers are
still stored one by one or were folded into `response_rollup` after the retention period.

Every aggregate query reads answers through these two subqueries, so reports look the
same before and after retention deletes the raw rows.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ColumnElement, Subquery, case, delete, func, insert, literal, union_all
from sqlmodel import Session, col, select, update

from storage.models import Comment, Pulse, Response, ResponseRollup

SUM_COLUMNS = ("n", "total", "total_sq", "high", "top", "low")  # high ≥ 4, top ≥ 9, low ≤ 6


def _count_if(condition: ColumnElement[bool]) -> Any:
    return func.sum(case((condition, 1), else_=0))


def _raw_sums(pulses: Any) -> Any:
    value = col(Response.value)
    return (
        select(
            col(Response.pulse_id).label("pulse_id"),
            col(Response.question_id).label("question_id"),
            func.count().label("n"),
            func.sum(value).label("total"),
            func.sum(value * value).label("total_sq"),
            _count_if(value >= 4).label("high"),
            _count_if(value >= 9).label("top"),
            _count_if(value <= 6).label("low"),
        )
        .where(col(Response.pulse_id).in_(pulses))
        .group_by(col(Response.pulse_id), col(Response.question_id))
    )


def question_sums(pulses: Any) -> Subquery:
    """pulse_id, question_id, n, total, total_sq, high, top, low for the given pulse ids."""
    r = ResponseRollup
    folded = select(
        col(r.pulse_id),
        col(r.question_id),
        col(r.n),
        col(r.total),
        col(r.total_sq),
        col(r.favourable),
        col(r.promoters),
        col(r.detractors),
    ).where(col(r.pulse_id).in_(pulses))
    return union_all(_raw_sums(pulses), folded).subquery("question_sums")


def question_means(pulses: Any) -> Subquery:
    """qid, n, mean per question over the given pulse ids (stored or folded answers)."""
    sums = question_sums(pulses)
    return (
        select(
            sums.c.question_id.label("qid"),
            func.sum(sums.c.n).label("n"),
            (func.sum(sums.c.total) * 1.0 / func.sum(sums.c.n)).label("mean"),
        )
        .group_by(sums.c.question_id)
        .subquery("question_means")
    )


def respondents(pulses: Any) -> Subquery:
    """pulse_id, people: distinct respondents per pulse (stored or folded)."""
    raw = (
        select(
            col(Response.pulse_id).label("pulse_id"),
            func.count(func.distinct(Response.respondent)).label("people"),
        )
        .where(col(Response.pulse_id).in_(pulses))
        .group_by(col(Response.pulse_id))
    )
    folded = select(col(Pulse.id), col(Pulse.folded_respondents)).where(
        col(Pulse.id).in_(pulses), col(Pulse.folded_respondents).is_not(None)
    )
    return union_all(raw, folded).subquery("respondents")


def fold(session: Session, *, pulse_id: int) -> None:
    """Replace a pulse's answers by their sums, and drop its comments (text has no sum)."""
    one = select(literal(pulse_id))
    session.exec(  # type: ignore[call-overload]
        insert(ResponseRollup).from_select(
            [
                "pulse_id",
                "question_id",
                "n",
                "total",
                "total_sq",
                "favourable",
                "promoters",
                "detractors",
            ],
            _raw_sums(one),
        )
    )
    people = select(func.count(func.distinct(Response.respondent))).where(
        Response.pulse_id == pulse_id
    )
    session.exec(
        update(Pulse)
        .where(col(Pulse.id) == pulse_id)
        .values(folded_respondents=people.scalar_subquery())
    )
    session.exec(delete(Response).where(col(Response.pulse_id) == pulse_id))
    session.exec(delete(Comment).where(col(Comment.pulse_id) == pulse_id))


def due_for_folding(session: Session, *, before: dt.datetime) -> list[int]:
    """Closed pulses that closed before `before` and still hold raw answers."""
    return [
        pid
        for pid in session.exec(
            select(Pulse.id)
            .where(col(Pulse.closes_at) < before, col(Pulse.folded_respondents).is_(None))
            .order_by(col(Pulse.id))
        )
        if pid is not None
    ]
