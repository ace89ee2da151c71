"""Answer sums per pulse and per (pulse, question): the cells the k guard filters.

storage.aggregates rolls answers up per team and week, so a week mixes every pulse of
that week, small or not. Reports need the finer grain to leave out, before anything is
summed, each pulse answered by fewer than k people and each question answered by fewer
than k: then every figure shown is a sum of cells of k or more, and no difference of two
figures can isolate fewer than k people. Two GROUP BY queries; no answer reaches Python.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from sqlalchemy import func
from sqlmodel import Session, col, select

from storage.aggregates import NOT_INVITED
from storage.models import Delivery, Pulse, Question, Team
from storage.rollup import question_sums, respondents

PULSE_COLUMNS = ["team", "period", "pulse_id", "invited", "respondents"]
CELL_COLUMNS = [
    *("team", "period", "pulse_id", "driver", "kind"),
    *("n", "total", "total_sq", "high", "top", "low"),
]


def _scope(*, workspace_id: int, start: dt.date, end: dt.date) -> Any:
    return select(Pulse.id).where(
        Pulse.workspace_id == workspace_id,
        col(Pulse.period_start) >= start,
        col(Pulse.period_start) <= end,
    )


def pulse_counts(
    session: Session, *, workspace_id: int, start: dt.date, end: dt.date
) -> pd.DataFrame:
    """Per pulse whose week starts between start and end: team key, week, invited, respondents.

    ``invited`` leaves out failed and skipped deliveries (nobody was asked), as
    storage.aggregates.participation does.
    """
    pulses = _scope(workspace_id=workspace_id, start=start, end=end)
    invited = (
        select(Delivery.pulse_id, func.count().label("invited"))
        .where(col(Delivery.pulse_id).in_(pulses), col(Delivery.status).not_in(NOT_INVITED))
        .group_by(col(Delivery.pulse_id))
        .subquery()
    )
    answered = respondents(pulses)
    query = (
        select(  # type: ignore[call-overload]
            Team.key,
            Pulse.period_start,
            Pulse.id,
            func.coalesce(invited.c.invited, 0),
            func.coalesce(func.sum(answered.c.people), 0),
        )
        .select_from(Pulse)
        .join(Team, col(Team.id) == Pulse.team_id)
        .outerjoin(invited, invited.c.pulse_id == Pulse.id)
        .outerjoin(answered, answered.c.pulse_id == Pulse.id)
        .where(col(Pulse.id).in_(pulses))
        .group_by(col(Team.key), col(Pulse.period_start), col(Pulse.id), invited.c.invited)
    )
    return _frame(list(session.exec(query).all()), PULSE_COLUMNS)


def question_cells(
    session: Session, *, workspace_id: int, start: dt.date, end: dt.date
) -> pd.DataFrame:
    """Per (pulse, scale question): team key, week, driver, kind and the answer sums.

    ``high`` counts answers ≥ 4, ``top`` ≥ 9 and ``low`` ≤ 6 (as storage.rollup sums them);
    which of them means favourable, promoter or detractor depends on ``kind``.
    """
    sums = question_sums(_scope(workspace_id=workspace_id, start=start, end=end))
    s = sums.c
    query = (
        select(  # type: ignore[call-overload]
            Team.key,
            Pulse.period_start,
            s.pulse_id,
            Question.driver,
            Question.kind,
            *(func.sum(getattr(s, name)) for name in ("n", "total", "total_sq", "high", "top")),
            func.sum(s.low),
        )
        .select_from(sums)
        .join(Pulse, col(Pulse.id) == s.pulse_id)
        .join(Question, col(Question.id) == s.question_id)
        .join(Team, col(Team.id) == Pulse.team_id)
        .where(col(Question.kind).in_(["likert5", "nps10"]))
        .group_by(
            col(Team.key),
            col(Pulse.period_start),
            s.pulse_id,
            s.question_id,
            col(Question.driver),
            col(Question.kind),
        )
    )
    return _frame(list(session.exec(query).all()), CELL_COLUMNS)


def _frame(rows: list[tuple[object, ...]], columns: list[str]) -> pd.DataFrame:
    """Rows as a frame with int64 counts (PostgreSQL sums come back as Decimal)."""
    frame = pd.DataFrame(rows, columns=columns)
    frame["period"] = pd.to_datetime(frame["period"])
    counts = [c for c in columns if c not in ("team", "period", "driver", "kind")]
    return frame.astype(dict.fromkeys(counts, "int64"))
