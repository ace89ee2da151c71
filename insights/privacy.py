"""The minimum-group-size (k-anonymity) guard every surface goes through.

No score, count, percentage, chart or comment is shown for fewer than k respondents, and
no two figures that are shown may be subtracted to isolate fewer than k people.
"""

from __future__ import annotations

from collections.abc import Mapping

MIN_K = 3


def visible(n: int, k: int) -> bool:
    """True when a figure from `n` people may be shown under threshold `k`."""
    return n >= max(k, MIN_K)


def withheld_sentence(*, k: int, what: str = "figures") -> str:
    """Why nothing is shown, without revealing how many answered."""
    return (
        f"No {what} yet: results are shown only once at least {k} people have answered, "
        "so nobody's answers can be singled out."
    )


def visible_groups(
    counts: Mapping[str, int], parents: Mapping[str, str | None], k: int
) -> set[str]:
    """Which groups of a hierarchy may show figures without differencing below k.

    `counts[g]` is the number of respondents in g's whole subtree; `parents[g]` its parent.
    A shown group's figure minus those of its nearest shown descendants covers the people
    in neither: that remainder must be 0 or at least k. Where it is not, the smallest of
    those descendants is hidden too (merged into the remainder), as enterprise tools do,
    until every remainder is safe.
    """
    shown = {g for g, n in counts.items() if visible(n, k)}
    changed = True
    while changed:
        changed = False
        for group in sorted(shown, key=lambda g: _depth(g, parents)):
            if group not in shown:
                continue
            nearest = _nearest_shown_descendants(group, shown, parents)
            remainder = counts[group] - sum(counts[d] for d in nearest)
            if 0 < remainder < max(k, MIN_K):
                shown.discard(min(nearest, key=lambda d: (counts[d], d)))
                changed = True
    return shown


def _depth(group: str, parents: Mapping[str, str | None]) -> int:
    depth, seen = 0, {group}
    while (parent := parents.get(group)) is not None and parent not in seen:
        seen.add(parent)
        group, depth = parent, depth + 1
    return depth


def _nearest_shown_descendants(
    group: str, shown: set[str], parents: Mapping[str, str | None]
) -> list[str]:
    nearest = []
    for other in shown:
        node, hops = parents.get(other), 0
        while node is not None and hops <= len(parents):
            if node == group:
                nearest.append(other)
                break
            if node in shown:
                break  # a shown group lies in between: `other` is not nearest
            node, hops = parents.get(node), hops + 1
    return nearest
