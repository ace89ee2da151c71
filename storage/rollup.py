"""Answer sums per (pulse, question) and respondents per pulse, as sealed at close.

Every aggregate query reads answers through these subqueries, which read only what
storage.seal wrote (`response_rollup`, `pulse.respondents`), never the raw `response` rows:
figures are the same before and after retention deletes those, and an unsealed pulse (still
open) has no sums.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Subquery, func
from sqlmodel import col, select

from storage.models import Pulse, ResponseRollup

SUM_COLUMNS = ("n", "total", "total_sq", "high", "top", "low")  # high ≥ 4, top ≥ 9, low ≤ 6


def question_sums(pulses: Any) -> Subquery:
    """pulse_id, question_id, n, total, total_sq, high, top, low for the given pulse ids."""
    r = ResponseRollup
    sums: Subquery = (
        select(  # type: ignore[call-overload]
            col(r.pulse_id).label("pulse_id"),
            col(r.question_id).label("question_id"),
            col(r.n).label("n"),
            col(r.total).label("total"),
            col(r.total_sq).label("total_sq"),
            col(r.favourable).label("high"),
            col(r.promoters).label("top"),
            col(r.detractors).label("low"),
        )
        .where(col(r.pulse_id).in_(pulses))
        .subquery("question_sums")
    )
    return sums


def question_means(pulses: Any) -> Subquery:
    """qid, n, mean per question over the given pulse ids (sealed sums)."""
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
    """pulse_id, people: respondents of each sealed pulse among the given pulse ids."""
    return (
        select(col(Pulse.id).label("pulse_id"), col(Pulse.respondents).label("people"))
        .where(col(Pulse.id).in_(pulses), col(Pulse.sealed_at).is_not(None))
        .subquery("respondents")
    )
