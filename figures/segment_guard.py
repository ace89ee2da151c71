"""The one privacy rule, extended to segment cuts: complementary suppression across cells.

A segment cell is a node (team, department, org) cut by one attribute value, e.g. the
frontline of Customer Support. Beside the node totals the team rule (figures.guard) already
decides, a person may see any of these cells, so any two of them, or a total and some cells,
could be subtracted. Cells are hidden until none of these isolates 1 to k−1 people:

- *floor*: a cell rests on k+ people, and on a node whose total is shown (else the node's
  cells would add up to the hidden total);
- *pairs*: two shown figures whose groups may be nested (on a node and a node above it, or
  on one node) differ by 0 or k+ people. Whether they may nest is read off the counts of
  every cell, shown or not: two values of one attribute never meet; Billing's total lies
  in the org's "support" only if all of Billing's respondents are "support". Where counts
  cannot tell ("frontline in Support" within "Paris in the org"), the pair is held to it;
- *partition*: a shown total minus its shown cells of one attribute leaves 0 or k+ people,
  and so does a total minus some of its shown cells and its shown children that hold none
  of those cells' people (the org's frontline misses a team whose frontline fewer than k
  answered: such cells are not stored, storage.segment_seal); the same on what is left of
  a node beside its shown children;
- *tree*: a shown cell minus the nearest shown cells of the same value below it leaves 0 or
  k+ people (the team rule, per value); a node's shown total counts as its cell of a value
  when that cell holds all of its respondents (the same people), shown or not.

Then, given the week's atoms, figures.segment_audit: any ±1 combination of up to three
shown figures that is exactly a group of 1 to k−1 people, checked on people (across two
attributes too, which these rules, reading each attribute's counts, cannot see).

Where a rule fails, the smallest cell involved is hidden (never a total: those are the team
rule's), and the rules run again until nothing changes. Deterministic: the same counts
always hide the same cells, whoever asks and whichever cut they ask for.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Mapping, Sequence
from itertools import combinations

from figures.segment_audit import Atoms, derivable, figures_of
from insights.privacy import MIN_K

Cell = tuple[str, str, str]  # (node, attribute, value)


def shown_cells(
    cells: Mapping[Cell, int],
    totals: Mapping[str, tuple[int, bool]],
    parents: Mapping[str, str | None],
    k: int,
    *,
    atoms: Atoms | None = None,
    attributes: Sequence[str] = (),
) -> set[Cell]:
    """Which cells may be shown, given each node's total (count, shown by the team rule).

    ``cells`` hold counts rolled up the tree (a department's frontline covers its teams');
    ``parents`` is the team tree (figures.guard.Tree.parents). With the week's ``atoms``
    (each team's respondents by their cells of ``attributes`` at once), the rules are
    followed by figures.segment_audit, on people: what it finds is hidden and all run again.
    Atoms that do not add up to the counts (a pulse whose atoms did not open) show nothing."""
    floor = max(k, MIN_K)
    lineage = {node: _lineage(node, parents) for node in {c[0] for c in cells} | set(totals)}
    shown = {
        c
        for c, n in cells.items()
        if n >= floor and totals.get(c[0], (0, False))[1] and totals[c[0]][0] >= n
    }
    while True:  # one rule at a time, each on what the ones before it left shown
        pairs = _rests_too(shown, cells, totals, lineage, floor)
        shown -= pairs
        partitions = _partitions(shown, cells, totals, parents, floor) | _own(
            shown, cells, totals, parents, floor
        )
        shown -= partitions
        trees = _trees(shown, cells, totals, lineage, floor)
        shown -= trees
        shown -= _same_people(pairs | partitions | trees, shown, cells, lineage)
        if pairs or partitions or trees:
            continue
        if atoms is None:
            return shown
        figures = figures_of(shown, cells, totals, lineage, atoms, attributes)
        if figures is None:
            return set()  # atoms that do not add up to the counts: no cell can be audited
        found = derivable(figures, lineage, floor)
        shown -= found | _same_people(found, shown, cells, lineage)
        if not found:
            return shown


def _lineage(node: str, parents: Mapping[str, str | None]) -> list[str]:
    chain, seen = [node], {node}
    while (parent := parents.get(chain[-1])) is not None and parent not in seen:
        chain.append(parent)
        seen.add(parent)
    return chain


def _same_people(
    hidden: set[Cell], shown: set[Cell], cells: Mapping[Cell, int], lineage: Mapping[str, list[str]]
) -> set[Cell]:
    """Shown cells of a value, on a node above or below a just-hidden cell of that value, with
    the same count: the same people (one lies inside the other), so hidden with it."""
    out = set()
    for cell in shown:
        for above in lineage[cell[0]][1:]:
            up = (above, cell[1], cell[2])
            if up in hidden and cells[up] == cells[cell]:
                out.add(cell)
    for cell in hidden:
        for above in lineage[cell[0]][1:]:
            up = (above, cell[1], cell[2])
            if up in shown and cells[up] == cells[cell]:
                out.add(up)
    return out


def _order(cell: Cell, cells: Mapping[Cell, int], depth: int) -> tuple[int, int, Cell]:
    """Which of two cells to hide first: the smaller, then the deeper, then by name."""
    return (cells[cell], -depth, cell)


def _pairs(
    shown: set[Cell],
    cells: Mapping[Cell, int],
    totals: Mapping[str, tuple[int, bool]],
    lineage: Mapping[str, list[str]],
    floor: int,
) -> set[Cell]:
    """Cells in a pair of possibly nested shown figures that differ by 1 to k−1 people."""
    by_node: dict[str, list[Cell]] = defaultdict(list)
    for cell in shown:
        by_node[cell[0]].append(cell)
    hide: set[Cell] = set()
    for node, chain in lineage.items():
        own: list[tuple[int, Cell | None]] = [(cells[c], c) for c in by_node.get(node, ())]
        n_total, total_shown = totals.get(node, (0, False))
        if total_shown:
            own.append((n_total, None))
        if not own:
            continue
        # each figure of this node against every shown figure on it and the nodes above it
        others: list[tuple[int, Cell | None]] = list(own)
        for above in chain[1:]:
            n, up_shown = totals.get(above, (0, False))
            if up_shown:
                others.append((n, None))
            others.extend((cells[c], c) for c in by_node.get(above, ()))
        others.sort(key=lambda o: o[0])
        counts = [o[0] for o in others]
        for n, mine in own:
            lo = bisect_left(counts, n - floor + 1)
            hi = bisect_left(counts, n + floor)
            for count, other in others[lo:hi]:
                if count == n or other == mine or (mine is None and other is None):
                    continue  # equal counts: the same people or not nested; totals: team rule
                if mine in hide or other in hide:
                    continue  # one of the two is hidden already: the pair is no longer seen
                if not _may_nest(node, n_total, mine, other, cells):
                    continue
                if mine is None or other is None:
                    hide.add(other if mine is None else mine)  # type: ignore[arg-type]
                else:
                    hide.add(min(mine, other, key=lambda c: _order(c, cells, len(lineage[c[0]]))))
    return hide


REST = "\x00rest"  # a node's people in none of its shown cells of an attribute


def _rests_too(
    shown: set[Cell],
    cells: Mapping[Cell, int],
    totals: Mapping[str, tuple[int, bool]],
    lineage: Mapping[str, list[str]],
    floor: int,
) -> set[Cell]:
    """The pair rule, with each node's total minus its shown cells of an attribute (its
    rest: a hidden cell stays worked out this way) as one more figure of that attribute.
    A rest can't be hidden itself: where it breaks a pair, the node's smallest shown cell of
    the attribute is hidden (the rest grows), and the rules run again."""
    rests: dict[Cell, int] = {}
    groups: dict[tuple[str, str], list[Cell]] = defaultdict(list)
    for cell in shown:
        groups[cell[0], cell[1]].append(cell)
    for (node, attribute), members in groups.items():
        left = totals[node][0] - sum(cells[c] for c in members)
        if left > 0:
            rests[node, attribute, REST] = left
    hide = _pairs(shown | set(rests), {**cells, **rests}, totals, lineage, floor)
    out = {c for c in hide if c[2] != REST}
    for node, attribute, _ in hide - out:
        members = groups[node, attribute]
        out.add(min(members, key=lambda c: (cells[c], c)))
    return out


def _may_nest(
    node: str, total: int, mine: Cell | None, other: Cell | None, cells: Mapping[Cell, int]
) -> bool:
    """Whether ``mine`` (a figure of ``node``: its total when None) and ``other`` (a figure
    of ``node`` or a node above it: a total when None) may hold one inside the other, as far
    as the cells' counts tell (every count is known, shown or not; a missing cell is 0)."""
    if other is None or (mine is None and other[0] == node):
        return True  # anything within a total above it, or a node's cell within its total
    if mine is None:  # node's total vs a cell (above, a, v) of a node above
        here = cells.get((node, other[1], other[2]), 0)
        return here == total or cells[other] == here
    if mine[1] == other[1]:
        return mine[2] == other[2]  # one attribute: the same value nests, two never meet
    # (node, b, u) inside (above, a, v) needs node's v-people to hold it; (above, a, v) inside
    # (node, b, u) needs all of above's v-people to be node's, and as many u-people
    here = cells.get((node, other[1], other[2]), 0)
    return here >= cells[mine] or (cells[other] == here and cells[mine] >= cells[other])


def _partitions(
    shown: set[Cell],
    cells: Mapping[Cell, int],
    totals: Mapping[str, tuple[int, bool]],
    parents: Mapping[str, str | None],
    floor: int,
) -> set[Cell]:
    """For each node and attribute: the total minus some of its shown cells, and minus its
    shown children that hold none of those cells' people (a child whose cell of each value
    is empty), must be 0 or k+ (all the cells: the plain partition)."""
    children: dict[str, list[str]] = defaultdict(list)
    for node, parent in parents.items():
        if parent is not None and totals.get(node, (0, False))[1]:
            children[parent].append(node)
    groups: dict[tuple[str, str], list[Cell]] = defaultdict(list)
    for cell in shown:
        groups[cell[0], cell[1]].append(cell)
    hide = set()
    for (node, attribute), members in groups.items():
        members.sort()
        if len(members) <= 6:
            chosen = [list(c) for r in range(1, len(members) + 1) for c in combinations(members, r)]
        else:
            chosen = [[c] for c in members] + [members]
        for some in chosen:
            left = totals[node][0] - sum(cells[c] for c in some)
            apart = [
                kid
                for kid in children.get(node, [])
                if all(cells.get((kid, attribute, c[2]), 0) == 0 for c in some)
            ]
            checked = [left - sum(totals[kid][0] for kid in apart)] if apart else []
            if len(some) == len(members):
                checked.append(left)  # the plain partition
            if any(0 < rest < floor for rest in checked):
                hide.add(min(some, key=lambda c: (cells[c], c)))
    return hide


def _own(
    shown: set[Cell],
    cells: Mapping[Cell, int],
    totals: Mapping[str, tuple[int, bool]],
    parents: Mapping[str, str | None],
    floor: int,
) -> set[Cell]:
    """The partition rule on what is left of a node beside its shown children (its total
    minus theirs: its own people and its hidden children's): minus its cells of one
    attribute worked out there too (the node's shown cell minus its shown children's cells
    of the value, each shown, the child's whole total, or empty), 0 or k+ left."""
    children: dict[str, list[str]] = defaultdict(list)
    for node, parent in parents.items():
        if parent is not None:
            children[parent].append(node)
    whole = {c for c, n in cells.items() if n > 0 and totals.get(c[0], (0, False)) == (n, True)}
    seen = shown | whole
    groups: dict[tuple[str, str], list[Cell]] = defaultdict(list)
    for cell in shown:
        groups[cell[0], cell[1]].append(cell)
    hide = set()
    for (node, attribute), members in groups.items():
        kids = [c for c in children.get(node, []) if totals.get(c, (0, False))[1]]
        own = totals[node][0] - sum(totals[c][0] for c in kids)
        known, rest = [], own
        for cell in members:
            below = [(kid, attribute, cell[2]) for kid in kids]
            if all(cells.get(b, 0) == 0 or b in seen for b in below):
                known.append(cell)
                rest -= cells[cell] - sum(cells.get(b, 0) for b in below)
        if known and 0 < rest < floor:
            hide.add(min(known, key=lambda c: (cells[c], c)))
    return hide


def _trees(
    shown: set[Cell],
    cells: Mapping[Cell, int],
    totals: Mapping[str, tuple[int, bool]],
    lineage: Mapping[str, list[str]],
    floor: int,
) -> set[Cell]:
    """For each shown cell: minus its nearest shown same-value cells below, 0 or k+ left.

    A node's shown total counts as its cell of a value that holds all of its respondents
    (Billing's total is Billing's frontline when everyone in Billing is frontline), shown
    or not: the same people, so the same subtraction. Where the rule fails, the smallest
    shown cell below is hidden (one its shown total also shows is no use hiding), else the
    cell above; never a total (the team rule's)."""
    whole = {c for c, n in cells.items() if n > 0 and totals.get(c[0], (0, False)) == (n, True)}
    seen = shown | whole
    nearest: dict[Cell, list[Cell]] = defaultdict(list)
    for cell in seen:
        for above in lineage[cell[0]][1:]:
            up = (above, cell[1], cell[2])
            if up in seen:
                nearest[up].append(cell)
                break
    hide = set()
    for up, below in nearest.items():
        rest = cells[up] - sum(cells[c] for c in below)
        if 0 < rest < floor:
            cells_below = [c for c in below if c in shown and c not in whole]
            if cells_below:
                hide.add(min(cells_below, key=lambda c: (cells[c], c)))
            elif up in shown:
                hide.add(up)
    return hide
