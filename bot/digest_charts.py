"""The digest's chart images: engagement against CX over time, and drivers by team.

Only reportable answers (storage.reportable) reach a chart: org weeks with k+ respondents, and
heatmap cells from k+ answers of a group nameable in that week (bot.digest.shown_groups); other
cells are NaN, drawn grey as hidden. Past ``MAX_HEATMAP_ROWS`` teams the heatmap rolls teams up into
their top-level department, which keeps it readable (and departments are larger groups, so the guard
hides less).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd
from sqlmodel import Session

from bot.analytics import OrgInsights
from bot.charts import heatmap_chart, trend_chart
from bot.config import AppConfig
from insights.privacy import visible
from insights.scores import ENGAGEMENT_DRIVERS, SUMMED, driver_scores
from storage.aggregates import driver_agg, participation
from storage.cx import cx_frame

MAX_HEATMAP_ROWS = 40
HEATMAP_WEEKS = 4  # rotation covers every driver within about three weeks


@dataclass(frozen=True)
class Chart:
    filename: str
    title: str
    png: bytes


def charts(
    session: Session,
    *,
    org: OrgInsights,
    config: AppConfig,
    workspace_id: int,
    labels: Mapping[str, str],
    now: dt.datetime,
) -> list[Chart]:
    """Zero to two PNG charts for the week ``org.period``, from pulses closed by ``now``."""
    if org.period is None:
        return []
    week = org.period.date()
    out = []
    series = trend_series(session, org=org, workspace_id=workspace_id)
    if series.get("Engagement"):
        title = f"Engagement and CX, {len(org.scores)} weeks to {week:%d %b %Y}"
        png = trend_chart(series, title=title, y_label="score (0–100)")
        out.append(Chart(f"engagement-cx-{week}.png", title, png))
    frame = heatmap_frame(
        session, org=org, config=config, workspace_id=workspace_id, labels=labels, now=now
    )
    if frame.notna().any().any():
        by = frame.attrs.get("by", "team")
        title = f"Driver scores by {by}, latest in the {HEATMAP_WEEKS} weeks to {week:%d %b %Y}"
        out.append(Chart(f"drivers-{week}.png", title, heatmap_chart(frame, title=title)))
    return out


def trend_series(
    session: Session, *, org: OrgInsights, workspace_id: int
) -> dict[str, list[tuple]]:
    """Org engagement (weeks with k+ respondents) and each CX metric's mean over its teams."""
    seen = org.scores[org.scores["visible"]]
    series: dict[str, list[tuple]] = {
        "Engagement": [
            (p.date(), float(v)) for p, v in zip(seen["period"], seen["engagement"], strict=True)
        ]
    }
    if org.period is None or org.scores.empty:
        return series
    cx = cx_frame(
        session,
        workspace_id=workspace_id,
        start=org.scores["period"].min().date(),
        end=org.period.date(),
    )
    names = {link.metric: link.name for link in org.links}
    means = cx[cx["metric"].isin(list(names))].groupby(["metric", "period"])["value"].mean()
    for (metric, period), value in means.items():
        series.setdefault(names[metric], []).append((period.date(), float(value)))
    return series


def heatmap_frame(
    session: Session,
    *,
    org: OrgInsights,
    config: AppConfig,
    workspace_id: int,
    labels: Mapping[str, str],
    now: dt.datetime,
) -> pd.DataFrame:
    """Rows: teams with members (or departments); columns: engagement drivers; NaN where hidden.

    Rotation asks a few drivers a week, so each cell is the driver's latest score in the
    last ``HEATMAP_WEEKS`` weeks that passed the guard in its own week (k+ answers, and the
    group nameable that week).
    """
    from bot.digest import shown_groups  # the digest's guard; imported here to avoid a cycle

    if org.period is None:
        return pd.DataFrame()
    week = org.period.date()
    start = week - dt.timedelta(weeks=HEATMAP_WEEKS - 1)
    ws, k = workspace_id, org.k
    agg = driver_agg(session, workspace_id=ws, start=start, end=week, k=k, now=now)
    part = participation(session, workspace_id=ws, start=start, end=week, k=k, now=now)
    agg, by = agg[agg["driver"].isin(ENGAGEMENT_DRIVERS)], "team"
    shown = {
        (group, period)
        for period, rows in part.groupby("period")
        for group in shown_groups(rows, config, org.k)
    }
    if agg["team"].nunique() > MAX_HEATMAP_ROWS:
        top = {t: (config.ancestors(t) or [t])[-1] for t in agg["team"].unique()}
        agg = agg.assign(team=agg["team"].map(top))
        agg = agg.groupby(["team", "period", "driver"], as_index=False)[SUMMED].sum()
        by = "department"
    ds = driver_scores(agg)
    ok = [
        (team, period) in shown and visible(int(n), org.k)
        for team, period, n in zip(ds["team"], ds["period"], ds["n"], strict=True)
    ]
    latest = ds[ok].sort_values("period").groupby(["team", "driver"]).tail(1)
    grid = latest.pivot(index="team", columns="driver", values="score")
    order = {t.key: i for i, t in enumerate(config.teams)}
    teams = set(agg["team"])
    if by == "team":  # every team with members has a row: grey where k hides it
        teams |= {t.key for t in config.teams if t.usergroup or t.channel}
    rows = sorted(teams, key=lambda t: (order.get(t, len(order)), t))
    cols = [d for d in ENGAGEMENT_DRIVERS if d in set(agg["driver"])]
    grid = grid.reindex(index=rows, columns=cols)
    names = {t.key: t.name for t in config.teams}
    grid.index = [names.get(t, t) for t in grid.index]
    grid.columns = [labels.get(d, d.replace("_", " ").capitalize()) for d in cols]
    grid.attrs["by"] = by
    return grid
