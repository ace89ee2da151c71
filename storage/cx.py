"""CX metrics: idempotent upserts keyed by (team, metric, period), and the ``cx`` frame.

A metric row is one team's value for one period (``period_start`` is its first day, ``cadence``
weekly, monthly or quarterly, see storage.cx_periods), kept
both normalised to 0–100 (``value``, what insights use) and as sent (``raw_value``, ``scale``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Sequence
from dataclasses import asdict, dataclass

import pandas as pd
from sqlalchemy import func, or_
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from storage.frames import rows_frame
from storage.models import CxMetric, CxResponseSeen, Team

BATCH = 1000  # rows per executemany (one compiled statement, sent in multi-row VALUES)
CX_COLUMNS = ["team", "period", "metric", "value", "sample_size"]
UPDATED = ("value", "raw_value", "scale", "sample_size", "cadence")
KEYS_BATCH = 1000  # response key hashes per statement


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
    cadence: str = "weekly"


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


def stored_series(session: Session, *, workspace_id: int) -> dict[tuple[str, str], str]:
    """(team key, metric) -> the cadence its stored values have (one per series)."""
    rows = session.exec(
        select(Team.key, CxMetric.metric, CxMetric.cadence)
        .join(Team, col(Team.id) == CxMetric.team_id)
        .where(CxMetric.workspace_id == workspace_id)
        .distinct()
    ).all()
    return {(team, metric): cadence for team, metric, cadence in rows}


def team_cadences(session: Session, *, workspace_id: int, team_key: str) -> dict[str, str]:
    """metric -> the cadence of one team's stored values (one per series), read off the
    (team, metric, period) unique index: a series config.toml does not declare has the
    period its rows were imported or pushed with."""
    team = (
        select(Team.id)
        .where(Team.workspace_id == workspace_id, Team.key == team_key)
        .scalar_subquery()
    )
    # by the team's id, not a join: the planner then reads the team's rows off the unique
    # index instead of scanning every CX value of the workspace
    rows = session.exec(
        select(CxMetric.metric, CxMetric.cadence).where(col(CxMetric.team_id) == team).distinct()
    ).all()
    return dict(rows)


@dataclass(frozen=True)
class Stored:
    """What a period already holds, so newly counted responses can be added to it."""

    raw_value: float
    scale: str
    sample_size: int | None
    cadence: str


def stored_values(
    session: Session, *, workspace_id: int, metric: str, periods: Sequence[tuple[int, dt.date]]
) -> dict[tuple[int, dt.date], Stored]:
    """(team id, period_start) -> its stored row, for the given periods of one metric."""
    out: dict[tuple[int, dt.date], Stored] = {}
    by_team: dict[int, list[dt.date]] = {}
    for team_id, start in periods:
        by_team.setdefault(team_id, []).append(start)
    for team_id, starts in by_team.items():
        for first in range(0, len(starts), KEYS_BATCH):
            rows = session.exec(
                select(  # type: ignore[call-overload]
                    CxMetric.period_start,
                    CxMetric.raw_value,
                    CxMetric.scale,
                    CxMetric.sample_size,
                    CxMetric.cadence,
                ).where(
                    CxMetric.workspace_id == workspace_id,
                    CxMetric.team_id == team_id,
                    CxMetric.metric == metric,
                    col(CxMetric.period_start).in_(starts[first : first + KEYS_BATCH]),
                )
            ).all()
            for start, raw, scale, size, cadence in rows:
                out[team_id, start] = Stored(raw, scale, size, cadence)
    return out


def claim_responses(
    session: Session, *, workspace_id: int, source: str, keys: Sequence[int]
) -> set[int]:
    """Record response key hashes; returns those not recorded before (the ones to count).

    Within the caller's transaction, so a failed or dry-run import forgets its claims; a key
    repeated in ``keys`` is returned once at most."""
    table = CxResponseSeen.__table__  # type: ignore[attr-defined]
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    stmt = insert(table).on_conflict_do_nothing().returning(table.c.key)
    unique = list(dict.fromkeys(keys))
    new: set[int] = set()
    for first in range(0, len(unique), KEYS_BATCH):
        batch = [
            {"workspace_id": workspace_id, "source": source, "key": key}
            for key in unique[first : first + KEYS_BATCH]
        ]
        new.update(row[0] for row in session.connection().execute(stmt, batch))
    return new


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
    team_keys: Collection[str] | None = None,
) -> pd.DataFrame:
    """``team`` (key), ``period``, ``metric``, ``value`` (0–100), ``sample_size``, ``scale``,
    ``cadence`` (weekly, monthly, quarterly; ``period`` is the period's first day).

    Periods starting from ``start`` to ``end`` inclusive, for one team (default: every team of the
    workspace) and one metric (default: all), ordered by team, metric and period.
    ``team_keys``: these teams only, in one query, ordered by team as Python sorts keys
    (the rows one ``team_key`` query per sorted key would give, concatenated).
    """
    query = (
        select(  # type: ignore[call-overload]
            Team.key,
            CxMetric.period_start,
            CxMetric.metric,
            CxMetric.value,
            CxMetric.sample_size,
            CxMetric.scale,
            CxMetric.cadence,
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
    if team_keys is not None:
        query = query.where(col(Team.key).in_(sorted(team_keys)))
    rows = session.exec(query).all()
    if team_keys is not None:  # the database's collation may order keys otherwise
        rows = sorted(rows, key=lambda row: row[0])  # stable: metric, period kept per team
    frame = rows_frame(rows, [*CX_COLUMNS, "scale", "cadence"])
    frame["period"] = pd.to_datetime(frame["period"])
    frame["sample_size"] = frame["sample_size"].astype("Int64")
    return frame
