"""Per-team weekly figures a report or dashboard may show, with every privacy guard applied.

Contract: a figure is built only from reportable answers (storage.reportable: closed
pulses answered by at least k people and, within them, questions answered by at least k),
rolled up along the config tree. So a week below k is left out, never averaged in, and
multi-week figures (trend, baseline, driver changes, sparkline) rest only on weeks that
were shown. Each
week's teams (and each week's drivers) also pass insights.privacy.visible_groups, so no
two figures, in one report or across reports and ``weeks`` values, differ by fewer than k.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd
from sqlmodel import Session

from figures.guard import Tree, shown_mask
from insights.alerts import RedFlag, red_flags
from insights.scores import SUMMED, driver_scores, team_period_scores, trend
from settings.config import AppConfig
from storage.aggregates import driver_agg, participation
from storage.left_out import small_pulses

EXTRA_WEEKS = 4  # history before the window: the previous week and the red-flag baseline
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


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _rolled(frame: pd.DataFrame, tree: Tree, by: list[str], sums: list[str]) -> pd.DataFrame:
    """Sums per (node, *by): each row counts for its team, every ancestor and the org."""
    known = frame[frame["team"].isin(tree.lineage)]
    exploded = known.assign(team=known["team"].map(tree.lineage)).explode("team")
    return exploded.groupby(["team", *by], as_index=False)[sums].sum()


def team_figures(
    session: Session,
    *,
    config: AppConfig,
    workspace_id: int,
    teams: Sequence[str],
    weeks: int,
    now: dt.datetime,
) -> dict[str, TeamFigures]:
    """Figures for ``teams`` over the ``weeks`` weeks up to ``now``'s (three SQL queries)."""
    k, end = config.privacy.min_group_size, _monday(now.date())
    since = pd.Timestamp(end - dt.timedelta(weeks=weeks - 1))
    start = end - dt.timedelta(weeks=weeks - 1 + EXTRA_WEEKS)
    ws = workspace_id
    part = participation(session, workspace_id=ws, start=start, end=end, k=k, now=now)
    agg = driver_agg(session, workspace_id=ws, start=start, end=end, k=k, now=now)
    small = small_pulses(session, workspace_id=ws, start=since.date(), end=end, k=k, now=now)
    tree = Tree.of(config)
    left_out = _rolled(small, tree, [], ["pulses"]).set_index("team")["pulses"]
    empty = {
        t: TeamFigures(t, since.date(), weeks, left_out=int(left_out.get(t, 0))) for t in teams
    }
    if part.empty:
        return empty
    answered = _answered(part, tree)
    part = _rolled(part, tree, ["period"], ["invited", "respondents"])
    agg = _rolled(agg, tree, ["period", "driver"], SUMMED)
    scores = team_period_scores(agg, part)
    scores = scores[shown_mask(scores, tree, "respondents", k, by=[])].reset_index(drop=True)
    ds = driver_scores(agg)
    ds = ds[shown_mask(ds, tree, "n", k, by=["driver"])]
    ds = ds.merge(scores[["team", "period"]], on=["team", "period"])  # the week is shown too
    trended = like_for_like(trend(scores), answered)
    flags = _flags(scores, ds, tree, teams, since, answered)
    by_team = {t: rows for t, rows in scores[scores["period"] >= since].groupby("team")}
    trends = {t: rows for t, rows in trended[trended["period"] >= since].groupby("team")}
    latest = {t: rows for t, rows in _latest_drivers(ds, since).groupby("team")}
    seen = {t: rows for t, rows in ds[ds["driver"] == "perception"].groupby("team")}
    out = {}
    for team in teams:
        if team not in by_team:
            out[team] = empty[team]
            continue
        last = by_team[team].iloc[-1]
        mine = trends.get(team, trended.iloc[:0])
        polled = by_team[team][by_team[team]["enps_n"] > 0]
        perceived = seen.get(team, ds.iloc[:0])
        out[team] = TeamFigures(
            team=team,
            since=since.date(),
            weeks=weeks,
            period=last["period"].date(),
            respondents=int(last["respondents"]),
            invited=int(last["invited"]),
            engagement=None if pd.isna(last["engagement"]) else float(last["engagement"]),
            sentence=_sentence(mine, last["period"]),
            enps=float(polled["enps"].iloc[-1]) if len(polled) else None,
            enps_n=int(polled["enps_n"].iloc[-1]) if len(polled) else 0,
            series=tuple(
                (p.date(), float(e))
                for p, e in zip(mine["period"], mine["engagement"], strict=True)
            ),
            drivers=_driver_figures(latest.get(team)),
            flags=tuple(flags.get(team, ())),
            perceived=tuple(
                (p.date(), float(s), int(n))
                for p, s, n in perceived[perceived["period"] >= since][
                    ["period", "score", "n"]
                ].itertuples(index=False)
            ),
            left_out=empty[team].left_out,
        )
    return out


def _answered(part: pd.DataFrame, tree: Tree) -> dict[tuple[str, pd.Timestamp], frozenset[str]]:
    """(node, week) -> the teams whose counted pulse makes up that node's week."""
    known = part[part["team"].isin(tree.lineage)]
    exploded = known.assign(node=known["team"].map(tree.lineage)).explode("node")
    return {
        (node, period): frozenset(rows["team"])
        for (node, period), rows in exploded.groupby(["node", "period"])
    }


def like_for_like(
    trended: pd.DataFrame, answered: Mapping[tuple[str, pd.Timestamp], frozenset[str]]
) -> pd.DataFrame:
    """A week is compared with the one before only when the same teams answered both.

    A department's (or the org's) week adds up the teams that answered that week; with
    biweekly or monthly teams, or a pulse below k, that mix changes from week to week, and
    a change from another mix of teams is not a change of the department. Such rows keep
    their figures but lose the change: its sentence says why, and it is never beyond noise.
    """
    if trended.empty:
        return trended
    same = [
        pd.isna(prev) or answered.get((team, period)) == answered.get((team, prev))
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


def _sentence(trended: pd.DataFrame, period: pd.Timestamp) -> str:
    """The week's change in words; empty when engagement was not measured that week."""
    row = trended[trended["period"] == period]
    if row.empty:
        return ""
    if pd.isna(row["prev_period"].iloc[0]):
        return NO_EARLIER.format(n=int(row["respondents"].iloc[0]))
    return str(row["sentence"].iloc[0])


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


def _driver_figures(rows: pd.DataFrame | None) -> tuple[DriverFigure, ...]:
    if rows is None:
        return ()
    return tuple(
        DriverFigure(
            driver=str(r.driver),
            score=float(r.score),
            n=int(r.n),
            period=r.period.date(),
            change=None if pd.isna(r.change) else float(r.change),
            within_noise=bool(r.within_noise),
        )
        for r in rows.itertuples(index=False)
    )


def _flags(
    scores: pd.DataFrame,
    ds: pd.DataFrame,
    tree: Tree,
    teams: Sequence[str],
    since: pd.Timestamp,
    answered: Mapping[tuple[str, pd.Timestamp], frozenset[str]],
) -> dict[str, list[RedFlag]]:
    """Red flags of each team's latest shown week, computed over shown weeks only.

    A flag is counted once per team: a group is flagged only in a week its own members
    answered. So a department without members of its own is never flagged (it rolls up
    its teams, whose flags its report lists), and one whose week is only its teams' weeks
    is not a second team at risk. Teams sharing a latest week are flagged together (one
    call); driver deciles compare a team with every shown leaf, as alerts expects.
    """
    mine = scores[scores["team"].isin(teams)]
    latest = mine[mine["period"] >= since].groupby("team")["period"].max()
    latest = latest[[team in answered.get((team, p), ()) for team, p in latest.items()]]
    leaves = ds[ds["team"].isin(tree.leaves)]
    out: dict[str, list[RedFlag]] = {}
    for period, group in latest.groupby(latest):
        found = red_flags(mine[mine["team"].isin(group.index)], leaves, period=period)
        for flag in found:
            if flag.team in group.index:
                out.setdefault(flag.team, []).append(flag)
    return out
