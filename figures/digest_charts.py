"""The digest's chart images: engagement against CX over time, and drivers by team.

Every value comes from the one pipeline (figures.pipeline): org weeks the privacy rule shows,
and heatmap cells it shows (k+ answers, not isolatable, in a week the group may be named);
other cells are NaN, drawn grey as hidden. Past ``MAX_HEATMAP_ROWS`` teams the heatmap shows
the top-level departments instead, which keeps it readable (and departments are larger groups,
so the rule hides less).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from figures.link_sentences import in_sentence, later, span
from figures.links import ALPHA, LAGS, MetricLink
from figures.pipeline import Figures
from settings.config import AppConfig
from settings.i18n import fixed, long_date, short_day, tr
from storage import cx_periods

if TYPE_CHECKING:
    from figures.charts import Panel
    from figures.org import OrgView

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
    fig: Figures, *, org: OrgView, config: AppConfig, labels: Mapping[str, str]
) -> list[Chart]:
    """Zero to two PNG charts for the week ``org.period``, in the reader's language (the
    digest's: HR's)."""
    # matplotlib loads only when a chart is drawn: `pulse status` or a report never pays for it.
    from figures.charts import heatmap_chart, link_chart

    if org.period is None:
        return []
    week = org.period.date()
    out = []
    series = trend_series(fig, org=org)
    engagement = series.pop("Engagement", [])
    if engagement:
        title = tr("Engagement and customer metrics, {span} to {day}").format(
            span=weeks(len(org.scores)), day=long_date(week)
        )
        panels = link_panels(engagement, series, org.links)
        png = link_chart(engagement, [p for p, _ in panels])  # Slack shows the title above
        text = link_takeaway(engagement, panels)
        out.append(Chart(f"engagement-cx-{week}.png", title, png, text))
    frame = heatmap_frame(fig, org=org, config=config, labels=labels)
    if frame.notna().any().any():
        by = frame.attrs.get("by", "team")
        title = (
            tr("Driver scores by department, latest in the {n} weeks to {day}")
            if by == "department"
            else tr("Driver scores by team, latest in the {n} weeks to {day}")
        ).format(n=HEATMAP_WEEKS, day=long_date(week))
        png = heatmap_chart(frame, k=org.k)
        out.append(Chart(f"drivers-{week}.png", title, png, heatmap_takeaway(frame)))
    return out


def weeks(n: int, cadence: str = "weekly") -> str:
    """'1 week', '12 weeks', '2 months' in the reader's language."""
    return span(n, cadence)


def _reliable(link: MetricLink) -> tuple[bool, float | None]:
    """Whether the link at its best lag passed the Holm-adjusted test, and its r."""
    row = link.lags[link.lags["lag"] == link.best_lag] if link.best_lag is not None else None
    if row is None or row.empty or pd.isna(row["p_holm"].iloc[0]):
        return False, None
    return bool(row["p_holm"].iloc[0] < ALPHA), float(row["r"].iloc[0])


Point = tuple[dt.date, float]


def link_panels(
    engagement: list[Point], series: Mapping[str, list[Point]], links: Sequence[MetricLink]
) -> list[tuple[Panel, MetricLink]]:
    """One panel per linked metric with values: each value moved back by the link's best lag,
    counted in the metric's own periods (weeks, months, quarters), to the engagement it
    follows, within the chart's weeks."""
    from figures.charts import Panel

    start, end = min(d for d, _ in engagement), max(d for d, _ in engagement)
    out = []
    for link in links:
        lag = link.best_lag or 0
        moved = [
            (cx_periods.shifted(d, link.cadence, -lag), v) for d, v in series.get(link.name, [])
        ]
        moved = [(d, v) for d, v in moved if start <= d <= end]
        if not moved:
            continue
        reliable, r = _reliable(link)
        # the takeaway says when none is
        note = (
            tr("linked, r = {r}").format(r=fixed(r, digits=2)) if reliable and r is not None else ""
        )
        panel = Panel(link.name, later(lag, link.cadence), sorted(moved), note)
        out.append((panel, link))
    return out


def _moved(name: str, points: Sequence[Point]) -> str:
    """'engagement fell from 71 to 67', 'CSAT held at 72' (rounded as the chart shows them)."""
    first, last = round(points[0][1]), round(points[-1][1])
    if first == last:
        return tr("{name} held at {value}").format(name=name, value=last)
    said = (
        tr("{name} rose from {first} to {last}")
        if last > first
        else tr("{name} fell from {first} to {last}")
    )
    return said.format(name=name, first=first, last=last)


def link_takeaway(engagement: list[Point], panels: list[tuple[Panel, MetricLink]]) -> str:
    """One sentence: how engagement moved, and the metric that follows it most closely."""
    pts = sorted(engagement)
    head = tr("{moved} since the week of {day}").format(
        moved=_moved(tr("Engagement"), pts), day=short_day(pts[0][0])
    )
    judged = [(panel, link, *_reliable(link)) for panel, link in panels]
    judged = [j for j in judged if j[3] is not None]
    if not judged:
        return tr("{head}; no customer metric has enough weeks for a link yet.").format(head=head)
    ranked = sorted(judged, key=lambda j: (not j[2], -abs(j[3] or 0)))
    panel, _, reliable, r = ranked[0]
    metric = _moved(f"{panel.name} {panel.when}", panel.points)
    if reliable:
        said = (
            tr("{head}; {metric}, and tends to move with it.")
            if (r or 0) > 0
            else tr("{head}; {metric}, and tends to move against it.")
        )
        return said.format(head=head, metric=metric)
    return tr("{head}; {metric}, but no customer metric reliably follows engagement yet.").format(
        head=head, metric=metric
    )


def heatmap_takeaway(frame: pd.DataFrame) -> str:
    """The lowest and the highest shown cell (hidden cells are NaN and never named)."""
    cells = frame.stack().dropna()
    if cells.empty:
        return ""
    (low_team, low_driver), low = cells.idxmin(), cells.min()
    (high_team, high_driver), high = cells.idxmax(), cells.max()
    return tr(
        "Lowest: {low_team} on {low_driver} ({low}); highest: {high_team} on {high_driver} "
        "({high})."
    ).format(
        low_team=low_team,
        low_driver=in_sentence(str(low_driver)),
        low=fixed(low, digits=0),
        high_team=high_team,
        high_driver=in_sentence(str(high_driver)),
        high=fixed(high, digits=0),
    )


def trend_series(fig: Figures, *, org: OrgView) -> dict[str, list[Point]]:
    """Org engagement (shown weeks) and each CX metric's mean over its teams."""
    series: dict[str, list[Point]] = {
        "Engagement": [
            (p.date(), float(v))
            for p, v in zip(org.scores["period"], org.scores["engagement"], strict=True)
        ]
    }
    if org.period is None or org.scores.empty:
        return series
    start = org.scores["period"].min()
    end = org.period + pd.Timedelta(weeks=MAX_LAG_WEEKS)
    cx = fig.cx[(fig.cx["period"] >= start) & (fig.cx["period"] <= end)]
    names = {link.metric: link.name for link in org.links}
    means = cx[cx["metric"].isin(list(names))].groupby(["metric", "period"])["value"].mean()
    for (metric, period), value in means.items():
        series.setdefault(names[metric], []).append((period.date(), float(value)))
    return series


def heatmap_frame(
    fig: Figures, *, org: OrgView, config: AppConfig, labels: Mapping[str, str]
) -> pd.DataFrame:
    """Rows: teams with members (or top-level departments); columns: engagement drivers; NaN
    where hidden.

    Rotation asks a few drivers a week, so each cell is the driver's latest score in the
    last ``HEATMAP_WEEKS`` weeks that the rule showed in its own week.
    """
    if org.period is None:
        return pd.DataFrame()
    start = org.period - pd.Timedelta(weeks=HEATMAP_WEEKS - 1)
    weeks = [teams for p, teams in fig.answered.by_week.items() if start <= p <= org.period]
    answered = sorted(set().union(*weeks))
    ds = fig.drivers
    ds = ds[ds["driver"].isin(list(fig.engagement)) & ds["period"].between(start, org.period)]
    by, rows = "team", set(answered)
    if len(answered) > MAX_HEATMAP_ROWS:
        by, rows = "department", {fig.tree.top(t) for t in answered}
    ds = ds[ds["team"].isin(rows)]
    latest = ds[ds["shown"]].sort_values("period").groupby(["team", "driver"]).tail(1)
    grid = latest.pivot(index="team", columns="driver", values="score")
    order = {t.key: i for i, t in enumerate(config.teams)}
    if by == "team":  # every team with members has a row: grey where the rule hides it
        rows |= {t.key for t in config.teams if t.usergroup or t.channel}
    ordered = sorted(rows, key=lambda t: (order.get(t, len(order)), t))
    cols = [d for d in fig.engagement if d in set(ds["driver"])]
    grid = grid.reindex(index=ordered, columns=cols)
    names = {t.key: t.name for t in config.teams}
    grid.index = pd.Index([names.get(t, t) for t in grid.index])
    grid.columns = pd.Index([labels.get(d, d.replace("_", " ").capitalize()) for d in cols])
    grid.attrs["by"] = by
    return grid
