"""CX metric rows: one per team, metric and week; the same data twice changes nothing."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine
from sqlmodel import col, select

from storage.cx import CX_COLUMNS, CxRow, cx_frame, stored_scales, upsert_metrics
from storage.db import session_scope
from storage.models import CxMetric
from tests.factories import org

MONDAY = dt.date(2026, 11, 16)


def rows(team_id: int, values: list[float], *, scale: str = "0-100") -> list[CxRow]:
    return [
        CxRow(team_id, "csat", MONDAY + dt.timedelta(weeks=i), v, v, scale, 100 + i)
        for i, v in enumerate(values)
    ]


def stored(engine: Engine) -> list[tuple]:
    with session_scope(engine) as s:
        found = s.exec(select(CxMetric).order_by(col(CxMetric.period_start))).all()
        return [
            (m.metric, m.period_start, m.value, m.raw_value, m.scale, m.sample_size) for m in found
        ]


def test_upsert_counts_only_new_or_changed_rows(engine: Engine) -> None:
    ids = org(engine)
    with session_scope(engine) as s:
        assert (
            upsert_metrics(s, workspace_id=ids["workspace"], rows=rows(ids["team"], [80, 82])) == 2
        )
    first = stored(engine)
    with session_scope(engine) as s:
        assert (
            upsert_metrics(s, workspace_id=ids["workspace"], rows=rows(ids["team"], [80, 82])) == 0
        )
    assert stored(engine) == first
    with session_scope(engine) as s:
        assert (
            upsert_metrics(s, workspace_id=ids["workspace"], rows=rows(ids["team"], [80, 85])) == 1
        )
    assert [r[2] for r in stored(engine)] == [80, 85]


def test_batches_report_progress_and_all_land(engine: Engine) -> None:
    ids = org(engine)
    seen: list[int] = []
    many = rows(ids["team"], [50.0 + i % 40 for i in range(2500)])
    with session_scope(engine) as s:
        written = upsert_metrics(s, workspace_id=ids["workspace"], rows=many, on_batch=seen.append)
    assert written == 2500 and seen == [1000, 1000, 500]


def test_the_cx_frame_and_the_scale_each_series_was_stored_on(engine: Engine) -> None:
    ids = org(engine)
    other = org(engine, team_key="success")["team"]
    with session_scope(engine) as s:
        upsert_metrics(s, workspace_id=ids["workspace"], rows=rows(ids["team"], [80, 82, 84]))
        upsert_metrics(s, workspace_id=ids["workspace"], rows=rows(other, [90], scale="1-5"))
    with session_scope(engine) as s:
        scales = stored_scales(s, workspace_id=ids["workspace"])
        frame = cx_frame(
            s,
            workspace_id=ids["workspace"],
            start=MONDAY + dt.timedelta(weeks=1),
            end=MONDAY + dt.timedelta(weeks=2),
            team_key="support",
        )
        everyone = cx_frame(s, workspace_id=ids["workspace"], start=MONDAY, end=MONDAY)
    assert scales == {("support", "csat"): "0-100", ("success", "csat"): "1-5"}
    assert frame.columns.tolist() == [*CX_COLUMNS, "scale", "cadence"]
    assert frame[["team", "value", "sample_size"]].values.tolist() == [
        ["support", 82.0, 101],
        ["support", 84.0, 102],
    ]
    assert str(frame["period"].dtype).startswith("datetime64")
    assert everyone["team"].tolist() == ["success", "support"]
