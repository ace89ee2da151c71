"""Segment cuts (`/pulse report TEAM by SEGMENT`, HR's `org by layer`, the digest, export):
a node's week cut by one attribute, from sealed sums, through the one privacy rule.

``segment_cut`` loads the weeks' figures from the one pipeline (figures.pipeline: every
node's totals and which of them the team rule shows) and the sealed per-value sums
(storage.segment_sums), rolls the values up the team tree as the totals are, and decides
every cell of every node and attribute at once with figures.segment_guard: respondents per
cell for the week, answers per cell for each driver (and eNPS). Cells are decided for the
whole org, never for one request, so whichever cut a person asks for, the same cells are
hidden, and no two cuts, nor a cut and a total, subtract to fewer than k people.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from sqlmodel import Session

from figures import store
from figures.guard import Tree
from figures.link_sentences import ValueLink
from figures.pipeline import Figures, Window
from figures.segment_guard import Cell, shown_cells
from figures.segments import spec
from insights.scores import ENPS, ORG, SUMMED, driver_scores, team_period_scores
from settings.config import OTHER, AppConfig
from storage.segment_seal import Atoms
from storage.segment_sums import segment_agg, segment_atoms, segment_participation

SEP = "\x1f"
LOOK_BACK = 4  # weeks: a cut shows the latest of these weeks with the node's total shown


@dataclass(frozen=True)
class SegmentRow:
    """One value of a cut: its figures, or ``shown`` False with none of them."""

    value: str
    shown: bool
    respondents: int | None = None
    participation: float | None = None
    engagement: float | None = None
    enps: float | None = None
    drivers: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class SegmentCut:
    node: str
    attribute: str
    name: str  # the attribute's name in config.toml
    k: int
    period: dt.date | None  # None: no week with the node's total shown
    respondents: int = 0  # the node's own total that week
    engagement: float | None = None
    rows: tuple[SegmentRow, ...] = ()
    # the org's cut by the linked attribute: the digest's EX↔CX link by value (metric ·
    # value, worded when shown), figures.segment_ready.org_links; empty for any other cut
    links: tuple[ValueLink, ...] = ()


@dataclass(frozen=True)
class SegmentWeek:
    """Every node's cells of one week: ``cells`` per (node, attribute, value) with
    ``shown``; ``drivers`` per cell and driver with ``shown``; the week's Figures."""

    period: pd.Timestamp
    fig: Figures
    cells: pd.DataFrame
    drivers: pd.DataFrame

    @cached_property
    def rows(self) -> dict[tuple[str, str], dict[str, dict[str, Any]]]:
        """(node, attribute) -> value -> the cell's row: looked up, not filtered, per cut."""
        out: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
        for row in self.cells.to_dict("records"):
            out.setdefault((row["team"], row["attribute"]), {})[row["value"]] = row
        return out

    @cached_property
    def scored(self) -> dict[Cell, tuple[tuple[str, float], ...]]:
        """Each cell's shown driver scores (eNPS apart), scored once for the week."""
        ds = self.drivers
        shown = ds[ds["shown"] & (ds["driver"] != ENPS)]
        keyed = shown.assign(team=_key(shown)).drop(columns=["attribute", "value", "shown"])
        out: dict[Cell, list[tuple[str, float]]] = {}
        scored = driver_scores(keyed)
        for key, driver, score in zip(
            scored["team"], scored["driver"], scored["score"], strict=True
        ):
            t, a, v = str(key).split(SEP)
            out.setdefault((t, a, v), []).append((str(driver), float(score)))
        return {cell: tuple(lines) for cell, lines in out.items()}

    @cached_property
    def totals(self) -> dict[str, dict[str, Any]]:
        """node -> its total row of the week (figures.pipeline scores)."""
        week = self.fig.scores[self.fig.scores["period"] == self.period]
        return {str(r["team"]): r for r in week.to_dict("records")}


@dataclass(frozen=True)
class SegmentSums:
    """The sealed segment sums of a span of weeks: per-value sums and counts (each a
    database GROUP BY) and each counted pulse's atoms (figures.segment_audit), in memory."""

    agg: pd.DataFrame
    part: pd.DataFrame
    atoms: Mapping[dt.date, Mapping[str, Atoms | None]]
    attributes: tuple[str, ...]


def load_sums(
    session: Session,
    *,
    config: AppConfig,
    workspace_id: int,
    start: dt.date,
    end: dt.date,
    now: dt.datetime,
    secret: bytes | None,
) -> SegmentSums:
    """The sums every segment figure of weeks [start, end] is computed from. Without
    PULSE_SECRET the atoms do not open and no cell is shown (the audit cannot run)."""
    k, fingerprint = config.privacy.min_group_size, spec(config)
    attributes = tuple(s.key for s in config.segments)
    agg = segment_agg(
        session, workspace_id=workspace_id, start=start, end=end, k=k, now=now, spec=fingerprint
    )
    part = segment_participation(
        session, workspace_id=workspace_id, start=start, end=end, k=k, now=now, spec=fingerprint
    )
    atoms = segment_atoms(
        session,
        workspace_id=workspace_id,
        start=start,
        end=end,
        k=k,
        now=now,
        spec=fingerprint,
        secret=secret,
        attributes=attributes,
    )
    return SegmentSums(agg=agg, part=part, atoms=atoms, attributes=attributes)


def _key(frame: pd.DataFrame) -> pd.Series:
    return frame["team"] + SEP + frame["attribute"] + SEP + frame["value"]


def guarded_week(
    fig: Figures, seg: SegmentSums, period: pd.Timestamp, *, node: str | None = None
) -> SegmentWeek:
    """The week's segment cells rolled up the tree and decided by figures.segment_guard
    (every node's, audited on the week's atoms); scored for ``node``'s cells only when
    given, else for every node's."""
    tree, k = fig.tree, fig.k
    seg_agg, seg_part = seg.agg, seg.part
    opened = seg.atoms.get(period.date(), {})
    atoms = {team: a for team, a in opened.items() if a is not None}
    week = fig.scores[fig.scores["period"] == period]
    totals = {
        str(t): (int(n), bool(s))
        for t, n, s in zip(week["team"], week["respondents"], week["shown"], strict=True)
    }
    people = _rolled(seg_part[seg_part["period"] == period], tree, [], ["invited", "respondents"])
    counts: dict[Cell, int] = {(c[0], c[1], c[2]): sums[1] for c, sums in people.items()}
    shown = shown_cells(counts, totals, tree.parents, k, atoms=atoms, attributes=seg.attributes)
    answers = _rolled(seg_agg[seg_agg["period"] == period], tree, ["driver"], SUMMED)
    by_driver: dict[str, dict[Cell, int]] = {}
    for (t, a, v, driver), sums in answers.items():
        by_driver.setdefault(driver, {})[t, a, v] = sums[0]
    driver_totals = _driver_totals(fig, period)
    ok = {
        (*cell, driver)
        for driver, cell_n in by_driver.items()
        for cell in shown_cells(cell_n, driver_totals.get(driver, {}), tree.parents, k) & shown
    }
    wanted = [c for c in people if node is None or c[0] == node]
    mine = set(wanted)
    part = pd.DataFrame(
        [(*c, period, *people[c], c in shown) for c in wanted],
        columns=["team", "attribute", "value", "period", "invited", "respondents", "shown"],
    )
    rows = [(*c, period, *sums, c in ok) for c, sums in answers.items() if c[:3] in mine]
    agg = pd.DataFrame(
        rows, columns=["team", "attribute", "value", "driver", "period", *SUMMED, "shown"]
    )
    return SegmentWeek(period=period, fig=fig, cells=_scored(part, agg, fig), drivers=agg)


def _rolled(
    frame: pd.DataFrame, tree: Tree, by: list[str], sums: list[str]
) -> dict[tuple[str, ...], list[int]]:
    """(node, attribute, value, *by) -> summed ``sums``: each stored team's row counts for
    the team, every node above it and the org (as figures.pipeline.rolled, for one week)."""
    out: dict[tuple[str, ...], list[int]] = {}
    columns = [frame[c].tolist() for c in ("team", "attribute", "value", *by, *sums)]
    width = 3 + len(by)
    for row in zip(*columns, strict=True):
        team, key, values = row[0], tuple(map(str, row[1:width])), row[width:]
        for node in tree.lineage.get(team, ()):
            cell = (node, *key)
            total = out.get(cell)
            if total is None:
                out[cell] = [int(x) for x in values]
            else:
                for i, x in enumerate(values):
                    total[i] += int(x)
    return out


def _driver_totals(fig: Figures, period: pd.Timestamp) -> dict[str, dict[str, tuple[int, bool]]]:
    """driver -> node -> (answers, shown) of the week's total cells (eNPS from the scores)."""
    out: dict[str, dict[str, tuple[int, bool]]] = {}
    ds = fig.drivers[fig.drivers["period"] == period]
    for team, driver, n, shown in zip(ds["team"], ds["driver"], ds["n"], ds["shown"], strict=True):
        out.setdefault(str(driver), {})[str(team)] = (int(n), bool(shown))
    week = fig.scores[fig.scores["period"] == period]
    out[ENPS] = {
        str(t): (int(n), int(n) > 0) for t, n in zip(week["team"], week["enps_n"], strict=True)
    }
    return out


def _scored(part: pd.DataFrame, agg: pd.DataFrame, fig: Figures) -> pd.DataFrame:
    """Engagement and eNPS per cell, as the pipeline scores a node-week: engagement only
    when every engagement driver cell it averages is shown, eNPS only from its shown cell."""
    if part.empty:
        return part.assign(engagement=np.nan, enps=np.nan, participation=np.nan)
    keyed_agg = agg.assign(team=_key(agg))
    keyed_part = part.assign(team=_key(part))
    scores = team_period_scores(
        keyed_agg.drop(columns=["attribute", "value", "shown"]),
        keyed_part.drop(columns=["attribute", "value", "shown"]),
        engagement_drivers=fig.engagement,
    ).set_index("team")
    hidden = set(
        keyed_agg.loc[~keyed_agg["shown"] & keyed_agg["driver"].isin(fig.engagement), "team"]
    )
    polled = set(keyed_agg.loc[keyed_agg["shown"] & (keyed_agg["driver"] == ENPS), "team"])
    key = _key(part)
    out = part.copy()
    engagement = key.map(scores["engagement"])
    enps = key.map(scores["enps"])
    out["engagement"] = engagement.where(part["shown"] & ~key.isin(hidden))
    out["enps"] = enps.where(part["shown"] & key.isin(polled))
    rate = part["respondents"] / part["invited"].where(part["invited"] > 0)
    out["participation"] = rate.where(part["shown"])
    return out


def segment_cut(
    session: Session,
    *,
    config: AppConfig,
    workspace_id: int,
    node: str,
    attribute: str,
    now: dt.datetime,
    secret: bytes | None,
) -> SegmentCut:
    """``node``'s cut by ``attribute`` in the latest of the last LOOK_BACK weeks where its
    total and at least one of its cells are shown (else the latest week with its total
    shown, every value hidden; else no week). Cells are decided for the whole org."""
    window = Window.ending(now.date(), weeks=LOOK_BACK)
    fig = store.read(
        session, config=config, workspace_id=workspace_id, window=window, closed_by=now, nodes=None
    )
    mine = fig.scores[(fig.scores["team"] == node) & fig.scores["shown"]]
    if mine.empty:
        return cut(None, config=config, node=node, attribute=attribute)
    first = None
    for period in sorted(mine["period"].unique(), reverse=True):
        day = pd.Timestamp(period).date()
        sums = load_sums(
            session,
            config=config,
            workspace_id=workspace_id,
            start=day,
            end=day,
            now=now,
            secret=secret,
        )
        week = guarded_week(fig, sums, pd.Timestamp(period), node=node)
        found = cut(week, config=config, node=node, attribute=attribute)
        if any(r.shown for r in found.rows):
            return found
        first = first or found
    assert first is not None
    return first


def cut(week: SegmentWeek | None, *, config: AppConfig, node: str, attribute: str) -> SegmentCut:
    """One node's cut by one attribute: a row per value (config order, "other" last, when
    stored); a value with no stored cell (fewer than k answered, or nobody has it) is hidden."""
    seg = config.segment(attribute)
    assert seg is not None, attribute
    k = config.privacy.min_group_size
    if week is None:
        return SegmentCut(node, attribute, seg.name, k, None)
    total = week.totals[node]
    cells = week.rows.get((node, attribute), {})
    rows = []
    for value in seg.labels():
        r = cells.get(value)
        if r is None and value == OTHER:
            continue
        if r is None or not r["shown"]:  # a value fewer than k answered is not even stored
            rows.append(SegmentRow(value, False))
            continue
        rows.append(
            SegmentRow(
                value,
                True,
                respondents=int(r["respondents"]),
                participation=_float(r["participation"]),
                engagement=_float(r["engagement"]),
                enps=_float(r["enps"]),
                drivers=week.scored.get((node, attribute, value), ()),
            )
        )
    return SegmentCut(
        node,
        attribute,
        seg.name,
        k,
        week.period.date(),
        respondents=int(total["respondents"]),
        engagement=_float(total["engagement"]),
        rows=tuple(rows),
    )


def _float(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


SEGMENT_ROWS = [
    *("team", "name", "week", "segment", "value", "respondents", "participation_pct"),
    *("engagement", "enps"),
]


def segment_rows(
    session: Session,
    *,
    fig: Figures,
    config: AppConfig,
    workspace_id: int,
    closed_by: dt.datetime,
    secret: bytes | None,
) -> pd.DataFrame:
    """`pulse export`'s segments.csv: every node's cells for each week of ``fig``'s window,
    decided as the reports decide them; a hidden cell keeps its row with empty figures."""
    sums = load_sums(
        session,
        config=config,
        workspace_id=workspace_id,
        start=fig.window.since,
        end=fig.window.end,
        now=closed_by,
        secret=secret,
    )
    names = {t.key: t.name for t in config.teams} | {ORG: "Whole organisation"}
    frames = []
    for period in sorted(sums.part["period"].unique()):
        cells = guarded_week(fig, sums, pd.Timestamp(period)).cells
        shown = cells["shown"]
        frames.append(
            cells.assign(
                name=cells["team"].map(names),
                week=cells["period"].dt.date,
                segment=cells["attribute"],
                respondents=cells["respondents"].where(shown).astype("Int64"),
                participation_pct=(cells["participation"] * 100).round(1),
                engagement=cells["engagement"].round(1),
                enps=cells["enps"].round(1),
            )[SEGMENT_ROWS]
        )
    if not frames:
        return pd.DataFrame(columns=SEGMENT_ROWS)
    return pd.concat(frames, ignore_index=True)


def org_cuts(
    session: Session,
    *,
    fig: Figures,
    config: AppConfig,
    workspace_id: int,
    period: pd.Timestamp,
    closed_by: dt.datetime,
    secret: bytes | None,
) -> list[SegmentCut]:
    """The org's week cut by every attribute (the digest's segment section), decided for
    the whole org as every cut is; ``fig`` holds every node's totals of that week."""
    if not config.segments:
        return []
    day = period.date()
    sums = load_sums(
        session,
        config=config,
        workspace_id=workspace_id,
        start=day,
        end=day,
        now=closed_by,
        secret=secret,
    )
    week = guarded_week(fig, sums, period, node=ORG)
    return [cut(week, config=config, node=ORG, attribute=s.key) for s in config.segments]
