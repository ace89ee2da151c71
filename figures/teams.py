"""Per-team weekly figures a report or the Home dashboard shows, from the one pipeline.

Contract: every figure comes from figures.pipeline (reportable answers only, rolled up along
the config tree, the one privacy rule applied to every week, driver and eNPS cell), so a
week below k or isolatable by differencing is left out, never averaged in, and multi-week
figures (trend, baseline, driver changes, sparkline) rest only on weeks that were shown.
``team_figures`` is pure (it reads a ``Figures`` already built); ``load_team_figures`` is
what a report or Home runs: one load of the window, then team_figures.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlmodel import Session

from figures import store
from figures.pipeline import EXTRA_WEEKS, Answered, Figures, Mixes, Window
from insights.alerts import RedFlag, red_flags
from insights.scores import trend
from settings.config import AppConfig

Z = 1.96
NO_EARLIER = "No earlier week with enough answers to compare with ({n} respondents)"
NOT_COMPARED = "Not compared with the week of {prev:%d %b}: other teams answered that week"


@dataclass(frozen=True)
class DriverFigure:
    driver: str
    score: float  # 0–100
    n: int
    period: dt.date
    change: float | None  # against this driver's previous shown week
    within_noise: bool


@dataclass(frozen=True)
class TeamFigures:
    """One team's (with the teams below it) latest shown week and the window around it."""

    team: str
    since: dt.date  # the window: ``weeks`` Mondays from ``since``
    weeks: int
    period: dt.date | None = None  # None: no week with enough answers in the window
    respondents: int = 0
    invited: int = 0
    engagement: float | None = None
    sentence: str = ""  # "Up 4 points from last week — within noise for 9 respondents"
    enps: float | None = None  # the latest shown eNPS in the window
    enps_n: int = 0
    series: tuple[tuple[dt.date, float], ...] = ()  # engagement of each shown week
    drivers: tuple[DriverFigure, ...] = ()
    flags: tuple[RedFlag, ...] = ()
    perceived: tuple[tuple[dt.date, float, int], ...] = ()  # perception driver (week, score, n)
    left_out: int = 0  # pulses in the window with fewer than k respondents

    @property
    def participation(self) -> float | None:
        return self.respondents / self.invited if self.invited else None


def team_figures(fig: Figures, teams: Sequence[str]) -> dict[str, TeamFigures]:
    """Figures for ``teams`` over the window's shown weeks (trends look back EXTRA_WEEKS)."""
    assert fig.nodes is None or set(teams) <= fig.nodes, "figures read for other nodes"
    window, first = fig.window, fig.window.first()
    since = pd.Timestamp(window.since)
    empty = {
        t: TeamFigures(t, window.since, window.weeks, left_out=fig.left_out.get(t, 0))
        for t in teams
    }
    scores = fig.shown_scores
    scores = scores[scores["period"] >= first].reset_index(drop=True)
    if scores.empty:
        return empty
    ds = fig.shown_drivers
    ds = ds[ds["period"] >= first]
    flags = team_flags(fig, scores, ds, teams, since)
    scores = scores[scores["team"].isin(list(teams))]
    ds = ds[ds["team"].isin(list(teams))]
    trended = like_for_like(trend(scores), fig.answered)
    # One pass over each frame, grouped by team in plain Python (rows keep their order): a
    # report of a department or the org names hundreds of teams, and a pandas selection per
    # team cost more than the figures themselves.
    shown = scores[scores["period"] >= since]
    last = _last_rows(shown, ["period", "respondents", "invited", "engagement"])
    polled = _last_rows(shown[shown["enps_n"] > 0], ["enps", "enps_n"])
    trends = _rows_by_team(
        trended[trended["period"] >= since],
        ["period", "engagement", "prev_period", "respondents", "sentence"],
    )
    latest = _rows_by_team(
        _latest_drivers(ds, since), ["driver", "score", "n", "period", "change", "within_noise"]
    )
    seen = ds[(ds["driver"] == "perception") & (ds["period"] >= since)]
    perceived = _rows_by_team(seen, ["period", "score", "n"])
    out = {}
    for team in teams:
        if team not in last:
            out[team] = empty[team]
            continue
        period, respondents, invited, engagement = last[team]
        mine = trends.get(team, [])
        enps = polled.get(team)
        out[team] = TeamFigures(
            team=team,
            since=window.since,
            weeks=window.weeks,
            period=period.date(),
            respondents=int(respondents),
            invited=int(invited),
            engagement=None if pd.isna(engagement) else float(engagement),
            sentence=_sentence(mine, period),
            enps=float(enps[0]) if enps else None,
            enps_n=int(enps[1]) if enps else 0,
            series=tuple((p.date(), float(e)) for p, e, *_ in mine),
            drivers=_driver_figures(latest.get(team)),
            flags=tuple(flags.get(team, ())),
            perceived=tuple(
                (p.date(), float(score), int(n)) for p, score, n in perceived.get(team, [])
            ),
            left_out=empty[team].left_out,
        )
    return out


def load_team_figures(
    session: Session,
    *,
    config: AppConfig,
    workspace_id: int,
    teams: Sequence[str],
    weeks: int,
    now: dt.datetime,
) -> dict[str, TeamFigures]:
    """``teams``' figures over the ``weeks`` weeks up to ``now``'s, from pulses closed by then."""
    window = Window.ending(now.date(), weeks=weeks, history=weeks + EXTRA_WEEKS)
    loaded = store.read(
        session,
        config=config,
        workspace_id=workspace_id,
        window=window,
        closed_by=now,
        nodes=teams,
    )
    return team_figures(loaded, teams)


def like_for_like(trended: pd.DataFrame, answered: Answered | Mixes) -> pd.DataFrame:
    """A week is compared with the one before only when the same teams answered both.

    A department's (or the org's) week adds up the teams that answered that week; with
    biweekly or monthly teams, or a pulse below k, that mix changes from week to week, and
    a change from another mix of teams is not a change of the department. Such rows keep
    their figures but lose the change: its sentence says why, and it is never beyond noise.
    """
    if trended.empty:
        return trended
    same = [
        pd.isna(prev) or answered.same(team, period, prev)
        for team, period, prev in zip(
            trended["team"], trended["period"], trended["prev_period"], strict=True
        )
    ]
    kept = pd.Series(same, index=trended.index)
    sentences = [
        s if ok else NOT_COMPARED.format(prev=prev)
        for s, ok, prev in zip(trended["sentence"], same, trended["prev_period"], strict=True)
    ]
    return trended.assign(
        change_prev=trended["change_prev"].where(kept),
        change_prev_within_noise=trended["change_prev_within_noise"] | ~kept,
        sentence=sentences,
    )


def _rows_by_team(frame: pd.DataFrame, columns: list[str]) -> dict[str, list[tuple[Any, ...]]]:
    """Each team's rows (``columns``' values, in the frame's order)."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    for team, *values in zip(frame["team"], *(frame[c] for c in columns), strict=True):
        out.setdefault(team, []).append(tuple(values))
    return out


def _last_rows(frame: pd.DataFrame, columns: list[str]) -> dict[str, tuple[Any, ...]]:
    """Each team's last row (``columns``' values)."""
    return {team: rows[-1] for team, rows in _rows_by_team(frame, columns).items()}


def _sentence(trended: list[tuple[Any, ...]], period: pd.Timestamp) -> str:
    """The week's change in words; empty when engagement was not measured that week.
    ``trended``: one team's (period, engagement, prev_period, respondents, sentence)."""
    row = next((r for r in trended if r[0] == period), None)
    if row is None:
        return ""
    _, _, prev, respondents, sentence = row
    if pd.isna(prev):
        return NO_EARLIER.format(n=int(respondents))
    return str(sentence)


def _latest_drivers(ds: pd.DataFrame, since: pd.Timestamp) -> pd.DataFrame:
    """Each (team, driver)'s latest shown score in the window, with its change since the
    shown week before it (``change``) and whether that change is within noise."""
    ds = ds.dropna(subset=["score"]).sort_values(["team", "driver", "period"])
    g = ds.groupby(["team", "driver"], sort=False)
    change = ds["score"] - g["score"].shift()
    spread = (ds["se"] ** 2 + g["se"].shift() ** 2) ** 0.5
    ds = ds.assign(change=change, within_noise=~(change.abs() >= Z * spread))
    last = ds.groupby(["team", "driver"], sort=False).tail(1)
    return last[last["period"] >= since]


def _driver_figures(rows: list[tuple[Any, ...]] | None) -> tuple[DriverFigure, ...]:
    """``rows``: (driver, score, n, period, change, within_noise) of _latest_drivers."""
    if rows is None:
        return ()
    return tuple(
        DriverFigure(
            driver=str(driver),
            score=float(score),
            n=int(n),
            period=period.date(),
            change=None if pd.isna(change) else float(change),
            within_noise=bool(within),
        )
        for driver, score, n, period, change, within in rows
    )


def team_flags(
    fig: Figures,
    scores: pd.DataFrame,
    ds: pd.DataFrame,
    teams: Sequence[str],
    since: pd.Timestamp,
    *,
    period: pd.Timestamp | None = None,
) -> dict[str, list[RedFlag]]:
    """Red flags of each team's latest shown week (or of ``period``), over shown weeks only.

    A flag is counted once per team: a group is flagged only in a week its own members
    answered. So a department without members of its own is never flagged (it rolls up
    its teams, whose flags its report lists), and one whose week is only its teams' weeks
    is not a second team at risk. Teams sharing a latest week are flagged together (one
    call); driver deciles compare a team with every shown leaf, as alerts expects.
    """
    mine = scores[scores["team"].isin(list(teams))]
    recent = mine[mine["period"] >= since]
    if period is not None:
        recent = recent[recent["period"] == period]
    latest = recent.groupby("team")["period"].max()
    latest = latest[[fig.own(team, p) for team, p in latest.items()]]
    leaves = ds[ds["team"].isin(fig.tree.leaves)]
    cutoffs = None
    if fig.cutoffs is not None:  # kept ready (figures.store): ds holds only the asked nodes
        first = fig.window.first()  # as team_figures' ds
        cutoffs = pd.Series({p: c for p, c in fig.cutoffs.items() if p >= first}, dtype=float)
    out: dict[str, list[RedFlag]] = {}
    for week, group in latest.groupby(latest):
        found = red_flags(
            mine[mine["team"].isin(group.index)],
            leaves,
            period=week,
            engagement_drivers=fig.engagement,
            cutoffs=cutoffs,
        )
        for flag in found:
            if flag.team in group.index:
                out.setdefault(flag.team, []).append(flag)
    return out
