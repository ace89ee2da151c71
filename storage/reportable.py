"""Which answers may count towards any figure a manager or HR sees.

A pulse counts once it has closed and if at least k people answered it; within it, a
question counts if at least k people answered that question. Every figure (reports, Home
dashboards, the digest and its charts, alerts, exports) is a sum of such cells, so any
difference of two figures is again a sum of cells: nobody, or k people or more. Waiting for
the close means nobody can compare a figure before and after one person answered.

One pulse per team and week (``reportable_respondents``): when a team had two pulses in a
week (an ad hoc pulse after the scheduled one closed, or old data), only the latest counts,
so no week counts a person twice (respondent keys are per pulse: the same person cannot be
recognised across two pulses).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import BindParameter, Subquery, func, or_
from sqlmodel import col, select

from storage.models import Pulse
from storage.rollup import question_sums

LOWEST_K = 3  # the config refuses a smaller minimum group size; so does this module


def closed_by(moment: dt.datetime | BindParameter[dt.datetime]) -> Any:
    """SQL condition: the pulse had closed at ``moment`` (closed early, or past its close);
    ``moment`` may be a parameter bound when a query built once runs."""
    return or_(col(Pulse.closes_at) <= moment, col(Pulse.closed_at) <= moment)


def reportable_respondents(pulses: Any, *, k: int, now: dt.datetime) -> Subquery:
    """``pulse_id``, ``people`` for the pulses among ``pulses`` (a select of pulse ids) that
    count, read off the pulses' seals (storage.seal). The counting rule every figure
    inherits, stated once, here:

    A team's week is figured from exactly one pulse: its latest pulse of that week (by
    opening time) that had closed by ``now`` with k+ respondents. Earlier pulses of that
    week are superseded, not added: respondent keys are HMAC(user, pulse), so one person
    answering two pulses cannot be recognised, and adding them would count them twice. So a
    team's ``respondents`` ≤ ``invited`` (that pulse's DMs, one per person) and participation
    ≤ 100%; a department or the org adds up its teams' weeks, each counted once. Which pulse
    counts depends only on closing times and on which pulses reached k (already public:
    reports count left-out pulses), so the choice says nothing about fewer than k people.
    """
    if k < LOWEST_K:
        raise ValueError(f"minimum group size {k} is below {LOWEST_K}")
    eligible = (
        select(
            col(Pulse.id).label("pulse_id"),
            col(Pulse.respondents).label("people"),
            func.row_number()
            .over(
                partition_by=(col(Pulse.team_id), col(Pulse.period_start)),
                order_by=(col(Pulse.opened_at).desc(), col(Pulse.id).desc()),
            )
            .label("latest"),
        )
        .where(
            col(Pulse.id).in_(pulses),
            col(Pulse.sealed_at).is_not(None),
            col(Pulse.respondents) >= k,
            closed_by(now),
        )
        .subquery("eligible")
    )
    return (
        select(eligible.c.pulse_id, eligible.c.people)
        .where(eligible.c.latest == 1)
        .subquery("reportable_respondents")
    )


def reportable_pulses(pulses: Any, *, k: int, now: dt.datetime) -> Any:
    """The ids among ``pulses`` (a select of pulse ids) that count (reportable_respondents)."""
    return select(reportable_respondents(pulses, k=k, now=now).c.pulse_id)


def reportable_sums(pulses: Any, *, k: int, now: dt.datetime) -> Subquery:
    """storage.rollup.question_sums of the reportable pulses, cells of k+ answers only."""
    sums = question_sums(reportable_pulses(pulses, k=k, now=now))
    cells: Subquery = select(*sums.c).where(sums.c.n >= k).subquery("reportable_sums")
    return cells
