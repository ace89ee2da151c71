"""The segment frames figures.segment_figures reads, summed by the database (GROUP BY).

``segment_agg``: team, period, attribute, value, driver, n, total, total_sq, favourable,
promoters, detractors. ``segment_participation``: team, period, attribute, value, invited,
respondents. Over exactly the answers the team figures count (storage.reportable: the
team's latest pulse of the week closed with k+ respondents, questions with k+ answers), and
only from segment sums sealed for that pulse's seal and the current segment config
(``spec``): a cut never mixes in sums of an older seal or config.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import pandas as pd
from sqlalchemy import case, func
from sqlmodel import Session, col, select

from storage.aggregates import pulse_scope
from storage.commitments import FOLLOW_UP_DRIVER
from storage.models import CxMetric, Pulse, Question, SegmentCount, SegmentRollup, SegmentSeal, Team
from storage.reportable import reportable_respondents, reportable_sums
from storage.segment_seal import Atoms, open_atoms

SEGMENT_AGG_COLUMNS = [
    *("team", "period", "attribute", "value", "driver", "n", "total", "total_sq"),
    *("favourable", "promoters", "detractors"),
]
SEGMENT_PARTICIPATION_COLUMNS = ["team", "period", "attribute", "value", "invited", "respondents"]


def _typed(rows: list[object], columns: list[str]) -> pd.DataFrame:
    """Rows as a frame with int64 counts (PostgreSQL sums come back as Decimal)."""
    frame = pd.DataFrame(rows, columns=columns)
    frame["period"] = pd.to_datetime(frame["period"])
    text = ("team", "period", "attribute", "value", "driver")
    return frame.astype({c: "int64" for c in columns if c not in text})


def _fresh(spec: str) -> Any:
    return (col(SegmentSeal.sealed_at) == Pulse.sealed_at) & (col(SegmentSeal.spec) == spec)


def segment_agg(
    session: Session,
    *,
    workspace_id: int,
    start: dt.date,
    end: dt.date,
    k: int,
    now: dt.datetime,
    spec: str,
) -> pd.DataFrame:
    """Sums per (team, week, attribute, value, driver) of the reportable question cells."""
    pulses = pulse_scope(
        session, workspace_id=workspace_id, start=start, end=end, team_key=None, subteams=True
    )
    sums = reportable_sums(pulses, k=k, now=now)
    cells = sums.c
    s = SegmentRollup
    likert, nps = col(Question.kind) == "likert5", col(Question.kind) == "nps10"
    keys = [Team.key, Pulse.period_start, s.attribute, s.value, Question.driver]
    query = (
        select(  # type: ignore[call-overload]
            *keys,
            func.sum(s.n),
            func.sum(s.total),
            func.sum(s.total_sq),
            func.sum(case((likert, s.favourable), else_=0)),
            func.sum(case((nps, s.promoters), else_=0)),
            func.sum(case((nps, s.detractors), else_=0)),
        )
        .select_from(sums)
        .join(s, (col(s.pulse_id) == cells.pulse_id) & (col(s.question_id) == cells.question_id))
        .join(Pulse, col(Pulse.id) == cells.pulse_id)
        .join(SegmentSeal, col(SegmentSeal.pulse_id) == Pulse.id)
        .join(Question, col(Question.id) == cells.question_id)
        .join(Team, col(Team.id) == Pulse.team_id)
        .where(_fresh(spec))
        .where(col(Question.kind).in_(["likert5", "nps10"]))
        .where(col(Question.driver) != FOLLOW_UP_DRIVER)
        .group_by(*keys)
        .order_by(*keys)
    )
    return _typed(list(session.exec(query).all()), SEGMENT_AGG_COLUMNS)


def segment_participation(
    session: Session,
    *,
    workspace_id: int,
    start: dt.date,
    end: dt.date,
    k: int,
    now: dt.datetime,
    spec: str,
) -> pd.DataFrame:
    """Invited and respondents per (team, week, attribute, value) of the reportable pulses."""
    pulses = pulse_scope(
        session, workspace_id=workspace_id, start=start, end=end, team_key=None, subteams=True
    )
    answered = reportable_respondents(pulses, k=k, now=now)
    c = SegmentCount
    keys = [Team.key, Pulse.period_start, c.attribute, c.value]
    query = (
        select(*keys, func.sum(c.invited), func.sum(c.respondents))  # type: ignore[call-overload]
        .select_from(answered)
        .join(c, col(c.pulse_id) == answered.c.pulse_id)
        .join(Pulse, col(Pulse.id) == answered.c.pulse_id)
        .join(SegmentSeal, col(SegmentSeal.pulse_id) == Pulse.id)
        .join(Team, col(Team.id) == Pulse.team_id)
        .where(_fresh(spec))
        .group_by(*keys)
        .order_by(*keys)
    )
    return _typed(list(session.exec(query).all()), SEGMENT_PARTICIPATION_COLUMNS)


def fresh_seals(
    session: Session, *, workspace_id: int, start: dt.date, end: dt.date, spec: str
) -> int:
    """How many pulses of weeks [start, end] have segment sums for their seal and ``spec``."""
    query = (
        select(func.count())
        .select_from(SegmentSeal)
        .join(Pulse, col(Pulse.id) == SegmentSeal.pulse_id)
        .where(
            Pulse.workspace_id == workspace_id,
            col(Pulse.period_start) >= start,
            col(Pulse.period_start) <= end,
            _fresh(spec),
        )
    )
    return int(session.exec(query).one())


def segment_atoms(
    session: Session,
    *,
    workspace_id: int,
    start: dt.date,
    end: dt.date,
    k: int,
    now: dt.datetime,
    spec: str,
    secret: bytes | None,
    attributes: Sequence[str],
) -> dict[dt.date, dict[str, Atoms | None]]:
    """week -> team -> the atoms of the pulse its figures count (storage.segment_seal), in
    ``attributes`` order, opened in memory; None for a pulse whose atoms do not open.
    Without the secret nothing opens: no week (figures.segment_guard then shows no cell)."""
    if secret is None:
        return {}
    pulses = pulse_scope(
        session, workspace_id=workspace_id, start=start, end=end, team_key=None, subteams=True
    )
    answered = reportable_respondents(pulses, k=k, now=now)
    query = (
        select(Team.key, Pulse.period_start, Pulse.id, SegmentSeal.atoms)  # type: ignore[call-overload]
        .select_from(answered)
        .join(Pulse, col(Pulse.id) == answered.c.pulse_id)
        .join(SegmentSeal, col(SegmentSeal.pulse_id) == Pulse.id)
        .join(Team, col(Team.id) == Pulse.team_id)
        .where(_fresh(spec))
    )
    out: dict[dt.date, dict[str, Atoms | None]] = {}
    for team, period, pulse_id, sealed in session.exec(query):
        opened = open_atoms(secret, pulse_id=pulse_id, sealed=sealed, attributes=attributes)
        out.setdefault(period, {})[team] = opened
    return out


def org_cx_fingerprint(
    session: Session, *, workspace_id: int, start: dt.date, end: dt.date
) -> list[Any]:
    """What every team's CX values of weeks [start, end] are, in a few numbers per metric
    (the link by layer pools them all): changed by any import that touches one of them."""
    query = (
        select(  # type: ignore[call-overload]
            col(CxMetric.metric),
            func.count(),
            func.sum(CxMetric.value),
            func.sum(CxMetric.raw_value),
            func.sum(func.coalesce(CxMetric.sample_size, 0)),
            func.sum(CxMetric.team_id * CxMetric.value),
            # weighted by each row's id: a re-import that moves values between weeks or
            # teams (same totals) changes these too
            func.sum(col(CxMetric.id) * CxMetric.value),
            func.sum(col(CxMetric.id) * CxMetric.raw_value),
            func.sum(col(CxMetric.id) * func.coalesce(CxMetric.sample_size, 0)),
            func.max(CxMetric.period_start),
            func.max(CxMetric.scale),
            func.max(CxMetric.cadence),
        )
        .where(
            CxMetric.workspace_id == workspace_id,
            col(CxMetric.period_start) >= start,
            col(CxMetric.period_start) <= end,
        )
        .group_by(col(CxMetric.metric))
        .order_by(col(CxMetric.metric))
    )
    return [[str(v) for v in row] for row in session.exec(query).all()]
