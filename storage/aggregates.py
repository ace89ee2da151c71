"""The two frames insights.scores reads, computed by the database with GROUP BY.

``driver_agg``: team, period, driver, n, total, total_sq, favourable, promoters, detractors.
``participation``: team, period, invited, respondents.

Only reportable answers count (storage.reportable: closed pulses with k+ respondents, and
within them questions with k+ answers). They were summed per (pulse, question) when the pulse
was sealed at close (storage.seal, `response_rollup`); here those sums are rolled up per
team, week and driver, so neither an answer nor a delivery row is read. Scope: one team
(optionally with every team below it, rolled up under its key, unless ``subteams=False``)
or, with ``team_key=None``, each team of the workspace under its own key.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from sqlalchemy import Select, case, func
from sqlmodel import Session, col, select

from storage.commitments import FOLLOW_UP_DRIVER
from storage.frames import rows_frame
from storage.models import Pulse, Question, Team
from storage.reportable import reportable_respondents, reportable_sums

DRIVER_AGG_COLUMNS = [
    *("team", "period", "driver", "n", "total", "total_sq"),
    *("favourable", "promoters", "detractors"),
]
PARTICIPATION_COLUMNS = ["team", "period", "invited", "respondents"]


def team_ids_below(session: Session, *, workspace_id: int, team_key: str) -> list[int]:
    """The team's id and those of every team below it; [] when the team is not stored."""
    rows = session.exec(
        select(Team.id, Team.key, Team.parent_id).where(Team.workspace_id == workspace_id)
    ).all()
    found = [tid for tid, key, _ in rows if key == team_key and tid is not None]
    children: dict[int | None, list[int]] = {}
    for tid, _, parent in rows:
        children.setdefault(parent, []).append(tid)  # type: ignore[arg-type]
    for tid in found:  # grows while iterating: a breadth-first walk of the tree
        found.extend(children.get(tid, []))
    return found


def pulse_scope(
    session: Session,
    *,
    workspace_id: int,
    start: dt.date,
    end: dt.date,
    team_key: str | None,
    subteams: bool,
) -> Select[tuple[int]]:
    """The scope's pulse ids, used as ``pulse_id IN (…)``: sealed sums are then read straight
    off `response_rollup`'s primary key in pulse order."""
    query = select(Pulse.id).where(
        Pulse.workspace_id == workspace_id,
        col(Pulse.period_start) >= start,
        col(Pulse.period_start) <= end,
    )
    if team_key is not None:
        ids = team_ids_below(session, workspace_id=workspace_id, team_key=team_key)
        query = query.where(col(Pulse.team_id).in_(ids if subteams else ids[:1]))
    return query  # type: ignore[return-value]


def _frame(rows: list[Any], columns: list[str], label: str | None) -> pd.DataFrame:
    """Rows as a frame with int64 counts (PostgreSQL sums come back as Decimal)."""
    frame = rows_frame(rows, columns if label is None else columns[1:])
    if label is not None:
        frame.insert(0, "team", label)
    frame["period"] = pd.to_datetime(frame["period"])
    counts = [c for c in columns if c not in ("team", "period", "driver")]
    return frame.astype(dict.fromkeys(counts, "int64"))


def driver_agg(
    session: Session,
    *,
    workspace_id: int,
    start: dt.date,
    end: dt.date,
    k: int,
    now: dt.datetime,
    team_key: str | None = None,
    subteams: bool = True,
) -> pd.DataFrame:
    """Sums per (team, week, driver) for reportable pulses whose week starts in [start, end].

    ``favourable`` counts likert answers 4–5; ``promoters`` (9–10) and ``detractors`` (0–6)
    count 0–10 answers; each is 0 on rows of the other kind, as insights.scores expects. A
    commitment's follow-up question is no driver: its answers are reported with the commitment.
    """
    pulses = pulse_scope(
        session,
        workspace_id=workspace_id,
        start=start,
        end=end,
        team_key=team_key,
        subteams=subteams,
    )
    per_question = reportable_sums(pulses, k=k, now=now)
    likert, nps = col(Question.kind) == "likert5", col(Question.kind) == "nps10"
    pq = per_question.c
    keys = [Pulse.period_start, Question.driver]
    if team_key is None:
        keys.insert(0, Team.key)
    query = (
        select(  # type: ignore[call-overload]
            *keys,
            func.sum(pq.n),
            func.sum(pq.total),
            func.sum(pq.total_sq),
            func.sum(case((likert, pq.high), else_=0)),
            func.sum(case((nps, pq.top), else_=0)),
            func.sum(case((nps, pq.low), else_=0)),
        )
        .select_from(per_question)
        .join(Pulse, col(Pulse.id) == pq.pulse_id)
        .join(Question, col(Question.id) == pq.question_id)
        .join(Team, col(Team.id) == Pulse.team_id)
        .where(col(Question.kind).in_(["likert5", "nps10"]))
        .where(col(Question.driver) != FOLLOW_UP_DRIVER)  # not a driver: its commitment's
        .group_by(*keys)
        .order_by(*keys)
    )
    return _frame(list(session.exec(query).all()), DRIVER_AGG_COLUMNS, team_key)


def participation(
    session: Session,
    *,
    workspace_id: int,
    start: dt.date,
    end: dt.date,
    k: int,
    now: dt.datetime,
    team_key: str | None = None,
    subteams: bool = True,
) -> pd.DataFrame:
    """Invited and respondents per (team, week) over the same reportable pulses as driver_agg.

    ``invited`` counts deliveries except failed and skipped ones (a DM that was never posted
    invited nobody); ``respondents`` counts distinct respondents per pulse, summed over the week;
    both as sealed when the pulse closed (storage.seal).
    """
    scope = pulse_scope(
        session,
        workspace_id=workspace_id,
        start=start,
        end=end,
        team_key=team_key,
        subteams=subteams,
    )
    answered = reportable_respondents(scope, k=k, now=now)
    keys = [Team.key, Pulse.period_start] if team_key is None else [Pulse.period_start]
    query = (
        select(  # type: ignore[call-overload]
            *keys,
            func.sum(func.coalesce(Pulse.invited, 0)),
            func.sum(answered.c.people),
        )
        .select_from(answered)
        .join(Pulse, col(Pulse.id) == answered.c.pulse_id)
        .join(Team, col(Team.id) == Pulse.team_id)
        .group_by(*keys)
        .order_by(*keys)
    )
    return _frame(list(session.exec(query).all()), PARTICIPATION_COLUMNS, team_key)
