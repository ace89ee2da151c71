"""CX metrics: idempotent upserts keyed by (team, metric, period), and the ``cx`` frame.

A metric row is one team's value for one week (``period_start`` is that week's Monday), kept
both normalised to 0–100 (``value``, what insights use) and as sent (``raw_value``, ``scale``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import pandas as pd
from sqlalchemy import func, or_
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from storage.models import CxMetric, Team

BATCH = 1000  # rows per executemany (one compiled statement, sent in multi-row VALUES)
CX_COLUMNS = ["team", "period", "metric", "value", "sample_size"]
UPDATED = ("value", "raw_value", "scale", "sample_size")


@dataclass(frozen=True)
class CxRow:
    """One validated, normalised metric value ready to store."""

    team_id: int
    metric: str
    period_start: dt.date
    value: float
    raw_value: float
    scale: str
    sample_size: int | None


def upsert_metrics(
    session: Session,
    *,
    workspace_id: int,
    rows: Sequence[CxRow],
    on_batch: Callable[[int], None] | None = None,
) -> int:
    """Insert new rows and overwrite changed ones; returns how many were inserted or changed.

    A row identical to the stored one is left alone (and not counted), so importing the same
    data twice changes nothing. ``on_batch`` is told how many rows each batch held (progress).
    """
    table = CxMetric.__table__  # type: ignore[attr-defined]
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    values = insert(table)
    stmt = values.on_conflict_do_update(
        index_elements=["team_id", "metric", "period_start"],
        set_={name: values.excluded[name] for name in UPDATED},
        where=or_(*(table.c[name].is_distinct_from(values.excluded[name]) for name in UPDATED)),
    ).returning(table.c.id)
    changed = 0
    for start in range(0, len(rows), BATCH):
        batch = [asdict(r) | {"workspace_id": workspace_id} for r in rows[start : start + BATCH]]
        changed += len(session.connection().execute(stmt, batch).all())
        if on_batch is not None:
            on_batch(len(batch))
    return changed


def stored_scales(session: Session, *, workspace_id: int) -> dict[tuple[str, str], str]:
    """(team key, metric) -> the scale its latest stored value was sent on."""
    latest = func.max(CxMetric.period_start)
    rows = session.exec(
        select(Team.key, CxMetric.metric, CxMetric.scale)
        .join(Team, col(Team.id) == CxMetric.team_id)
        .where(CxMetric.workspace_id == workspace_id)
        .group_by(col(Team.key), col(CxMetric.metric), col(CxMetric.scale))
        .order_by(latest)
    ).all()
    return {(team, metric): scale for team, metric, scale in rows}


def cx_frame(
    session: Session,
    *,
    workspace_id: int,
    start: dt.date,
    end: dt.date,
    team_key: str | None = None,
    metric: str | None = None,
) -> pd.DataFrame:
    """``team`` (key), ``period``, ``metric``, ``value`` (0–100), ``sample_size``, ``scale``.

    Weeks from ``start`` to ``end`` inclusive, for one team (default: every team of the
    workspace) and one metric (default: all), ordered by team, metric and period.
    """
    query = (
        select(  # type: ignore[call-overload]
            Team.key,
            CxMetric.period_start,
            CxMetric.metric,
            CxMetric.value,
            CxMetric.sample_size,
            CxMetric.scale,
        )
        .join(Team, col(Team.id) == CxMetric.team_id)
        .where(
            CxMetric.workspace_id == workspace_id,
            col(CxMetric.period_start) >= start,
            col(CxMetric.period_start) <= end,
        )
        .order_by(col(Team.key), col(CxMetric.metric), col(CxMetric.period_start))
    )
    if team_key is not None:
        query = query.where(Team.key == team_key)
    if metric is not None:
        query = query.where(CxMetric.metric == metric)
    frame = pd.DataFrame(session.exec(query).all(), columns=[*CX_COLUMNS, "scale"])
    frame["period"] = pd.to_datetime(frame["period"])
    frame["sample_size"] = frame["sample_size"].astype("Int64")
    return frame
