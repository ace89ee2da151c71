"""What a team report and the HR digest compute: SQL aggregates in, plain results out.

Scores and trend (insights.scores), red flags (insights.alerts), the EX↔CX link per linked
metric (insights.linkage) with its sentence, the perception gap and driver importance
(insights.perception). Nothing here renders Slack blocks. Only reportable answers are read
(storage.reportable: closed pulses with k+ respondents, questions with k+ answers); every
figure still carries its respondents (``visible``) for the renderers' tree guard.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd
from sqlmodel import Session

from figures.teams import like_for_like
from insights.alerts import RedFlag, red_flags
from insights.cxscales import label
from insights.linkage import best_link, lagged_correlations, pooled_within_team, summarise_link
from insights.perception import driver_importance, perception_gap, pooled_driver_importance
from insights.privacy import visible
from insights.scores import (
    ENGAGEMENT_DRIVERS,
    ORG,
    driver_scores,
    org_driver_scores,
    org_scores,
    team_period_scores,
    trend,
)
from settings.config import AppConfig
from storage.aggregates import driver_agg, participation
from storage.cx import cx_frame

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
    perception_gap: pd.DataFrame  # insights.perception.perception_gap, report window only
    drivers: pd.DataFrame  # driver importance at best_lag, once the link is reliable (else empty)


@dataclass(frozen=True)
class TeamInsights:
    team: str
    period: pd.Timestamp | None  # the latest week with answers
    k: int
    respondents: int  # in that week
    visible: bool  # may that week's figures be shown under k?
    scores: pd.DataFrame  # trend() rows for the report window, plus ``visible``
    drivers: pd.DataFrame  # driver_scores of the latest week, plus ``visible``
    flags: list[RedFlag]
    links: list[MetricLink]


@dataclass(frozen=True)
class OrgInsights:
    period: pd.Timestamp | None
    k: int
    scores: pd.DataFrame  # the org's trend() rows (team = insights.scores.ORG), plus ``visible``
    teams: pd.DataFrame  # every team's trend() row for the latest week, plus ``visible``
    drivers: pd.DataFrame  # org driver scores of the latest week, plus ``visible``
    flags: list[RedFlag]  # teams at risk this week (each carries its respondents)
    links: list[MetricLink]  # pooled within team over every team linked to the metric
    # per week, the teams with a counted pulse (storage.reportable): what an org figure covers
    measured: Mapping[pd.Timestamp, frozenset[str]] = field(default_factory=dict)


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _shown(frame: pd.DataFrame, column: str, k: int) -> pd.DataFrame:
    return frame.assign(visible=[visible(int(n), k) for n in frame[column].fillna(0)])


def _drivers_shown(ds: pd.DataFrame, scores: pd.DataFrame, k: int) -> pd.DataFrame:
    """A driver score is shown when its answers and its week's respondents both reach k."""
    week = scores[["team", "period", "visible"]].rename(columns={"visible": "week_visible"})
    ds = _shown(ds, "n", k).merge(week, on=["team", "period"], how="left")
    ds["visible"] = ds["visible"] & ds["week_visible"].fillna(False).astype(bool)
    return ds.drop(columns="week_visible")


def _ex(scores: pd.DataFrame) -> pd.DataFrame:
    """Engagement per team-week, only weeks with at least k respondents."""
    kept = scores[scores["visible"] & scores["engagement"].notna()]
    return kept[["team", "period", "engagement"]].rename(columns={"engagement": "score"})


def _short(metric: str, scale: str) -> str:
    return label(metric, scale).split(" (")[0]


def _link(
    metric: str,
    *,
    ex: pd.DataFrame,
    ds: pd.DataFrame,
    cx: pd.DataFrame,
    since: pd.Timestamp,
    pooled: bool,
) -> MetricLink:
    """One metric's link: lagged_correlations for a team, pooled within team for the org."""
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
    shown = ds[ds["visible"]]
    perceived = shown[shown["driver"] == "perception"]
    gap = perception_gap(perceived[perceived["period"] >= since], mine[mine["period"] >= since])
    engagement = shown[shown["driver"].isin(ENGAGEMENT_DRIVERS)]
    drivers = pd.DataFrame()
    if sure and best is not None:  # drivers explain a link once there is one, as said
        importance = pooled_driver_importance if pooled else driver_importance
        drivers = importance(engagement, mine, lag=best)
    return MetricLink(metric, name, scales, lags, sentence, best, gap, drivers)


def _frames(
    session: Session,
    *,
    config: AppConfig,
    workspace_id: int,
    team_key: str | None,
    weeks: int,
    link_weeks: int,
    now: dt.datetime,
    closed_by: dt.datetime,
) -> tuple[pd.Timestamp, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The report window's first Monday, then driver_agg and participation of reportable
    answers (pulses closed by ``closed_by``) and cx over the link window, each one query."""
    k, end = config.privacy.min_group_size, _monday(now.date())
    since = pd.Timestamp(end - dt.timedelta(weeks=weeks - 1))
    start = end - dt.timedelta(weeks=max(weeks, link_weeks) - 1)
    ws, key = workspace_id, team_key
    return (
        since,
        driver_agg(
            session, workspace_id=ws, start=start, end=end, k=k, now=closed_by, team_key=key
        ),
        participation(
            session, workspace_id=ws, start=start, end=end, k=k, now=closed_by, team_key=key
        ),
        cx_frame(session, workspace_id=ws, start=start, end=end, team_key=key),
    )


def team_insights(
    session: Session,
    *,
    config: AppConfig,
    workspace_id: int,
    team_key: str,
    weeks: int = 12,
    now: dt.datetime,
    link_weeks: int = LINK_WEEKS,
    closed_by: dt.datetime | None = None,
) -> TeamInsights:
    """One team (with every team below it) over the last ``weeks`` weeks up to ``now``'s,
    from pulses closed by ``closed_by`` (default ``now``)."""
    k = config.privacy.min_group_size
    since, agg, part, cx = _frames(
        session,
        config=config,
        workspace_id=workspace_id,
        team_key=team_key,
        weeks=weeks,
        link_weeks=link_weeks,
        now=now,
        closed_by=closed_by or now,
    )
    scores = _shown(team_period_scores(agg, part), "respondents", k)
    ds = _drivers_shown(driver_scores(agg), scores, k)
    trended = _shown(trend(scores), "respondents", k)
    latest = scores.dropna(subset=["engagement"])["period"].max() if len(scores) else None
    latest = None if pd.isna(latest) else latest
    row = scores[scores["period"] == latest]
    respondents = int(row["respondents"].fillna(0).iloc[0]) if len(row) else 0
    team = config.team(team_key)
    metrics = team.cx_metrics if team else []
    ex = _ex(scores)
    return TeamInsights(
        team=team_key,
        period=latest,
        k=k,
        respondents=respondents,
        visible=visible(respondents, k),
        scores=trended[trended["period"] >= since].reset_index(drop=True),
        drivers=ds[ds["period"] == latest].reset_index(drop=True),
        flags=red_flags(scores, ds, period=latest) if latest is not None else [],
        links=[_link(m, ex=ex, ds=ds, cx=cx, since=since, pooled=False) for m in metrics],
    )


def org_insights(
    session: Session,
    *,
    config: AppConfig,
    workspace_id: int,
    weeks: int = 12,
    now: dt.datetime,
    link_weeks: int = ORG_LINK_WEEKS,
    closed_by: dt.datetime | None = None,
) -> OrgInsights:
    """The whole org: its scores, every team's latest week, teams at risk, pooled links;
    from pulses closed by ``closed_by`` (default ``now``)."""
    k = config.privacy.min_group_size
    since, agg, part, cx = _frames(
        session,
        config=config,
        workspace_id=workspace_id,
        team_key=None,
        weeks=weeks,
        link_weeks=link_weeks,
        now=now,
        closed_by=closed_by or now,
    )
    scores = _shown(team_period_scores(agg, part), "respondents", k)
    ds = _drivers_shown(driver_scores(agg), scores, k)
    recent = scores[scores["period"] >= since]
    latest = recent.dropna(subset=["engagement"])["period"].max() if len(recent) else None
    latest = None if pd.isna(latest) else latest
    measured = {
        period: frozenset(rows["team"])
        for period, rows in scores.dropna(subset=["respondents"]).groupby("period")
    }
    answered = {(ORG, period): teams for period, teams in measured.items()}
    org = _shown(like_for_like(trend(org_scores(agg, part)), answered), "respondents", k)
    teams = _shown(trend(recent), "respondents", k)
    org_ds = _shown(org_driver_scores(agg[agg["period"] == latest]), "n", k)
    metrics = sorted({m for t in config.teams for m in t.cx_metrics})
    ex = _ex(scores)
    recent_ds = ds[ds["period"] >= since]
    return OrgInsights(
        period=latest,
        k=k,
        scores=org[org["period"] >= since].reset_index(drop=True),
        teams=teams[teams["period"] == latest].reset_index(drop=True),
        drivers=org_ds,
        flags=red_flags(recent, recent_ds, period=latest) if latest is not None else [],
        links=[_link(m, ex=ex, ds=ds, cx=cx, since=since, pooled=True) for m in metrics],
        measured=measured,
    )
