"""The tables of figures kept ready (figure_week, figure_node, figure_driver): read and write.

What the rows mean, when they are fresh and who writes them is figures.store's business;
this module only moves rows, one query per call.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import String, bindparam, case, delete, func, insert, type_coerce
from sqlmodel import Session, col, select

from storage.frames import rows_frame
from storage.models import CxMetric, FigureDriver, FigureNode, FigureReport, FigureWeek, Pulse, Team

NODE_COLUMNS = [
    "team",
    "period",
    "shown",
    "own",
    "mix",
    "respondents",
    "invited",
    "participation",
    "engagement",
    "engagement_se",
    "favourable_pct",
    "enps",
    "enps_n",
]
DRIVER_COLUMNS = ["team", "period", "driver", "shown", "n", "score", "se", "favourable_pct"]


@dataclass(frozen=True)
class Seals:
    """A week's sealed pulses: how many, the latest seal, the latest close among them."""

    sealed: int
    last_sealed: dt.datetime
    closed: dt.datetime


@dataclass(frozen=True)
class StoredWeek:
    sealed: int
    last_sealed: dt.datetime
    cutoff: float | None


# The queries a served report makes to name its figures, built once (a request binds only
# its values): building and keying a statement costs more than SQLite takes to answer it.
_closed = case(
    (col(Pulse.closed_at) < col(Pulse.closes_at), col(Pulse.closed_at)),
    else_=col(Pulse.closes_at),
)
_WEEK_SEALS = (
    select(
        col(Pulse.period_start),
        func.count(),
        func.max(Pulse.sealed_at),
        func.max(_closed),
    )
    .where(
        Pulse.workspace_id == bindparam("workspace_id"),
        col(Pulse.period_start) >= bindparam("start"),
        col(Pulse.period_start) <= bindparam("end"),
        col(Pulse.sealed_at).is_not(None),
    )
    .group_by(col(Pulse.period_start))
)
_STORED_WEEKS = select(
    col(FigureWeek.period),
    col(FigureWeek.sealed),
    col(FigureWeek.last_sealed),
    col(FigureWeek.cutoff),
).where(
    FigureWeek.workspace_id == bindparam("workspace_id"),
    FigureWeek.basis == bindparam("basis"),
    col(FigureWeek.period) >= bindparam("start"),
    col(FigureWeek.period) <= bindparam("end"),
)
_CX_FINGERPRINT = (
    select(  # type: ignore[call-overload]
        col(CxMetric.metric),
        func.count(),
        func.sum(CxMetric.value),
        func.sum(CxMetric.raw_value),
        func.sum(func.coalesce(CxMetric.sample_size, 0)),
        # weighted by each row's id: a re-import that moves values between weeks or teams
        # (same totals) changes these too
        func.sum(col(CxMetric.id) * CxMetric.value),
        func.sum(col(CxMetric.id) * CxMetric.raw_value),
        func.sum(col(CxMetric.id) * func.coalesce(CxMetric.sample_size, 0)),
        func.max(CxMetric.period_start),
        func.max(CxMetric.scale),
        func.max(CxMetric.cadence),
    )
    .where(
        col(CxMetric.team_id)
        == select(Team.id)
        .where(Team.workspace_id == bindparam("workspace_id"), Team.key == bindparam("team_key"))
        .scalar_subquery(),
        col(CxMetric.period_start) >= bindparam("start"),
        col(CxMetric.period_start) <= bindparam("end"),
    )
    .group_by(col(CxMetric.metric))
    .order_by(col(CxMetric.metric))
)
_KEPT_REPORT = select(FigureReport.body).where(
    FigureReport.workspace_id == bindparam("workspace_id"),
    FigureReport.token == bindparam("token"),
)


def week_seals(
    session: Session, *, workspace_id: int, start: dt.date, end: dt.date
) -> dict[dt.date, Seals]:
    """Per week in [start, end] with a sealed pulse: count, latest seal and latest close."""
    params = {"workspace_id": workspace_id, "start": start, "end": end}
    return {
        period: Seals(int(count), _aware(last), _aware(close))
        for period, count, last, close in session.exec(_WEEK_SEALS, params=params).all()
    }


def _aware(value: Any) -> dt.datetime:
    """A CASE over UTC columns comes back naive (SQLite: as text); it is UTC."""
    moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    assert isinstance(moment, dt.datetime)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def stored_weeks(
    session: Session, *, workspace_id: int, basis: str, start: dt.date, end: dt.date
) -> dict[dt.date, StoredWeek]:
    params = {"workspace_id": workspace_id, "basis": basis, "start": start, "end": end}
    return {
        period: StoredWeek(sealed, last_sealed, cutoff)
        for period, sealed, last_sealed, cutoff in session.exec(_STORED_WEEKS, params=params)
    }


def _in(column: Any, values: Collection[Any]) -> Any:
    return col(column).in_(sorted(values))


def node_rows(
    session: Session,
    *,
    workspace_id: int,
    basis: str,
    periods: Collection[dt.date],
    nodes: Collection[str] | None,
) -> pd.DataFrame:
    """Stored node-weeks of ``periods`` (for ``nodes``, or all), ordered by node and week."""
    return _rows(session, FigureNode, NODE_COLUMNS, workspace_id, basis, periods, nodes)


def driver_rows(
    session: Session,
    *,
    workspace_id: int,
    basis: str,
    periods: Collection[dt.date],
    nodes: Collection[str] | None,
) -> pd.DataFrame:
    """Stored driver cells of ``periods`` (for ``nodes``, or all), by node, week and driver."""
    return _rows(session, FigureDriver, DRIVER_COLUMNS, workspace_id, basis, periods, nodes)


def _rows(
    session: Session,
    model: type[FigureNode] | type[FigureDriver],
    columns: list[str],
    workspace_id: int,
    basis: str,
    periods: Collection[dt.date],
    nodes: Collection[str] | None,
) -> pd.DataFrame:
    """A figure table's rows as a frame (``node`` as ``team``, as Figures names it), weeks as
    datetime64[s]. SQLite hands its dates over as ISO text, parsed here in one go rather
    than row by row into ``date`` objects (a tenth of the digest's reading at 10k people)."""
    table = model.__table__  # type: ignore[union-attr]
    keys = [c for c in ("node", "period", "driver") if c in table.c]
    text = session.get_bind().dialect.name == "sqlite"

    def column(name: str) -> Any:
        found = table.c[name if name != "team" else "node"]
        return type_coerce(found, String).label(name) if text and name == "period" else found

    query = (
        select(*(column(c) for c in columns))
        .where(table.c.workspace_id == workspace_id, table.c.basis == basis)
        .where(_in(table.c.period, periods))
        .order_by(*(table.c[c] for c in keys))
    )
    if nodes is not None:
        query = query.where(_in(table.c.node, nodes))
    frame = rows_frame(session.exec(query).all(), columns)
    weeks = pd.to_datetime(frame["period"], format="%Y-%m-%d") if text else frame["period"]
    frame["period"] = pd.to_datetime(weeks).astype("datetime64[s]")
    return frame


def replace_weeks(
    session: Session,
    *,
    workspace_id: int,
    basis: str,
    weeks: Mapping[dt.date, StoredWeek],
    nodes: Sequence[Mapping[str, Any]],
    drivers: Sequence[Mapping[str, Any]],
) -> None:
    """Write ``weeks`` afresh (their rows of any other basis go too); rows keyed as stored."""
    periods = sorted(weeks)
    for model in (FigureWeek, FigureNode, FigureDriver):
        session.execute(
            delete(model).where(
                col(model.workspace_id) == workspace_id,
                col(model.period).in_(periods),
            )
        )
    keys = {"workspace_id": workspace_id, "basis": basis}
    session.execute(
        insert(FigureWeek),
        [
            {
                **keys,
                "period": p,
                "sealed": w.sealed,
                "last_sealed": w.last_sealed,
                "cutoff": w.cutoff,
            }
            for p, w in weeks.items()
        ],
    )
    for model, rows in ((FigureNode, nodes), (FigureDriver, drivers)):
        if rows:
            session.execute(insert(model), [{**keys, **row} for row in rows])


def forget_other_bases(session: Session, *, workspace_id: int, basis: str) -> None:
    """Drop weeks kept for another team tree, k or set of drivers: no reader asks for them."""
    for model in (FigureDriver, FigureNode, FigureWeek):
        session.execute(
            delete(model).where(col(model.workspace_id) == workspace_id, col(model.basis) != basis)
        )


def cx_fingerprint(
    session: Session, *, workspace_id: int, team_key: str, start: dt.date, end: dt.date
) -> list[Any]:
    """What the team's CX values of weeks [start, end] are, in a few numbers per metric:
    changed by any import that adds, replaces or removes one of them."""
    params = {"workspace_id": workspace_id, "team_key": team_key, "start": start, "end": end}
    return [[str(v) for v in row] for row in session.exec(_CX_FINGERPRINT, params=params).all()]


def kept_report(session: Session, *, workspace_id: int, token: str) -> str | None:
    params = {"workspace_id": workspace_id, "token": token}
    return session.exec(_KEPT_REPORT, params=params).first()


def keep_report(
    session: Session, *, workspace_id: int, token: str, node: str, made_at: dt.datetime, body: str
) -> None:
    session.add(
        FigureReport(workspace_id=workspace_id, token=token, node=node, made_at=made_at, body=body)
    )
    session.flush()


SEGMENT_TOKEN = "s"  # segment cuts (figures.segment_ready) are named "s…"; reports are hex
DIGEST_TOKEN = "w"  # the weekly digest (figures.digest_ready) is named "w…"
KINDS = (SEGMENT_TOKEN, DIGEST_TOKEN)


def forget_reports(
    session: Session,
    *,
    workspace_id: int,
    keep: Collection[str],
    segments: bool = False,
    kind: str | None = None,
) -> None:
    """Drop the workspace's kept reports (or, with ``segments``, its kept segment cuts; with
    ``kind``, its kept rows named so) except those named in ``keep``."""
    kind = SEGMENT_TOKEN if segments else kind
    token = col(FigureReport.token)
    named: Any
    if kind is None:
        named = ~token.startswith(SEGMENT_TOKEN) & ~token.startswith(DIGEST_TOKEN)
    else:
        named = token.startswith(kind)
    query = delete(FigureReport).where(col(FigureReport.workspace_id) == workspace_id, named)
    if keep:
        query = query.where(col(FigureReport.token).not_in(sorted(keep)))
    session.execute(query)


def closed_unsealed_in(
    session: Session, *, workspace_id: int, start: dt.date, end: dt.date, now: dt.datetime
) -> int:
    """How many pulses of weeks [start, end] had closed by ``now`` and are not sealed yet."""
    query = select(func.count()).where(
        Pulse.workspace_id == workspace_id,
        col(Pulse.period_start) >= start,
        col(Pulse.period_start) <= end,
        (col(Pulse.closes_at) <= now) | (col(Pulse.closed_at) <= now),
        col(Pulse.sealed_at).is_(None),
    )
    return int(session.exec(query).one())


def kept_segment_tokens(session: Session, *, workspace_id: int) -> set[str]:
    """The names of the workspace's kept segment cuts (figures.segment_ready)."""
    query = select(FigureReport.token).where(
        FigureReport.workspace_id == workspace_id,
        col(FigureReport.token).startswith(SEGMENT_TOKEN),
    )
    return set(session.exec(query).all())
