"""No figure from fewer than k people, alone or by subtracting shown figures."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from insights.privacy import visible, visible_groups, withheld_sentence


@st.composite
def org_trees(draw):  # type: ignore[no-untyped-def]
    """A random team tree: parents, each group's own respondents, subtree totals."""
    size = draw(st.integers(1, 8))
    parents: dict[str, str | None] = {"g0": None}
    for i in range(1, size):
        parents[f"g{i}"] = f"g{draw(st.integers(0, i - 1))}"
    direct = {g: draw(st.integers(0, 12)) for g in parents}
    counts = {g: 0 for g in parents}
    for g, n in direct.items():
        node: str | None = g
        while node is not None:
            counts[node] += n
            node = parents[node]
    k = draw(st.integers(3, 6))
    return parents, counts, k


def _is_descendant(node: str, ancestor: str, parents: dict[str, str | None]) -> bool:
    current = parents[node]
    while current is not None:
        if current == ancestor:
            return True
        current = parents[current]
    return False


@settings(max_examples=400, deadline=None)
@given(org_trees())
def test_no_subtraction_of_shown_figures_isolates_fewer_than_k(tree) -> None:  # type: ignore[no-untyped-def]
    parents, counts, k = tree
    shown = visible_groups(counts, parents, k)
    for group in shown:
        assert counts[group] >= k
        below = [d for d in shown if _is_descendant(d, group, parents)]
        # Every set of disjoint shown descendants a reader could subtract from this figure.
        for r in range(1, len(below) + 1):
            for subset in itertools.combinations(below, r):
                if any(_is_descendant(a, b, parents) for a, b in itertools.permutations(subset, 2)):
                    continue
                remainder = counts[group] - sum(counts[d] for d in subset)
                assert remainder == 0 or remainder >= k, (group, subset, remainder)


@settings(max_examples=200, deadline=None)
@given(org_trees())
def test_guard_hides_only_what_it_must(tree) -> None:  # type: ignore[no-untyped-def]
    parents, counts, k = tree
    shown = visible_groups(counts, parents, k)
    root = "g0"
    if counts[root] >= k:
        assert root in shown  # the top of the tree is never hidden when it is large enough


def test_a_small_remainder_hides_the_smallest_child() -> None:
    parents = {"dept": None, "a": "dept", "b": "dept", "c": "dept"}
    counts = {"dept": 17, "a": 5, "b": 9, "c": 2}  # dept - a - b would reveal c's 2 people
    assert visible_groups(counts, parents, 5) == {"dept", "b"}


def test_threshold_basics() -> None:
    assert visible(5, 5) and not visible(4, 5)
    assert not visible(2, 1)  # k is never below 3
    assert "at least 5 people" in withheld_sentence(k=5)
