"""Which answers may count towards any figure a manager or HR sees.

A pulse counts once it has closed and if at least k people answered it; within it, a
question counts if at least k people answered that question. Every figure (reports, Home
dashboards, the digest and its charts, alerts, exports) is a sum of such cells, so any
difference of two figures is again a sum of cells: nobody, or k people or more. Waiting for
the close means nobody can compare a figure before and after one person answered.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Subquery, func, or_
from sqlmodel import col, select

from storage.models import Pulse
from storage.rollup import question_sums, respondents

LOWEST_K = 3  # the config refuses a smaller minimum group size; so does this module


def closed_by(moment: dt.datetime) -> Any:
    """SQL condition: the pulse had closed at ``moment`` (closed early, or past its close)."""
    return or_(col(Pulse.closes_at) <= moment, col(Pulse.closed_at) <= moment)


def reportable_respondents(pulses: Any, *, k: int, now: dt.datetime) -> Subquery:
    """``pulse_id``, ``people`` for the pulses among ``pulses`` (a select of pulse ids) that
    closed by ``now`` with k+ respondents: respondents are counted once, here."""
    if k < LOWEST_K:
        raise ValueError(f"minimum group size {k} is below {LOWEST_K}")
    people = respondents(pulses)
    return (
        select(col(Pulse.id).label("pulse_id"), func.sum(people.c.people).label("people"))
        .join(people, people.c.pulse_id == Pulse.id)
        .where(closed_by(now))
        .group_by(col(Pulse.id))
        .having(func.sum(people.c.people) >= k)
        .subquery("reportable_respondents")
    )


def reportable_pulses(pulses: Any, *, k: int, now: dt.datetime) -> Any:
    """The ids among ``pulses`` (a select of pulse ids) closed by ``now`` with k+ respondents."""
    return select(reportable_respondents(pulses, k=k, now=now).c.pulse_id)


def reportable_sums(pulses: Any, *, k: int, now: dt.datetime) -> Subquery:
    """storage.rollup.question_sums of the reportable pulses, cells of k+ answers only."""
    sums = question_sums(reportable_pulses(pulses, k=k, now=now))
    return select(*sums.c).where(sums.c.n >= k).subquery("reportable_sums")
