"""The one privacy rule across segment cuts: no two shown figures subtract to 1..k−1 people.

A hypothesis property over random orgs (a random team tree, people in random teams with
random layers and personas, random respondents, random k): people's values are sealed as
the seal does (a value fewer than k of the team's invited share becomes "other"; a team's
cell fewer than k answered is not stored), totals go
through the team rule and cells through figures.segment_guard, and then every pair of shown
figures (totals and cells) whose people nest is checked, by the people themselves rather
than by the counts the guard saw. So are the larger combinations the guard promises: a total
minus its shown cells of one attribute, a cell minus its nearest shown cells below, and any
A − B, A − B − C or A + B − C of shown figures, across attributes (figures.segment_audit).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from itertools import combinations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from figures.guard import safe_groups
from figures.segment_guard import shown_cells
from figures.segment_links import links_by_value
from insights.scores import ORG

ATTRIBUTES = {"layer": ["frontline", "support", "back-office"], "persona": ["a", "b", "c"]}


@st.composite
def orgs(draw: st.DrawFn) -> tuple[dict[str, str | None], list[dict[str, str]], int]:
    teams = draw(st.integers(1, 7))
    parents: dict[str, str | None] = {ORG: None}
    for i in range(teams):
        parents[f"t{i}"] = draw(st.sampled_from([ORG, *(f"t{j}" for j in range(i))]))
    people = []
    for p in range(draw(st.integers(0, 60))):
        person = {
            "id": f"p{p}",
            "team": draw(st.sampled_from([f"t{i}" for i in range(teams)])),
            "answered": "yes" if draw(st.integers(0, 9)) < 8 else "",
        }
        for attribute, values in ATTRIBUTES.items():
            person[attribute] = draw(st.sampled_from(values))
        people.append(person)
    return parents, people, draw(st.integers(3, 6))


def _sealed(people: list[dict[str, str]], k: int) -> list[dict[str, str]]:
    """Each person's values as their team's pulse seals them (values under k invited: other)."""
    out = []
    for person in people:
        row = dict(person)
        for attribute in ATTRIBUTES:
            shared = Counter(p[attribute] for p in people if p["team"] == person["team"])
            if shared[person[attribute]] < k:
                row[attribute] = "other"
        out.append(row)
    return out


def _under(node: str, team: str, parents: dict[str, str | None]) -> bool:
    at: str | None = team
    while at is not None:
        if at == node:
            return True
        at = parents[at]
    return False


def _shown_figures(  # type: ignore[no-untyped-def]
    parents: dict[str, str | None], people: list[dict[str, str]], k: int, *, audit: bool = True
):
    sealed = [p for p in _sealed(people, k) if p["answered"]]
    members = {
        node: {p["id"] for p in sealed if _under(node, p["team"], parents)} for node in parents
    }
    counts = {node: len(ids) for node, ids in members.items()}
    shown_totals = safe_groups(counts, parents, k)
    totals = {node: (counts[node], node in shown_totals) for node in parents}
    # a team's cell fewer than k answered is not stored: its people are in no cell
    answered = Counter((p["team"], a, p[a]) for p in sealed for a in ATTRIBUTES)
    groups: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for node in parents:
        for p in sealed:
            if p["id"] in members[node]:
                for attribute in ATTRIBUTES:
                    if answered[p["team"], attribute, p[attribute]] >= k:
                        groups[node, attribute, p[attribute]].add(p["id"])
    cells = {cell: len(ids) for cell, ids in groups.items()}
    atoms: dict[str, Counter[tuple[str, ...]]] = defaultdict(Counter)
    for p in sealed:  # as the seal counts them: each respondent's stored cells at once
        stored = [p[a] if answered[p["team"], a, p[a]] >= k else "" for a in ATTRIBUTES]
        atoms[p["team"]][tuple(stored)] += 1
    shown = shown_cells(
        cells, totals, parents, k, atoms=atoms if audit else None, attributes=list(ATTRIBUTES)
    )
    figures = {("total", node): frozenset(members[node]) for node in shown_totals}
    figures |= {("cell", *cell): frozenset(groups[cell]) for cell in shown}
    return figures, shown, groups, totals, members


def _combinations_that_isolate(figures: dict, k: int) -> list:  # type: ignore[type-arg]
    """Every ±1 combination of two or three shown figures (A − B, A − B − C, A + B − C) that
    is exactly a group of 1 to k−1 people, worked out on the people; and every two figures
    whose differences both ways are such groups (A − B = a few people's answers minus a few
    others'). Counts prune first; the sets decide."""
    named = sorted(figures.items(), key=lambda f: (len(f[1]), f[0]))
    out = []
    for i, (a, fa) in enumerate(named):
        for b, fb in named[:i]:
            only_a, only_b = len(fa - fb), len(fb - fa)
            if 0 < only_a < k and only_b < k and fa & fb:
                out.append((a, "-", b))
        for j, (b, fb) in enumerate(named[:i]):
            for c, fc in named[j + 1 : i]:
                if 0 < len(fa) - len(fb) - len(fc) < k and fb | fc <= fa and not fb & fc:
                    out.append((a, "-", b, "-", c))
                if 0 < len(fb) + len(fc) - len(fa) < k and fa <= fb | fc and fb & fc <= fa:
                    out.append((b, "+", c, "-", a))
    return out


@settings(max_examples=150, deadline=None)
@given(orgs())
def test_no_two_shown_figures_subtract_to_fewer_than_k_people(org) -> None:  # type: ignore[no-untyped-def]
    parents, people, k = org
    figures, shown, groups, totals, members = _shown_figures(parents, people, k)
    for people_set in figures.values():
        assert len(people_set) >= k
    for (name_a, a), (name_b, b) in combinations(figures.items(), 2):
        small, big = (a, b) if len(a) <= len(b) else (b, a)
        if small <= big:
            left = len(big) - len(small)
            assert left == 0 or left >= k, (name_a, name_b, left)
    # a total minus its shown cells of one attribute: nobody or k+ people
    for node, (_count, total_shown) in totals.items():
        for attribute in ATTRIBUTES:
            cut = [c for c in shown if c[0] == node and c[1] == attribute]
            assert not cut or total_shown
            rest = members[node] - set().union(*(groups[c] for c in cut))
            assert not cut or len(rest) == 0 or len(rest) >= k
    # a shown cell minus the nearest shown cells of its value below it: nobody or k+
    for cell in shown:
        below = [
            c
            for c in shown
            if c[1:] == cell[1:] and c[0] != cell[0] and _under(cell[0], c[0], parents)
        ]
        nearest = [
            c for c in below if not any(d != c and _under(d[0], c[0], parents) for d in below)
        ]
        rest = groups[cell] - set().union(*(groups[c] for c in nearest))
        assert len(rest) == 0 or len(rest) >= k
    # a shown cell minus two or three disjoint shown figures inside it on nodes below its node,
    # of its value or totals (a department's frontline minus one team's frontline and another
    # team's total, which is that team's frontline too)
    for cell in shown:
        inside = {
            f
            for (kind, below, *value), f in figures.items()
            if f < groups[cell]
            and below != cell[0]
            and _under(cell[0], below, parents)
            and (kind == "total" or tuple(value) == cell[1:])
        }
        for size in (2, 3):
            for parts in combinations(inside, size):
                if sum(map(len, parts)) == len(frozenset().union(*parts)):  # disjoint
                    left = len(groups[cell]) - sum(map(len, parts))
                    assert left == 0 or left >= k, (cell, left)
    # across attributes too (figures.segment_audit): no A − B, A − B − C or A + B − C of
    # shown figures is a group of 1..k−1 people (the org's "a" − a team − the org's frontline)
    assert _combinations_that_isolate(figures, k) == []


def test_a_cell_one_person_short_of_its_team_is_hidden_and_so_is_its_complement() -> None:
    """Support has 12 respondents, 11 frontline and 1 other: showing frontline would show the
    one other person's answers by subtraction, so the frontline cell is hidden too."""
    parents: dict[str, str | None] = {ORG: None, "support": ORG}
    cells = {("support", "layer", "frontline"): 11, ("support", "layer", "other"): 1}
    totals = {"support": (12, True), ORG: (12, True)}
    assert shown_cells(cells, totals, parents, 5) == set()
    cells = {("support", "layer", "frontline"): 7, ("support", "layer", "other"): 5}
    shown = shown_cells(cells, totals, parents, 5)
    assert shown == {("support", "layer", "frontline"), ("support", "layer", "other")}


def test_cells_of_a_team_whose_total_is_hidden_are_hidden() -> None:
    parents: dict[str, str | None] = {ORG: None, "a": ORG, "b": ORG}
    cells = {("a", "layer", "frontline"): 6, ("org", "layer", "frontline"): 6}
    totals = {"a": (6, False), "b": (2, False), ORG: (8, True)}
    assert shown_cells(cells, totals, parents, 5) == set()


def test_the_link_by_layer_finds_the_layer_that_leads_csat() -> None:
    """Six teams over 20 weeks: each team's CSAT follows its frontline cell's engagement one
    week later; its back-office cell moves on its own. Pooled within team, the frontline's
    link is reliable and the back office's is not."""
    rng = np.random.default_rng(16)
    weeks = pd.date_range("2026-03-02", periods=20, freq="7D")
    ex, cx = [], []
    for team in [f"t{i}" for i in range(6)]:
        front = rng.normal(70, 6, len(weeks))
        back = rng.normal(70, 6, len(weeks))
        for w, period in enumerate(weeks):
            ex += [(team, period, "frontline", front[w]), (team, period, "back-office", back[w])]
            led = front[w - 1] if w else 70.0
            cx.append((team, period, "csat", 0.9 * led + rng.normal(0, 2), 100, "0-100", "weekly"))
    ex_all = pd.DataFrame(ex, columns=["team", "period", "value", "score"])
    frame = pd.DataFrame(
        cx, columns=["team", "period", "metric", "value", "sample_size", "scale", "cadence"]
    )
    said = {
        x.label: x.sentence
        for x in links_by_value(ex_all, frame, ["frontline", "back-office", "support"])
    }
    assert said["CSAT · frontline"].startswith("Frontline engagement tends to lead CSAT by 1 week")
    assert said["CSAT · back-office"].startswith("No reliable link")
    assert said["CSAT · support"] == "No week yet in which a team's support cell could be shown."


def test_a_team_total_that_is_its_frontline_counts_as_its_frontline_cell() -> None:
    """The review's case: A, B, C make up D; A has 3 frontline respondents, B and C are all
    frontline (6 each). Hiding B's frontline is no use while B's total (the same 6 people)
    is shown: D's frontline 15 − C's 6 − B's total 6 would be A's 3 frontline people."""
    parents: dict[str, str | None] = {ORG: None, "D": ORG, "A": "D", "B": "D", "C": "D"}
    cells = {
        ("A", "layer", "frontline"): 3,
        ("A", "layer", "support"): 5,
        ("B", "layer", "frontline"): 6,
        ("C", "layer", "frontline"): 6,
        ("D", "layer", "frontline"): 15,
        ("D", "layer", "support"): 5,
        (ORG, "layer", "frontline"): 15,
        (ORG, "layer", "support"): 5,
    }
    totals = {ORG: (20, True), "D": (20, True), "A": (8, True), "B": (6, True), "C": (6, True)}
    shown = shown_cells(cells, totals, parents, 5)
    assert ("D", "layer", "frontline") not in shown
    assert (ORG, "layer", "frontline") not in shown
    assert shown == {("B", "layer", "frontline"), ("C", "layer", "frontline")}


def _leaks(figures: dict, k: int) -> list:  # type: ignore[type-arg]
    """Every shown figure minus two disjoint shown figures inside it leaving 1..k−1 people."""
    out = []
    for name, whole in figures.items():
        inside = {n: f for n, f in figures.items() if f < whole}
        for (a, fa), (b, fb) in combinations(inside.items(), 2):
            if not fa & fb and 0 < len(whole) - len(fa) - len(fb) < k:
                out.append((name, a, b))
    return out


def test_org_cells_without_the_cells_fewer_than_k_answered_give_no_team_away() -> None:
    """Cells of teams fewer than k answered are not stored, so the org's cells miss them.
    One: t0 (3, hidden) and t1 (1, hidden) beside t2 (3): the org's persona "other" is t0's
    three, and the org's 7 − t2's 3 − it would be t1's one person. Two: the org's frontline
    (t0's 3 and t1's 3; t2's 2 not stored) is apart from t2: the org's 10 − t2's 3 − it
    would be t0's one support person."""
    parents: dict[str, str | None] = {ORG: None, "t0": ORG, "t1": ORG, "t2": ORG}
    one = [("t0", "frontline", "a"), ("t0", "frontline", "a"), ("t1", "frontline", "a")]
    one += [("t2", "frontline", "a")] * 3 + [("t0", "frontline", "b")]
    two = [("t0", "frontline", "a")] * 3 + [("t1", "frontline", "a")] * 3
    two += [("t0", "support", "a"), ("t2", "frontline", "a"), ("t2", "frontline", "a")]
    two += [("t2", "support", "a")]
    for world in (one, two):
        people = [
            {"id": f"p{i}", "team": t, "answered": "yes", "layer": layer, "persona": persona}
            for i, (t, layer, persona) in enumerate(world)
        ]
        figures, *_ = _shown_figures(parents, people, 3)
        assert _leaks(figures, 3) == []


def test_a_cell_hidden_by_a_pair_is_not_left_as_its_totals_remainder() -> None:
    """The pair rule hid the org's persona "b" (3) beside its "support" layer (4), but the
    org's 13 minus its shown "a" (10) still gave b's 3, and support − b is one person: seen
    on people, the org's "a" − its frontline (6) − its layer "other" (3) = 1."""
    parents: dict[str, str | None] = {ORG: None, "t0": ORG, "t1": ORG, "t2": ORG}
    world = [("t0", "frontline", "a")] * 3 + [("t1", "frontline", "a")] * 3
    world += [("t0", "support", "a"), ("t2", "frontline", "a"), ("t2", "frontline", "a")]
    world += [("t2", "support", "a")] + [("t0", "support", "b")] * 3
    people = [
        {"id": f"p{i}", "team": t, "answered": "yes", "layer": layer, "persona": persona}
        for i, (t, layer, persona) in enumerate(world)
    ]
    figures, *_ = _shown_figures(parents, people, 3)
    assert _leaks(figures, 3) == []


def test_a_group_worked_out_across_two_attributes_is_hidden() -> None:
    """The known gap, k = 3: t0 has 3 frontline "a" and 1 back-office "a" (back office:
    "other", not stored), t1 3 frontline "a" and 3 support "b", t2 2 frontline and 1 support,
    all "a" (its layer cells: "other"). HR's digest shows the org's cut by every attribute
    and every team's total: the org's "a" 10 − t2's total 3 − the org's frontline 6 is t0's
    back-office person. The rules on each attribute's counts show all three; on people,
    the audit hides a cell."""
    parents: dict[str, str | None] = {ORG: None, "t0": ORG, "t1": ORG, "t2": ORG}
    world = [("t0", "frontline", "a")] * 3 + [("t0", "back-office", "a")]
    world += [("t1", "frontline", "a")] * 3 + [("t1", "support", "b")] * 3
    world += [("t2", "frontline", "a")] * 2 + [("t2", "support", "a")]
    people = [
        {"id": f"p{i}", "team": t, "answered": "yes", "layer": layer, "persona": persona}
        for i, (t, layer, persona) in enumerate(world)
    ]
    before, *_ = _shown_figures(parents, people, 3, audit=False)
    three = {("cell", ORG, "persona", "a"), ("total", "t2"), ("cell", ORG, "layer", "frontline")}
    assert three <= set(before)
    found = [set(c[::2]) for c in _combinations_that_isolate(before, 3)]
    assert three in found  # the org's "a" − t2's total − the org's frontline
    after, *_ = _shown_figures(parents, people, 3)
    assert _combinations_that_isolate(after, 3) == []
    assert ("total", "t2") in after  # a total is never hidden for a cell's sake


def test_two_cells_of_equal_count_that_differ_by_one_person_each_are_not_both_shown() -> None:
    """Frontline 6 and persona "a" 6 in one team of 12, sharing 5: frontline − "a" is one
    person's answers minus another's (a − b = 4 on a 1–5 scale names both answers)."""
    parents: dict[str, str | None] = {ORG: None, "t0": ORG}
    world = [("frontline", "a")] * 5 + [("frontline", "b"), ("support", "a")]
    world += [("support", "b")] * 5
    people = [
        {"id": f"p{i}", "team": "t0", "answered": "yes", "layer": layer, "persona": persona}
        for i, (layer, persona) in enumerate(world)
    ]
    before, *_ = _shown_figures(parents, people, 3, audit=False)
    pair = {("cell", "t0", "layer", "frontline"), ("cell", "t0", "persona", "a")}
    assert pair <= set(before)
    after, *_ = _shown_figures(parents, people, 3)
    assert not pair <= set(after)
    assert _combinations_that_isolate(after, 3) == []
