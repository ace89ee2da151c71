"""Pulses that closed with fewer than k respondents: counted, so a report can say that
answers were left out, but never summed into any figure (storage.reportable)."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Collection
from typing import Any

import pandas as pd
from sqlalchemy import BindParameter, Subquery, bindparam, func
from sqlmodel import Session, col, select

from storage.frames import rows_frame
from storage.models import Pulse, Team
from storage.reportable import closed_by
from storage.rollup import respondents


def small_pulses(
    session: Session,
    *,
    workspace_id: int,
    start: dt.date,
    end: dt.date,
    k: int,
    now: dt.datetime,
    teams: Collection[str] | None = None,
) -> pd.DataFrame:
    """``team``, ``period``, ``pulses``: closed pulses of weeks [start, end] below k respondents
    (of the teams keyed ``teams``, or all).

    Unanswered pulses count too, so the figure says nothing about how many fewer than k.
    """
    query = _small(teams is not None)
    frame = rows_frame(
        session.exec(query, params=_params(workspace_id, start, end, k, now, teams)).all(),
        ["team", "period", "pulses"],
    )
    frame["period"] = pd.to_datetime(frame["period"])
    return frame.astype({"pulses": "int64"})


def small_pulse_count(
    session: Session,
    *,
    workspace_id: int,
    start: dt.date,
    end: dt.date,
    k: int,
    now: dt.datetime,
    teams: Collection[str] | None = None,
) -> int:
    """How many pulses ``small_pulses`` lists (its ``pulses`` summed), in one number: what a
    kept report adds at every request, without building a frame."""
    params = _params(workspace_id, start, end, k, now, teams)
    return int(session.exec(_count(teams is not None), params=params).one())


def _params(
    workspace_id: int,
    start: dt.date,
    end: dt.date,
    k: int,
    now: dt.datetime,
    teams: Collection[str] | None,
) -> dict[str, Any]:
    params: dict[str, Any] = {"workspace_id": workspace_id, "start": start, "end": end}
    params |= {"k": k, "now": now}
    return params if teams is None else {**params, "teams": sorted(teams)}


# Built once (a request binds only its values): building and keying a statement costs more
# than SQLite takes to answer it.


@functools.cache
def _small(keyed: bool) -> Any:
    per_pulse = _per_pulse(keyed)
    return (
        select(Team.key, per_pulse.c.period, func.count())
        .join(per_pulse, per_pulse.c.team_id == Team.id)
        .where(per_pulse.c.people < bindparam("k"))
        .group_by(col(Team.key), per_pulse.c.period)
    )


@functools.cache
def _count(keyed: bool) -> Any:
    per_pulse = _per_pulse(keyed)
    return (
        select(func.count())
        .select_from(Team)
        .join(per_pulse, per_pulse.c.team_id == Team.id)
        .where(per_pulse.c.people < bindparam("k"))
    )


def _per_pulse(keyed: bool) -> Subquery:
    """team_id, period, people: each closed pulse of weeks [start, end] (of the teams keyed
    ``teams`` when ``keyed``)."""
    workspace_id: BindParameter[int] = bindparam("workspace_id")
    now: BindParameter[dt.datetime] = bindparam("now")
    scope = select(Pulse.id).where(
        Pulse.workspace_id == workspace_id,
        col(Pulse.period_start) >= bindparam("start"),
        col(Pulse.period_start) <= bindparam("end"),
        closed_by(now),
    )
    if keyed:
        keys: BindParameter[list[str]] = bindparam("teams", expanding=True)
        keyed_ids = select(Team.id).where(
            Team.workspace_id == workspace_id, col(Team.key).in_(keys)
        )
        scope = scope.where(col(Pulse.team_id).in_(keyed_ids))
    people = respondents(scope)
    return (
        select(
            col(Pulse.team_id).label("team_id"),
            col(Pulse.period_start).label("period"),
            func.coalesce(func.sum(people.c.people), 0).label("people"),
        )
        .select_from(Pulse)
        .outerjoin(people, people.c.pulse_id == Pulse.id)
        .where(col(Pulse.id).in_(scope))
        .group_by(col(Pulse.id), col(Pulse.team_id), col(Pulse.period_start))
        .subquery()
    )
