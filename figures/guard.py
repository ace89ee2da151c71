"""The differencing guard over the configured team tree, one week (and driver) at a time.

insights.privacy.visible_groups decides which groups of a hierarchy may show a figure so
that no shown figure minus the shown figures below it leaves between 1 and k−1 people.
This applies it to every (week[, driver]) of a frame of rolled-up counts, with a linear
fast path for the usual case where it would hide nothing (it is quadratic in teams).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from insights.privacy import visible, visible_groups
from insights.scores import ORG
from settings.config import AppConfig


@dataclass(frozen=True)
class Tree:
    """The config's teams under one org root: who rolls up into whom."""

    lineage: dict[str, list[str]]  # team -> itself, its ancestors, ORG
    parents: dict[str, str | None]  # node -> parent (ORG for top teams, None for ORG)
    leaves: frozenset[str]  # teams with no team below them

    @classmethod
    def of(cls, config: AppConfig) -> Tree:
        keys = [t.key for t in config.teams]
        parents: dict[str, str | None] = {t.key: t.parent or ORG for t in config.teams}
        parents[ORG] = None
        has_children = {p for p in parents.values() if p is not None}
        return cls(
            lineage={key: [key, *config.ancestors(key), ORG] for key in keys},
            parents=parents,
            leaves=frozenset(k for k in keys if k not in has_children),
        )


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
    """True for rows (``team``, ``period``, *by) whose ``column`` count may be shown."""
    keep = pd.Series(False, index=frame.index)
    if frame.empty:
        return keep
    for _, group in frame.groupby(["period", *by], sort=False):
        counts = dict(zip(group["team"], group[column].fillna(0).astype(int), strict=True))
        shown = safe_groups(counts, tree.parents, k)
        keep[group.index] = group["team"].isin(shown)
    return keep


def shown_groups(teams: pd.DataFrame, config: AppConfig, k: int) -> set[str]:
    """Team, department and ORG keys whose week may be shown: visible_groups over the tree."""
    parents: dict[str, str | None] = {t.key: t.parent or ORG for t in config.teams}
    parents[ORG] = None
    counts = dict.fromkeys(parents, 0)
    for key, n in zip(teams["team"], teams["respondents"].fillna(0), strict=True):
        parents.setdefault(key, ORG)  # a team no longer in config.toml hangs off the org
        for group in {key, *config.ancestors(key), ORG}:
            counts[group] = counts.get(group, 0) + int(n)
    return visible_groups(counts, parents, k)
