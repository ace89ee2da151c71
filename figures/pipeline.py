"""The one figures pipeline: sums loaded once, rolled up the team tree, one privacy rule.

Every surface (team and department reports, Home, the digest and its charts, alerts, the
export) takes its figures from a ``Figures``, built in two steps:

- ``load`` (the only I/O): for one window, the sums of reportable pulses
  (storage.aggregates.driver_agg and participation: closed pulses with k+ respondents,
  questions with k+ answers), the CX values (storage.cx.cx_frame) and the pulses left out
  below k (storage.left_out.small_pulses), one query each, for the whole workspace: the
  differencing guard needs every team's counts to decide any one figure.
- ``guarded`` (pure): each team's sums count for the team, every department above it and
  the org; scores per node-week (insights.scores) and the one rule (figures.guard) decide
  what may be shown: a node's week by its respondents, each driver cell by its answers (and
  its week), engagement only when every engagement driver cell it averages is shown (else
  the shown drivers and the engagement would give the hidden one away), eNPS by its own
  cell. Hidden figures are NaN; rows stay, so a surface can say that something was hidden.

Windows: weeks run Monday to Sunday; a window is ``weeks`` weeks ending with the week of
``monday(day)``, with ``history`` weeks loaded in all (a trend needs the weeks before the
first one shown, a link a year of weeks).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Collection, Mapping
from dataclasses import dataclass

import pandas as pd
from sqlmodel import Session

from figures.guard import Tree, shown_mask
from insights.questions import engagement_drivers, load_bank
from insights.scores import ENPS, SUMMED, driver_scores, team_period_scores
from settings.config import AppConfig
from storage.aggregates import driver_agg, participation
from storage.cx import cx_frame
from storage.left_out import small_pulses

EXTRA_WEEKS = 4  # history before a window: the previous week and the 4-week baseline
NONE: frozenset[str] = frozenset()


def monday(day: dt.date) -> dt.date:
    """The Monday of ``day``'s week: the key of every weekly figure."""
    return day - dt.timedelta(days=day.weekday())


@dataclass(frozen=True)
class Window:
    """``weeks`` weeks shown, the last starting ``end`` (a Monday); ``history`` weeks loaded."""

    end: dt.date
    weeks: int
    history: int
    cx_after: int = 0  # weeks of CX values after ``end`` (a chart shows CX that follows)

    @classmethod
    def ending(cls, day: dt.date, *, weeks: int, history: int = 0, cx_after: int = 0) -> Window:
        return cls(monday(day), weeks, max(weeks, history), cx_after)

    @property
    def since(self) -> dt.date:
        """The first shown week's Monday."""
        return self.end - dt.timedelta(weeks=self.weeks - 1)

    @property
    def start(self) -> dt.date:
        """The first loaded week's Monday."""
        return self.end - dt.timedelta(weeks=self.history - 1)

    def first(self, extra: int = EXTRA_WEEKS) -> pd.Timestamp:
        """The first week a figure of the shown weeks may rest on (``extra`` weeks before)."""
        return pd.Timestamp(self.since - dt.timedelta(weeks=extra))


@dataclass(frozen=True)
class Answered:
    """(node, week) -> the stored teams whose counted pulse makes up that node's week.

    Looked up, not tabulated: a request asks about a few nodes, the org has thousands of
    node-weeks."""

    by_week: Mapping[pd.Timestamp, frozenset[str]]  # week -> every team with a counted pulse
    below: Mapping[str, frozenset[str]]  # node -> the stored teams it rolls up (itself too)

    @classmethod
    def of(cls, part: pd.DataFrame, tree: Tree) -> Answered:
        below: dict[str, set[str]] = {}
        for team, chain in tree.lineage.items():
            for node in chain:
                below.setdefault(node, set()).add(team)
        by_week = {
            period: frozenset(teams)
            for period, teams in part.groupby("period", sort=False)["team"]
            if len(teams)
        }
        return cls(by_week, {node: frozenset(teams) for node, teams in below.items()})

    def get(self, node: str, period: pd.Timestamp) -> frozenset[str]:
        teams = self.by_week.get(period, NONE)
        return teams & self.below.get(node, NONE) if teams else NONE

    def same(self, node: str, period: pd.Timestamp, other: pd.Timestamp) -> bool:
        """Whether the same stored teams make up the node's two weeks."""
        return self.get(node, period) == self.get(node, other)

    def own(self, node: str, period: pd.Timestamp) -> bool:
        """Whether the node's own members (not only teams below it) answered that week."""
        return node in self.get(node, period)

    def mix(self, node: str, period: pd.Timestamp) -> str:
        """A fingerprint of ``get``: equal for two weeks exactly when ``same`` is true."""
        joined = "\n".join(sorted(self.get(node, period)))
        return hashlib.sha256(joined.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Mixes:
    """``Answered`` as kept ready (figures.store) for a few nodes: each node-week's fingerprint
    of the teams that made it up, and whether its own members answered."""

    mixes: Mapping[tuple[str, pd.Timestamp], str]
    owned: frozenset[tuple[str, pd.Timestamp]]

    @property
    def by_week(self) -> Mapping[pd.Timestamp, frozenset[str]]:
        raise TypeError("figures read for a few nodes do not know every team's weeks")

    def same(self, node: str, period: pd.Timestamp, other: pd.Timestamp) -> bool:
        return self.mixes.get((node, period), "") == self.mixes.get((node, other), "")

    def own(self, node: str, period: pd.Timestamp) -> bool:
        return (node, period) in self.owned


@dataclass(frozen=True)
class Sums:
    """What ``load`` read: one frame per query, each row one stored team's week."""

    window: Window
    agg: pd.DataFrame  # storage.aggregates.DRIVER_AGG_COLUMNS
    part: pd.DataFrame  # storage.aggregates.PARTICIPATION_COLUMNS
    cx: pd.DataFrame  # storage.cx.cx_frame
    small: pd.DataFrame  # storage.left_out.small_pulses, shown weeks only


def load(
    session: Session, *, workspace_id: int, window: Window, k: int, closed_by: dt.datetime
) -> Sums:
    """The workspace's sums over ``window`` from pulses closed by ``closed_by`` (four queries)."""
    ws, start, end = workspace_id, window.start, window.end
    cx_end = end + dt.timedelta(weeks=window.cx_after, days=6)
    return Sums(
        window=window,
        agg=driver_agg(session, workspace_id=ws, start=start, end=end, k=k, now=closed_by),
        part=participation(session, workspace_id=ws, start=start, end=end, k=k, now=closed_by),
        cx=cx_frame(session, workspace_id=ws, start=start, end=cx_end),
        small=small_pulses(
            session, workspace_id=ws, start=window.since, end=end, k=k, now=closed_by
        ),
    )


@dataclass(frozen=True)
class Figures:
    """Every node-week of a window, rolled up and guarded; what every surface reads.

    ``scores``: insights.scores.SCORE_COLUMNS per node-week plus ``shown`` (the week may be
    shown); engagement, its SE and favourable % are NaN unless every engagement driver cell
    is shown, eNPS NaN (``enps_n`` 0) unless its cell is. ``drivers``: driver_scores per
    node-week-driver plus ``shown``; hidden cells keep their row with NaN figures.
    """

    k: int
    window: Window
    tree: Tree
    engagement: tuple[str, ...]  # the bank's engagement drivers
    scores: pd.DataFrame
    drivers: pd.DataFrame
    answered: Answered | Mixes
    cx: pd.DataFrame
    left_out: Mapping[str, int]  # node -> pulses in the shown weeks closed below k
    small: pd.DataFrame  # storage.left_out.small_pulses rows (stored teams), shown weeks
    # Read for a few nodes (figures.store): only their rows, and the red flags' bottom-decile
    # cutoff of each week kept ready; None: every node, cutoffs from the leaves' rows.
    nodes: frozenset[str] | None = None
    cutoffs: Mapping[pd.Timestamp, float] | None = None

    @property
    def shown_scores(self) -> pd.DataFrame:
        return self.scores[self.scores["shown"]]

    @property
    def shown_drivers(self) -> pd.DataFrame:
        return self.drivers[self.drivers["shown"]]

    def small_in(self, period: pd.Timestamp) -> set[str]:
        """Stored teams with a pulse that week that closed below k."""
        return set(self.small.loc[self.small["period"] == period, "team"])

    def own(self, node: str, period: pd.Timestamp) -> bool:
        """Whether the node's own members (not only teams below it) answered that week."""
        return self.answered.own(node, period)


def bank_engagement() -> tuple[str, ...]:
    """The shipped question bank's engagement drivers (custom questions add no drivers)."""
    return engagement_drivers(load_bank())


def figures(
    session: Session,
    *,
    config: AppConfig,
    workspace_id: int,
    window: Window,
    closed_by: dt.datetime,
    engagement: Collection[str] | None = None,
) -> Figures:
    """``load`` then ``guarded``: the one path from the database to a shown figure."""
    k = config.privacy.min_group_size
    sums = load(session, workspace_id=workspace_id, window=window, k=k, closed_by=closed_by)
    return guarded(sums, config=config, k=k, engagement=engagement)


def guarded(
    sums: Sums, *, config: AppConfig, k: int, engagement: Collection[str] | None = None
) -> Figures:
    """The sums rolled up along the tree, scored, and every figure through the one rule."""
    drivers = tuple(engagement) if engagement is not None else bank_engagement()
    raw_agg, raw_part, small = (_dated(f) for f in (sums.agg, sums.part, sums.small))
    tree = Tree.of(config, sorted({*raw_agg["team"], *raw_part["team"], *small["team"]}))
    answered = Answered.of(raw_part, tree)
    part = rolled(raw_part, tree, ["period"], ["invited", "respondents"])
    agg = rolled(raw_agg, tree, ["period", "driver"], SUMMED)
    scores = team_period_scores(agg, part, engagement_drivers=drivers)
    scores["shown"] = shown_mask(scores, tree, "respondents", k, by=[])
    weeks = scores.loc[scores["shown"], ["team", "period"]].assign(_week=True)
    cells = agg[["team", "period", "driver", "n"]].merge(weeks, on=["team", "period"], how="left")
    cells["shown"] = shown_mask(cells, tree, "n", k, by=["driver"]) & cells["_week"].eq(True)
    cells = cells.drop(columns=["_week", "n"])
    ds = driver_scores(agg).merge(cells, on=["team", "period", "driver"], how="left")
    ds["shown"] = ds["shown"].eq(True)
    for column in ("score", "se", "favourable_pct"):
        ds[column] = ds[column].where(ds["shown"])
    hidden = cells[~cells["shown"] & cells["driver"].isin(drivers)][["team", "period"]]
    enps = cells[cells["shown"] & (cells["driver"] == ENPS)][["team", "period"]]
    key = pd.MultiIndex.from_frame(scores[["team", "period"]])
    engaged = scores["shown"] & ~key.isin(pd.MultiIndex.from_frame(hidden))
    polled = scores["shown"] & key.isin(pd.MultiIndex.from_frame(enps))
    for column in ("engagement", "engagement_se", "favourable_pct"):
        scores[column] = scores[column].where(engaged)
    scores["enps"] = scores["enps"].where(polled)
    scores["enps_n"] = scores["enps_n"].where(polled, 0)
    return Figures(
        k=k,
        window=sums.window,
        tree=tree,
        engagement=drivers,
        scores=scores,
        drivers=ds,
        answered=answered,
        cx=sums.cx,
        left_out=left_out(small, tree),
        small=small,
    )


def left_out(small: pd.DataFrame, tree: Tree) -> dict[str, int]:
    """Node -> pulses below k of the teams it rolls up (storage.left_out.small_pulses rows)."""
    left = rolled(small, tree, [], ["pulses"]).set_index("team")["pulses"]
    return {str(t): int(n) for t, n in left.items()}


def _dated(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(period=pd.to_datetime(frame["period"]))


def rolled(frame: pd.DataFrame, tree: Tree, by: list[str], sums: list[str]) -> pd.DataFrame:
    """Sums per (node, *by): each row counts for its team, every ancestor and the org."""
    known = frame[frame["team"].isin(tree.lineage)]
    exploded = known.assign(team=known["team"].map(tree.lineage)).explode("team")
    if exploded.empty:
        return frame.iloc[:0][["team", *by, *sums]]
    return exploded.groupby(["team", *by], as_index=False)[sums].sum()
