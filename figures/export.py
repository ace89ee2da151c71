"""`pulse export`: CSVs of aggregates for HR's own analysis, never an individual answer.

Rows per week for every team, every department (its teams rolled up) and the org (``(org)``), from
reportable answers only (storage.reportable: closed pulses with k+ respondents, questions with k+
answers). A figure is written only when the k guard allows it: the group had k+ respondents that
week and is not isolatable by subtracting shown groups (visible_groups, applied to respondents per
week, then per driver and for eNPS to their answer counts); a blanked group keeps its row with empty
figures. A team's engagement is blank when any of its driver cells is, since the shown ones and the
engagement would give the hidden one away. No comments, respondent keys or per-answer rows are read.
CX values (customers' figures, not employees' answers) are exported as stored. Text cells (team
names, CX metric names) that a spreadsheet would run as a formula are written as text.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path

import pandas as pd
from sqlmodel import Session

from figures.digest import report_now
from insights.privacy import MIN_K, visible, visible_groups
from insights.scores import ENGAGEMENT_DRIVERS, ENPS, ORG, SUMMED, driver_scores, team_period_scores
from settings.config import AppConfig
from storage.aggregates import driver_agg, participation
from storage.cx import cx_frame

TEAMS = ["team", "name", "parent", "week", "respondents", "participation_pct", "engagement", "enps"]
DRIVERS = ["team", "name", "week", "driver", "answers", "score", "favourable_pct"]
CX = ["team", "name", "week", "metric", "value", "sample_size", "scale"]
Cell = tuple[str, pd.Timestamp]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def parents_of(config: AppConfig, teams: list[str]) -> dict[str, str | None]:
    """The tree the guard walks: org → departments → teams (unknown teams hang off the org)."""
    parents: dict[str, str | None] = {t.key: t.parent or ORG for t in config.teams}
    parents.update({team: ORG for team in teams if team not in parents})
    return {**parents, ORG: None}


def rollup(
    frame: pd.DataFrame, config: AppConfig, by: list[str], summed: list[str]
) -> pd.DataFrame:
    """Each team's rows counted again under every department above it and under the org."""
    pairs = [
        (leaf, g) for leaf in frame["team"].unique() for g in {leaf, *config.ancestors(leaf), ORG}
    ]
    groups = pd.DataFrame(pairs, columns=["team", "group"])
    both = frame.merge(groups, on="team").drop(columns="team").rename(columns={"group": "team"})
    return both.groupby(["team", *by], as_index=False)[summed].sum()


def _safe(counts: Mapping[str, int], parents: Mapping[str, str | None], k: int) -> set[str]:
    """visible_groups, with a linear fast path for the usual case where nothing is unsafe."""
    shown = {g for g, n in counts.items() if visible(n, k)}
    children: dict[str, list[str]] = defaultdict(list)
    for group, parent in parents.items():
        if parent is not None:
            children[parent].append(group)
    for group in shown:
        stack, below = list(children[group]), 0
        while stack:
            child = stack.pop()
            if child in shown:
                below += counts.get(child, 0)
            else:
                stack.extend(children[child])
        if 0 < counts[group] - below < max(k, MIN_K):
            return visible_groups(counts, parents, k)
    return shown


def guard(
    counts: pd.DataFrame, parents: Mapping[str, str | None], k: int, within: set[Cell] | None
) -> set[Cell]:
    """(team, period) cells that may be shown, per period; ``within`` forces others hidden."""
    shown: set[Cell] = set()
    for period, week in counts.groupby("period"):
        n = {g: 0 for g in parents}
        for team, count in zip(week["team"], week["n"], strict=True):
            n[team] = int(count) if within is None or (team, period) in within else 0
        shown |= {(team, period) for team in _safe(n, parents, k)}
    return shown


def export_frames(
    agg: pd.DataFrame, part: pd.DataFrame, cx: pd.DataFrame, *, config: AppConfig, k: int
) -> dict[str, pd.DataFrame]:
    """teams.csv, drivers.csv and cx.csv as frames, every figure through the guard."""
    parents = parents_of(config, sorted(set(part["team"]) | set(agg["team"])))
    names = {t.key: t.name for t in config.teams} | {ORG: "Whole organisation"}
    agg = rollup(agg, config, ["period", "driver"], SUMMED)
    part = rollup(part, config, ["period"], ["invited", "respondents"])
    shown = guard(part.rename(columns={"respondents": "n"}), parents, k, None)
    ds = driver_scores(agg)
    cells = {
        (t, p, d)
        for d, rows in agg.groupby("driver")
        for t, p in guard(rows[["team", "period", "n"]], parents, k, shown)
    }
    ok = [
        (t, p, d) in cells for t, p, d in zip(ds["team"], ds["period"], ds["driver"], strict=True)
    ]
    drivers = ds.assign(
        week=ds["period"].dt.date,
        name=ds["team"].map(names),
        answers=ds["n"].where(ok).astype("Int64"),
        score=ds["score"].where(ok).round(1),
        favourable_pct=ds["favourable_pct"].where(ok).round(1),
    )
    hidden_any = {
        (t, p)
        for t, p, d, good in zip(ds["team"], ds["period"], ds["driver"], ok, strict=True)
        if not good and d in ENGAGEMENT_DRIVERS
    }
    scores = team_period_scores(agg, part)
    key = list(zip(scores["team"], scores["period"], strict=True))
    row_ok = pd.Series([c in shown for c in key], index=scores.index)
    eng_ok = row_ok & pd.Series([c not in hidden_any for c in key], index=scores.index)
    enps_ok = pd.Series([(t, p, ENPS) in cells for t, p in key], index=scores.index)
    teams = scores.assign(
        name=scores["team"].map(names),
        parent=scores["team"].map(parents),
        week=scores["period"].dt.date,
        respondents=scores["respondents"].where(row_ok),
        participation_pct=(scores["participation"] * 100).where(row_ok).round(1),
        engagement=scores["engagement"].where(eng_ok).round(1),
        enps=scores["enps"].where(enps_ok & row_ok).round(1),
    )
    cx = cx.assign(name=cx["team"].map(names), week=cx["period"].dt.date)
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
) -> dict[Path, int]:
    """Write the three CSVs for the last ``weeks`` completed weeks; returns path -> rows."""
    end = report_now(now, config.hr.digest_timezone).date()
    end -= dt.timedelta(days=end.weekday())
    start = end - dt.timedelta(weeks=weeks - 1)
    ws, k = workspace_id, config.privacy.min_group_size
    frames = export_frames(
        driver_agg(session, workspace_id=ws, start=start, end=end, k=k, now=now),
        participation(session, workspace_id=ws, start=start, end=end, k=k, now=now),
        cx_frame(session, workspace_id=ws, start=start, end=end),
        config=config,
        k=k,
    )
    out.mkdir(parents=True, exist_ok=True)
    written = {}
    for filename, frame in frames.items():
        frame = frame.sort_values([c for c in ("week", "team", "driver", "metric") if c in frame])
        spreadsheet_safe(frame).to_csv(out / filename, index=False)
        written[out / filename] = len(frame)
    return written
