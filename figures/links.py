"""How each CX metric relates to engagement: the EX↔CX link, perception gap, driver importance.

Pure, over a ``figures.pipeline.Figures``: only shown figures feed a link (engagement of
node-weeks the one rule shows, driver cells it shows). A team's link correlates the team's
(rolled-up) weekly engagement with its metric at lags 0–4 (insights.linkage); the org's
pools the teams within team (leaves, so no answer counts twice). CX values are customers'
figures, used as stored for the window's weeks.

A CX series has its own periods (storage.cx_periods): a weekly series starting on another
weekday is matched to the engagement week sharing four or more of its days; a monthly or
quarterly one is compared with engagement averaged over the shown weeks of each period (a
hidden week's NaN stays out), lags count in those periods and the sentence says so. For the
statistics, period i is written as week i (``_PSEUDO``), so insights.linkage's lags, pairs and
drift adjustment work in periods unchanged. Sentences are worded when shown, in the reader's
language (figures.link_sentences).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass, replace

import pandas as pd

from figures.link_sentences import GapSaid, LinkSaid
from figures.pipeline import Figures
from insights.cxscales import label
from insights.linkage import best_link, lagged_correlations, link_finding, pooled_within_team
from insights.perception import driver_importance, perception_gap, pooled_driver_importance
from storage import cx_periods

LINK_WEEKS = 52  # one team's link needs history: a year of weeks, however short the report
ORG_LINK_WEEKS = 26  # pooled over every team, half a year gives ample pairs (teams × weeks)
LAGS = range(5)  # CX 0–4 weeks after engagement
ALPHA = 0.05  # a link is reliable when its Holm-adjusted p (and CI alike) says so at this level
LINK_PERIODS = {"monthly": 24, "quarterly": 12}  # a team's link over a monthly/quarterly series
# pooled over every team: a year of months, two years of quarters (26 weeks would leave six
# months, too few pairs per team once a lag of up to four periods is taken off)
ORG_LINK_PERIODS = {"monthly": 12, "quarterly": 8}
WEEKS_IN = {"monthly": 5, "quarterly": 14}  # weeks loaded per month or quarter (enough)
_PSEUDO = pd.Timestamp("1970-01-05")  # a Monday: period index i is written as this + i weeks


@dataclass(frozen=True)
class MetricLink:
    """How one CX metric relates to engagement, in figures and in one sentence."""

    metric: str
    name: str  # short, as in the sentence: "CSAT"
    scales: tuple[str, ...]  # how the values were read, e.g. "CSAT (1–5 average, shown as 0–100)"
    lags: pd.DataFrame  # insights.linkage LAG_COLUMNS, one row per lag
    said: LinkSaid  # what the sentence says (worded in the reader's language when shown)
    best_lag: int | None  # the lag with the smallest p, when any lag could be tested
    perception_gap: pd.DataFrame  # insights.perception.perception_gap, shown weeks only
    drivers: pd.DataFrame  # driver importance at best_lag, once the link is reliable (else empty)
    cadence: str = "weekly"  # the CX series' periods: lags and gap periods count in them

    @property
    def sentence(self) -> str:
        """The link in one sentence, in the reader's language."""
        return self.said.sentence

    def gap_said(self, row: pd.Series) -> GapSaid:
        """A ``perception_gap`` row as its sentence says it (in this series' periods)."""
        return GapSaid.of(row, self.cadence)


def team_links(fig: Figures, team: str, metrics: Collection[str]) -> list[MetricLink]:
    """One team's (with every team below it) link to each of its metrics, last LINK_WEEKS."""
    first = pd.Timestamp(fig.window.end - dt.timedelta(weeks=LINK_WEEKS - 1))
    return [
        _link(
            m, fig=fig, units=[team], cx=fig.cx[fig.cx["team"] == team], first=first, pooled=False
        )
        for m in metrics
    ]


def org_links(
    fig: Figures, metrics: Collection[str], *, weeks: int = ORG_LINK_WEEKS
) -> list[MetricLink]:
    """Each metric pooled within team over every team linked to it, the last ``weeks``."""
    first = pd.Timestamp(fig.window.end - dt.timedelta(weeks=weeks - 1))
    units = sorted(fig.tree.leaves)
    return [_link(m, fig=fig, units=units, cx=fig.cx, first=first, pooled=True) for m in metrics]


def _cx(fig: Figures, cx: pd.DataFrame, first: pd.Timestamp, cadence: str) -> pd.DataFrame:
    """The metric's values whose period overlaps the link's weeks."""
    last = pd.Timestamp(fig.window.end + dt.timedelta(days=6))
    if cadence != "weekly":
        first = pd.Timestamp(cx_periods.period_start(first.date(), cadence))
    return cx[(cx["period"] >= first) & (cx["period"] <= last)]


def _cadence(cx: pd.DataFrame) -> str:
    if "cadence" not in cx or cx.empty:
        return "weekly"
    return str(cx["cadence"].iloc[-1])


def on_engagement_weeks(cx: pd.DataFrame) -> pd.DataFrame:
    """A weekly series starting on another weekday, dated by the Monday of the engagement week
    sharing four or more of its days (its Thursday's week); Monday series are unchanged."""
    days = pd.to_datetime(cx["period"])
    if (days.dt.day_of_week == 0).all():
        return cx
    thursday = days + pd.to_timedelta((3 - days.dt.day_of_week) % 7, unit="D")
    return cx.assign(period=thursday - pd.Timedelta(days=3))


def _index(periods: pd.Series, cadence: str) -> pd.Series:
    return pd.Series(
        [cx_periods.index(p.date(), cadence) for p in pd.to_datetime(periods)], index=periods.index
    )


def _pseudo(periods: pd.Series, cadence: str) -> pd.Series:
    """Period i as week i from _PSEUDO, so consecutive periods are consecutive 'weeks'."""
    return _PSEUDO + pd.to_timedelta(7 * _index(periods, cadence), unit="D")


def _real(pseudo: pd.Series, cadence: str) -> pd.Series:
    """Back from _pseudo to each period's first day."""
    index = ((pd.to_datetime(pseudo) - _PSEUDO).dt.days // 7).astype(int)
    if cadence == "monthly":
        starts = [dt.date(i // 12, i % 12 + 1, 1) for i in index]
    else:
        starts = [dt.date(i // 4, i % 4 * 3 + 1, 1) for i in index]
    return pd.Series(pd.to_datetime(starts), index=pseudo.index)


def _per_period(weekly: pd.DataFrame, by: list[str], cadence: str) -> pd.DataFrame:
    """Weekly ``score`` rows (shown weeks only; NaN kept out) averaged into each CX period,
    summing ``n`` when present; ``period`` written as _pseudo."""
    weekly = weekly.dropna(subset=["score"])
    if weekly.empty:
        return weekly
    starts = [cx_periods.engagement_period(day.date(), cadence) for day in weekly["period"]]
    grouped = weekly.assign(period=pd.to_datetime(starts)).groupby(
        [*by, "period"], as_index=False, sort=True
    )
    sums = {"score": "mean", **({"n": "sum"} if "n" in weekly else {})}
    out = grouped.agg(sums)
    return out.assign(period=_pseudo(out["period"], cadence))


def metric_name(metric: str, scale: str) -> str:
    return label(metric, scale).split(" (")[0]


def _shown(fig: Figures, units: list[str], first: pd.Timestamp) -> tuple[pd.DataFrame, ...]:
    """Shown engagement (``team, period, score``) and shown driver cells of ``units`` since
    ``first``."""
    scores = fig.shown_scores
    scores = scores[scores["team"].isin(units) & (scores["period"] >= first)]
    ex = scores.dropna(subset=["engagement"])[["team", "period", "engagement"]]
    ex = ex.rename(columns={"engagement": "score"}).reset_index(drop=True)
    shown = fig.shown_drivers
    shown = shown[shown["team"].isin(units) & (shown["period"] >= first)]
    return ex, shown


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
    ex, shown = _shown(fig, units, first)
    mine = cx[cx["metric"] == metric]
    cadence = _cadence(mine)
    if cadence != "weekly":  # periods enough for a link, however few weeks that is
        periods = (ORG_LINK_PERIODS if pooled else LINK_PERIODS)[cadence]
        back = cx_periods.shifted(fig.window.end, cadence, 1 - periods)
        first = max(pd.Timestamp(back), pd.Timestamp(fig.window.start))
        ex, shown = _shown(fig, units, first)
    mine = _cx(fig, mine, first, cadence)
    name = metric_name(metric, mine["scale"].iloc[-1]) if len(mine) else metric.upper()
    scales = tuple(sorted({label(metric, s) for s in mine["scale"]}))
    since = pd.Timestamp(fig.window.since)
    perceived = shown[shown["driver"] == "perception"]
    perceived = perceived[perceived["period"] >= since]
    engagement = shown[shown["driver"].isin(list(fig.engagement))]
    if cadence == "weekly":
        mine = on_engagement_weeks(mine)
        recent = mine[mine["period"] >= since]
    else:
        since = pd.Timestamp(cx_periods.period_start(since.date(), cadence))
        recent = mine[mine["period"] >= since].assign(
            period=lambda d: _pseudo(d["period"], cadence)
        )
        mine = mine.assign(period=_pseudo(mine["period"], cadence))
        ex = _per_period(ex, ["team"], cadence)
        perceived = _per_period(perceived, ["team", "driver"], cadence)
        engagement = _per_period(engagement, ["team", "driver"], cadence)
    if pooled:
        lags = pooled_within_team(ex, mine, lags=LAGS)
    else:
        lags = lagged_correlations(ex, mine, lags=LAGS)
    top, sure = None, False
    if lags["p"].notna().any():
        top, _, sure = best_link(lags, alpha=ALPHA)
    best = None if top is None else int(top["lag"])
    said = LinkSaid(link_finding(lags, alpha=ALPHA), name, cadence, imported=not mine.empty)
    gap = perception_gap(perceived, recent)
    drivers = pd.DataFrame()
    if sure and best is not None:  # drivers explain a link once there is one, as said
        importance = pooled_driver_importance if pooled else driver_importance
        drivers = importance(engagement, mine, lag=best)
    if cadence != "weekly":
        both = set(zip(ex["team"], ex["period"], strict=True)) & set(
            zip(mine["team"], mine["period"], strict=True)
        )
        said = replace(said, periods=len({period for _, period in both}))
        if len(gap):
            gap = gap.assign(period=_real(gap["period"], cadence))
    return MetricLink(metric, name, scales, lags, said, best, gap, drivers, cadence)
