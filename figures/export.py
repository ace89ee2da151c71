"""`pulse export`: CSVs of aggregates for HR's own analysis, never an individual answer.

Rows per week for every team, every department (its teams rolled up) and the org (``(org)``),
from the one pipeline (figures.pipeline): reportable answers only, and a figure is written only
when the one privacy rule shows it (the group's week by its respondents, each driver cell and
eNPS by their answers, engagement only when every engagement driver cell is shown); a blanked
group keeps its row with empty figures. No comments, respondent keys or per-answer rows are
read. CX values (customers' figures, not employees' answers) are exported as stored. Text cells
(team names, CX metric names) that a spreadsheet would run as a formula are written as text.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
from sqlmodel import Session

from figures import store
from figures.digest import report_now
from figures.pipeline import Figures, Window
from figures.segment_figures import segment_rows
from insights.scores import ORG
from settings.config import AppConfig
from storage.progress import Progress

TEAMS = ["team", "name", "parent", "week", "respondents", "participation_pct", "engagement", "enps"]
DRIVERS = ["team", "name", "week", "driver", "answers", "score", "favourable_pct"]
CX = ["team", "name", "week", "metric", "value", "sample_size", "scale"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def export_frames(fig: Figures, *, config: AppConfig) -> dict[str, pd.DataFrame]:
    """teams.csv, drivers.csv and cx.csv as frames of the window's loaded weeks."""
    names = {t.key: t.name for t in config.teams} | {ORG: "Whole organisation"}
    ds, scores = fig.drivers, fig.scores
    shown = ds["shown"]
    drivers = ds.assign(
        week=ds["period"].dt.date,
        name=ds["team"].map(names),
        answers=ds["n"].where(shown).astype("Int64"),
        score=ds["score"].round(1),
        favourable_pct=ds["favourable_pct"].round(1),
    )
    row_ok = scores["shown"]
    teams = scores.assign(
        name=scores["team"].map(names),
        parent=scores["team"].map(fig.tree.parents),
        week=scores["period"].dt.date,
        respondents=scores["respondents"].where(row_ok),
        participation_pct=(scores["participation"] * 100).where(row_ok).round(1),
        engagement=scores["engagement"].round(1),
        enps=scores["enps"].round(1),
    )
    cx = fig.cx.assign(name=fig.cx["team"].map(names), week=fig.cx["period"].dt.date)
    return {"teams.csv": teams[TEAMS], "drivers.csv": drivers[DRIVERS], "cx.csv": cx[CX]}


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells starting with = + - @ (or a tab or carriage return) behind an apostrophe,
    so a team named ``=HYPERLINK(…)`` opens in a spreadsheet as that text, not a formula."""
    out = frame.copy()
    for column in out.select_dtypes(include=["object", "string"]).columns:
        out[column] = out[column].map(
            lambda v: f"'{v}" if isinstance(v, str) and v.startswith(FORMULA_START) else v
        )
    return out


def write_export(
    session: Session,
    *,
    config: AppConfig,
    workspace_id: int,
    out: Path,
    weeks: int,
    now: dt.datetime,
    progress: Progress | None = None,
    secret: bytes | None = None,
) -> dict[Path, int]:
    """Write the three CSVs for the last ``weeks`` completed weeks; returns path -> rows.
    ``progress`` is told the weeks with pulses, and each read or computed (figures.store)."""
    window = Window.ending(report_now(now, config.hr.digest_timezone).date(), weeks=weeks)
    fig = store.read(
        session,
        config=config,
        workspace_id=workspace_id,
        window=window,
        closed_by=now,
        nodes=None,
        progress=progress,
    )
    frames = export_frames(fig, config=config)
    if config.segments:  # segments.csv: each node's week cut by each attribute value
        frames["segments.csv"] = segment_rows(
            session,
            fig=fig,
            config=config,
            workspace_id=workspace_id,
            closed_by=now,
            secret=secret,
        )
    out.mkdir(parents=True, exist_ok=True)
    written = {}
    for filename, frame in frames.items():
        order = ("week", "team", "driver", "metric", "segment", "value")
        frame = frame.sort_values([c for c in order if c in frame])
        spreadsheet_safe(frame).to_csv(out / filename, index=False)
        written[out / filename] = len(frame)
    return written
