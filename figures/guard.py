"""The one privacy rule, over the configured team tree, one week (and driver) at a time.

A figure is shown only when it rests on at least k people and no shown figure minus the
shown figures below it leaves between 1 and k−1 people (insights.privacy.visible_groups).
``shown_mask`` applies that to every (week[, driver]) of a frame of rolled-up counts, with
a vectorised fast path for the usual case where it hides nothing (visible_groups is
quadratic in teams, so it runs only for the weeks that need it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pandas as pd

from insights.privacy import MIN_K, visible, visible_groups
from insights.scores import ORG
from settings.config import AppConfig


@dataclass(frozen=True)
class Tree:
    """The config's teams under one org root: who rolls up into whom.

    A stored team no longer in config.toml hangs off the org: its answers still count for
    the org (they were the org's), never for a department."""

    lineage: dict[str, list[str]]  # team -> itself, its ancestors, ORG
    parents: dict[str, str | None]  # node -> parent (ORG for top teams, None for ORG)
    leaves: frozenset[str]  # teams with no team below them

    @classmethod
    def of(cls, config: AppConfig, stored: Iterable[str] = ()) -> Tree:
        keys = [t.key for t in config.teams]
        parents: dict[str, str | None] = {t.key: t.parent or ORG for t in config.teams}
        lineage = {key: [key, *config.ancestors(key), ORG] for key in keys}
        for key in stored:
            if key not in parents and key != ORG:
                parents[key], lineage[key] = ORG, [key, ORG]
                keys.append(key)
        parents[ORG] = None
        has_children = {p for p in parents.values() if p is not None}
        return cls(
            lineage=lineage,
            parents=parents,
            leaves=frozenset(k for k in keys if k not in has_children),
        )

    def top(self, team: str) -> str:
        """The team's top-level department (the team itself when it hangs off the org)."""
        chain = self.lineage.get(team, [team, ORG])
        return chain[-2] if len(chain) > 1 else team


def safe_groups(counts: Mapping[str, int], parents: Mapping[str, str | None], k: int) -> set[str]:
    """visible_groups(counts, parents, k), answered in linear time when it hides nothing.

    If every non-zero count reaches k and every group's count minus its children's is 0 or
    at least k, all non-zero groups are safe to show; otherwise defer to visible_groups.
    """
    below: dict[str, int] = {}
    for group, n in counts.items():
        parent = parents.get(group)
        if parent is not None:
            below[parent] = below.get(parent, 0) + n
    nonzero = {g for g, n in counts.items() if n > 0}
    if all(visible(counts[g], k) for g in nonzero) and all(
        counts[g] - below.get(g, 0) == 0 or visible(counts[g] - below.get(g, 0), k) for g in nonzero
    ):
        return nonzero
    return visible_groups(counts, parents, k)


def shown_mask(frame: pd.DataFrame, tree: Tree, column: str, k: int, *, by: list[str]) -> pd.Series:
    """True for rows (``team``, ``period``, *by) whose ``column`` count may be shown.

    ``frame`` holds rolled-up counts (a node's count covers everyone below it). Groups of
    (period, *by) where every non-zero count reaches k and every remainder is 0 or k+ are
    decided at once; the others go through ``safe_groups`` one by one.
    """
    keep = pd.Series(False, index=frame.index)
    if frame.empty:
        return keep
    keys = ["period", *by]
    n = frame[column].fillna(0).astype("int64")
    floor = max(k, MIN_K)
    parent = frame["team"].map(tree.parents)
    below = (
        frame.assign(team=parent, _n=n)
        .dropna(subset=["team"])
        .groupby(["team", *keys], sort=False)["_n"]
        .sum()
    )
    index = pd.MultiIndex.from_frame(frame[["team", *keys]])
    rest = n - below.reindex(index).fillna(0).astype("int64").to_numpy()
    fine = ((n == 0) | (n >= floor)) & ((n == 0) | (rest == 0) | (rest >= floor))
    bad = (~fine).groupby([frame[c] for c in keys], sort=False).transform("any")
    keep[~bad] = n[~bad] > 0
    for _, group in frame[bad].groupby(keys, sort=False):
        counts = dict(zip(group["team"], n[group.index], strict=True))
        shown = safe_groups(counts, tree.parents, k)
        keep[group.index] = group["team"].isin(shown)
    return keep
