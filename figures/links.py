"""How each CX metric relates to engagement: the EX↔CX link, perception gap, driver importance.

Pure, over a ``figures.pipeline.Figures``: only shown figures feed a link (engagement of
node-weeks the one rule shows, driver cells it shows). A team's link correlates the team's
(rolled-up) weekly engagement with its metric at lags 0–4 (insights.linkage); the org's
pools the teams within team (leaves, so no answer counts twice). CX values are customers'
figures, used as stored for the window's weeks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

import pandas as pd

from figures.pipeline import Figures
from insights.cxscales import label
from insights.linkage import best_link, lagged_correlations, pooled_within_team, summarise_link
from insights.perception import driver_importance, perception_gap, pooled_driver_importance

LINK_WEEKS = 52  # one team's link needs history: a year of weeks, however short the report
ORG_LINK_WEEKS = 26  # pooled over every team, half a year gives ample pairs (teams × weeks)
LAGS = range(5)  # CX 0–4 weeks after engagement
ALPHA = 0.05  # a link is reliable when its Holm-adjusted p (and CI alike) says so at this level


@dataclass(frozen=True)
class MetricLink:
    """How one CX metric relates to engagement, in figures and in one sentence."""

    metric: str
    name: str  # short, as in the sentence: "CSAT"
    scales: tuple[str, ...]  # how the values were read, e.g. "CSAT (1–5 average, shown as 0–100)"
    lags: pd.DataFrame  # insights.linkage LAG_COLUMNS, one row per lag
    sentence: str
    best_lag: int | None  # the lag with the smallest p, when any lag could be tested
    perception_gap: pd.DataFrame  # insights.perception.perception_gap, shown weeks only
    drivers: pd.DataFrame  # driver importance at best_lag, once the link is reliable (else empty)


def team_links(fig: Figures, team: str, metrics: Collection[str]) -> list[MetricLink]:
    """One team's (with every team below it) link to each of its metrics, last LINK_WEEKS."""
    first = pd.Timestamp(fig.window.end - dt.timedelta(weeks=LINK_WEEKS - 1))
    cx = _cx(fig, first)
    return [
        _link(m, fig=fig, units=[team], cx=cx[cx["team"] == team], first=first, pooled=False)
        for m in metrics
    ]


def org_links(
    fig: Figures, metrics: Collection[str], *, weeks: int = ORG_LINK_WEEKS
) -> list[MetricLink]:
    """Each metric pooled within team over every team linked to it, the last ``weeks``."""
    first = pd.Timestamp(fig.window.end - dt.timedelta(weeks=weeks - 1))
    units = sorted(fig.tree.leaves)
    return [
        _link(m, fig=fig, units=units, cx=_cx(fig, first), first=first, pooled=True)
        for m in metrics
    ]


def _cx(fig: Figures, first: pd.Timestamp) -> pd.DataFrame:
    last = pd.Timestamp(fig.window.end + dt.timedelta(days=6))
    return fig.cx[(fig.cx["period"] >= first) & (fig.cx["period"] <= last)]


def _short(metric: str, scale: str) -> str:
    return label(metric, scale).split(" (")[0]


def _link(
    metric: str,
    *,
    fig: Figures,
    units: list[str],
    cx: pd.DataFrame,
    first: pd.Timestamp,
    pooled: bool,
) -> MetricLink:
    """One metric's link: lagged_correlations for a team, pooled within team for the org."""
    scores = fig.shown_scores
    scores = scores[scores["team"].isin(units) & (scores["period"] >= first)]
    ex = scores.dropna(subset=["engagement"])[["team", "period", "engagement"]]
    ex = ex.rename(columns={"engagement": "score"}).reset_index(drop=True)
    shown = fig.shown_drivers
    shown = shown[shown["team"].isin(units) & (shown["period"] >= first)]
    mine = cx[cx["metric"] == metric]
    name = _short(metric, mine["scale"].iloc[-1]) if len(mine) else metric.upper()
    scales = tuple(sorted({label(metric, s) for s in mine["scale"]}))
    if pooled:
        lags = pooled_within_team(ex, mine, lags=LAGS)
    else:
        lags = lagged_correlations(ex, mine, lags=LAGS)
    top, sure = None, False
    if lags["p"].notna().any():
        top, _, sure = best_link(lags, alpha=ALPHA)
    best = None if top is None else int(top["lag"])
    sentence = summarise_link(lags, metric_label=name, alpha=ALPHA)
    if mine.empty:
        sentence = f"No {name} values have been imported for this period yet."
    since = pd.Timestamp(fig.window.since)
    perceived = shown[shown["driver"] == "perception"]
    gap = perception_gap(perceived[perceived["period"] >= since], mine[mine["period"] >= since])
    engagement = shown[shown["driver"].isin(list(fig.engagement))]
    drivers = pd.DataFrame()
    if sure and best is not None:  # drivers explain a link once there is one, as said
        importance = pooled_driver_importance if pooled else driver_importance
        drivers = importance(engagement, mine, lag=best)
    return MetricLink(metric, name, scales, lags, sentence, best, gap, drivers)
