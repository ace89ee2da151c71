"""The digest's chart images: engagement against CX over time, and drivers by team.

Only reportable answers (storage.reportable) reach a chart: org weeks with k+ respondents, and
heatmap cells from k+ answers of a group nameable in that week (figures.guard.shown_groups); other
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

from figures.analytics import ALPHA, LAGS, MetricLink, OrgInsights
from figures.charts import Panel, heatmap_chart, link_chart
from figures.guard import shown_groups
from insights.privacy import visible
from insights.scores import ENGAGEMENT_DRIVERS, SUMMED, driver_scores
from settings.config import AppConfig
from storage.aggregates import driver_agg, participation
from storage.cx import cx_frame

MAX_HEATMAP_ROWS = 40
HEATMAP_WEEKS = 4  # rotation covers every driver within about three weeks
MAX_LAG_WEEKS = max(LAGS)  # CX this many weeks after the engagement it follows


@dataclass(frozen=True)
class Chart:
    filename: str
    title: str
    png: bytes
    takeaway: str = ""  # one sentence from figures the chart shows, posted beside it


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
    engagement = series.pop("Engagement", [])
    if engagement:
        title = f"Engagement and customer metrics, {weeks(len(org.scores))} to {week:%d %b %Y}"
        panels = link_panels(engagement, series, org.links)
        png = link_chart(engagement, [p for p, _ in panels])  # Slack shows the title above
        text = link_takeaway(engagement, panels)
        out.append(Chart(f"engagement-cx-{week}.png", title, png, text))
    frame = heatmap_frame(
        session, org=org, config=config, workspace_id=workspace_id, labels=labels, now=now
    )
    if frame.notna().any().any():
        by = frame.attrs.get("by", "team")
        title = f"Driver scores by {by}, latest in the {HEATMAP_WEEKS} weeks to {week:%d %b %Y}"
        png = heatmap_chart(frame, k=org.k)
        out.append(Chart(f"drivers-{week}.png", title, png, heatmap_takeaway(frame)))
    return out


def weeks(n: int) -> str:
    """'1 week', '12 weeks'."""
    return f"{n} week{'' if n == 1 else 's'}"


def later(lag: int) -> str:
    """'in the same week', '1 week later', '2 weeks later'."""
    return "in the same week" if lag == 0 else f"{weeks(lag)} later"


def _reliable(link: MetricLink) -> tuple[bool, float | None]:
    """Whether the link at its best lag passed the Holm-adjusted test, and its r."""
    row = link.lags[link.lags["lag"] == link.best_lag] if link.best_lag is not None else None
    if row is None or row.empty or pd.isna(row["p_holm"].iloc[0]):
        return False, None
    return bool(row["p_holm"].iloc[0] < ALPHA), float(row["r"].iloc[0])


def link_panels(
    engagement: list[tuple], series: Mapping[str, list[tuple]], links: list[MetricLink]
) -> list[tuple[Panel, MetricLink]]:
    """One panel per linked metric with values: each value moved back by the link's best lag
    to the engagement week it follows, within the chart's weeks."""
    start, end = min(d for d, _ in engagement), max(d for d, _ in engagement)
    out = []
    for link in links:
        lag = link.best_lag or 0
        moved = [(d - dt.timedelta(weeks=lag), v) for d, v in series.get(link.name, [])]
        moved = [(d, v) for d, v in moved if start <= d <= end]
        if not moved:
            continue
        reliable, r = _reliable(link)
        note = f"linked, r = {r:.2f}" if reliable else ""  # the takeaway says when none is
        panel = Panel(link.name, later(lag), sorted(moved), note.replace("-", "−"))
        out.append((panel, link))
    return out


def _moved(name: str, points: list[tuple]) -> str:
    """'engagement fell from 71 to 67', 'CSAT held at 72' (rounded as the chart shows them)."""
    first, last = round(points[0][1]), round(points[-1][1])
    if first == last:
        return f"{name} held at {last}"
    return f"{name} {'rose' if last > first else 'fell'} from {first} to {last}"


def link_takeaway(engagement: list[tuple], panels: list[tuple[Panel, MetricLink]]) -> str:
    """One sentence: how engagement moved, and the metric that follows it most closely."""
    pts = sorted(engagement)
    head = _moved("Engagement", pts) + f" since the week of {pts[0][0].day} {pts[0][0]:%b}"
    judged = [(panel, link, *_reliable(link)) for panel, link in panels]
    judged = [j for j in judged if j[3] is not None]
    if not judged:
        return head + "; no customer metric has enough weeks for a link yet."
    ranked = sorted(judged, key=lambda j: (not j[2], -abs(j[3] or 0)))
    panel, _, reliable, r = ranked[0]
    metric = _moved(f"{panel.name} {panel.when}", panel.points)
    if reliable:
        how = "with it" if (r or 0) > 0 else "against it"
        return f"{head}; {metric}, and tends to move {how}."
    return f"{head}; {metric}, but no customer metric reliably follows engagement yet."


def heatmap_takeaway(frame: pd.DataFrame) -> str:
    """The lowest and the highest shown cell (hidden cells are NaN and never named)."""
    cells = frame.stack().dropna()
    if cells.empty:
        return ""
    (low_team, low_driver), low = cells.idxmin(), cells.min()
    (high_team, high_driver), high = cells.idxmax(), cells.max()
    return (
        f"Lowest: {low_team} on {str(low_driver).lower()} ({low:.0f}); "
        f"highest: {high_team} on {str(high_driver).lower()} ({high:.0f})."
    )


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
        end=org.period.date() + dt.timedelta(weeks=MAX_LAG_WEEKS),
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
