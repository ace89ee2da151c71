"""The audit behind figures.segment_guard's rules: combinations of shown figures, on people.

The guard's rules read each attribute's counts only, so they cannot see a combination
across two attributes (the org's persona "a" 10 − team t2's total 3 − the org's frontline
6 = one person, when t2's frontline was not stored and everyone else in "a" is frontline).
This audit reads the week's *atoms*: each team pulse's respondents grouped by their stored
cell of every attribute at once (a value whose team cell was not stored: ""), sealed by
storage.segment_seal and read only in memory. Every shown figure (a node's total, a node's
cell) is a union of atoms, so a combination of figures is known exactly, person by person.

A combination leaks when it is exactly a group of 1 to k−1 people (every atom counted 0 or 1
times): A − B, A − B − C and A + B − C over the shown figures of the week (every view a
person may see is a subset of them: HR's digest alone shows the org's cuts by every
attribute and every team's total). Two figures whose differences both ways are groups of 1
to k−1 people (frontline 6 and 0–12m 6 sharing 5: A − B is one person's answers minus
another's) leak too. The smallest shown cell involved is hidden (never a total).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

Cell = tuple[str, str, str]  # (node, attribute, value): as figures.segment_guard
# team -> (its stored cell of each attribute, "" where not stored) -> respondents
Atoms = Mapping[str, Mapping[tuple[str, ...], int]]


@dataclass(frozen=True)
class _Figure:
    node: str
    cell: Cell | None  # None: the node's total
    n: int
    people: int  # a bit per respondent: which people the figure counts


def figures_of(
    shown: set[Cell],
    cells: Mapping[Cell, int],
    totals: Mapping[str, tuple[int, bool]],
    lineage: Mapping[str, Sequence[str]],
    atoms: Atoms,
    attributes: Sequence[str],
) -> list[_Figure] | None:
    """Every shown figure as a set of people; None when the atoms do not add up to the
    counts the rules saw (a week with a seal without atoms: the audit cannot run on it)."""
    members: dict[str, int] = defaultdict(int)
    cell_bits: dict[Cell, int] = defaultdict(int)
    bit = 0
    for team in sorted(atoms):
        for key, n in sorted(atoms[team].items()):
            if n <= 0:
                continue
            mask = ((1 << n) - 1) << bit
            bit += n
            for node in lineage.get(team, (team,)):
                members[node] |= mask
                for attribute, value in zip(attributes, key, strict=True):
                    if value:
                        cell_bits[node, attribute, value] |= mask
    out = [
        _Figure(node, None, n, members[node])
        for node, (n, is_shown) in sorted(totals.items())
        if is_shown
    ]
    out += [_Figure(c[0], c, cells[c], cell_bits[c]) for c in sorted(shown)]
    if any(f.people.bit_count() != f.n for f in out):
        return None
    return out


def derivable(figures: list[_Figure], lineage: Mapping[str, Sequence[str]], k: int) -> set[Cell]:
    """Cells to hide: the smallest shown cell of each combination that leaks (module doc).
    Figures of two nodes neither above the other hold nobody in common, so each figure is
    only combined with those of its node, the nodes above it and the nodes below it."""
    ordered = sorted(figures, key=lambda f: (f.n, f.node, f.cell or ("", "", "")))
    rank = {id(f): r for r, f in enumerate(ordered)}
    by_node: dict[str, list[_Figure]] = defaultdict(list)
    for f in ordered:
        by_node[f.node].append(f)
    related: dict[str, set[str]] = defaultdict(set)
    for node, chain in lineage.items():
        for above in chain:
            related[node].add(above)
            related[above].add(node)
    hide: set[Cell] = set()

    def caught(*parts: _Figure) -> None:
        named = [f for f in parts if f.cell is not None]
        if named:
            smallest = min(named, key=lambda f: (f.n, f.cell))
            hide.add(smallest.cell)  # type: ignore[arg-type]

    for a in ordered:
        near = sorted(
            (f for node in related.get(a.node, {a.node}) for f in by_node.get(node, ())),
            key=lambda f: rank[id(f)],
        )
        below = [f for f in near if rank[id(f)] < rank[id(a)]]
        for b in below:  # A − B, and two figures differing both ways by small groups
            if b.n <= a.n - k or not a.people & b.people:
                continue
            only_a = (a.people & ~b.people).bit_count()
            only_b = (b.people & ~a.people).bit_count()
            if only_b < k and 0 < only_a < k:
                caught(a, b)
        inside = [f for f in below if f.people & ~a.people == 0]
        inside_n = [f.n for f in inside]
        for j, b in enumerate(inside):  # A − B − C, B and C apart inside A
            lo = bisect_left(inside_n, a.n - b.n - k + 1, lo=j + 1)
            hi = bisect_right(inside_n, a.n - b.n - 1, lo=j + 1)
            for c in inside[lo:hi]:
                if not b.people & c.people:
                    caught(a, b, c)
        touching = [f for f in below if f.people & a.people]
        touching_n = [f.n for f in touching]
        for j, b in enumerate(touching):  # B + C − A: A within B ∪ C, B ∩ C within A
            lo = bisect_left(touching_n, a.n - b.n + 1, lo=j + 1)
            hi = bisect_right(touching_n, a.n - b.n + k - 1, lo=j + 1)
            for c in touching[lo:hi]:
                if a.people & ~(b.people | c.people) == 0 and b.people & c.people & ~a.people == 0:
                    caught(a, b, c)
    return hide
