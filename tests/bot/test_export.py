"""`pulse export`: no figure from fewer than k people, and no two that subtract below k."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from figures.export import CX, DRIVERS, TEAMS, export_frames
from figures.pipeline import Sums, Window, guarded
from insights.questions import engagement_drivers, load_bank
from insights.scores import ORG
from settings.config import AppConfig, parse_config

DRIVER_KEYS = ("wellbeing", "tools", "enps")
WEEKS = [pd.Timestamp("2026-11-02"), pd.Timestamp("2026-11-09")]
ENGAGEMENT_DRIVERS = engagement_drivers(load_bank())


@st.composite
def orgs(draw: st.DrawFn) -> tuple[AppConfig, pd.DataFrame, pd.DataFrame, int]:
    """A random tree of departments and teams with random (often small) weekly counts."""
    sizes = draw(st.lists(st.integers(0, 4), min_size=1, max_size=3))  # teams per department
    teams = [
        (f"d{d}t{t}", f"d{d}" if n > 1 else None) for d, n in enumerate(sizes) for t in range(n)
    ]
    rows = [{"key": f"d{d}", "name": f"D{d}"} for d, n in enumerate(sizes) if n > 1]
    rows += [{"key": t, "name": t.upper(), "usergroup": "S0X", "parent": p} for t, p in teams]
    part, agg = [], []
    for team, _ in teams:
        for week in WEEKS:
            people = draw(st.integers(0, 14))
            if people == 0:
                continue
            part.append((team, week, people + draw(st.integers(0, 3)), people))
            for driver in DRIVER_KEYS:
                n = draw(st.integers(0, people))
                if n:
                    total = n * (7 if driver == "enps" else 3)
                    agg.append(
                        (team, week, driver, n, total, total * total // n, n // 2, n // 3, n // 3)
                    )
    config = parse_config({"teams": rows}, source="test")
    part_frame = pd.DataFrame(part, columns=["team", "period", "invited", "respondents"])
    agg_frame = pd.DataFrame(
        agg,
        columns=[
            "team",
            "period",
            "driver",
            "n",
            "total",
            "total_sq",
            "favourable",
            "promoters",
            "detractors",
        ],
    )
    return config, agg_frame, part_frame, draw(st.sampled_from([3, 5]))


def _true_counts(config: AppConfig, leaf_counts: dict[str, int]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for team, n in leaf_counts.items():
        for group in {team, *config.ancestors(team), ORG}:
            counts[group] = counts.get(group, 0) + n
    return counts


def _assert_no_differencing(
    config: AppConfig, shown: set[str], counts: dict[str, int], k: int
) -> None:
    """Every shown group minus its nearest shown descendants leaves 0 or at least k people."""
    parent = {t.key: t.parent or ORG for t in config.teams}
    for group in shown:
        nearest = []
        for other in shown - {group}:
            node = parent.get(other)
            while node is not None and node not in shown:
                node = parent.get(node)
            if node == group:
                nearest.append(other)
        remainder = counts.get(group, 0) - sum(counts.get(d, 0) for d in nearest)
        assert remainder == 0 or remainder >= k, (group, nearest, counts)


@settings(max_examples=60, deadline=None)
@given(orgs())
def test_no_exported_figure_comes_from_fewer_than_k_or_can_be_subtracted_below_k(org) -> None:  # type: ignore[no-untyped-def]
    config, agg, part, k = org
    cx = pd.DataFrame(columns=["team", "period", "metric", "value", "sample_size", "scale"])
    cx = cx.astype({"period": "datetime64[ns]"})
    small = pd.DataFrame({"team": [], "period": pd.to_datetime([]), "pulses": []})
    window = Window.ending(WEEKS[-1].date(), weeks=len(WEEKS))
    sums = Sums(window=window, agg=agg, part=part, cx=cx, small=small)
    frames = export_frames(guarded(sums, config=config, k=k), config=config)
    teams, drivers = frames["teams.csv"], frames["drivers.csv"]
    assert list(teams) == TEAMS and list(drivers) == DRIVERS and list(frames["cx.csv"]) == CX

    for week in WEEKS:
        rows = teams[teams["week"] == week.date()]
        shown = set(rows.loc[rows["respondents"].notna(), "team"])
        assert (rows.loc[rows["respondents"].notna(), "respondents"] >= k).all()
        for figure in ("participation_pct", "engagement", "enps"):
            assert set(rows.loc[rows[figure].notna(), "team"]) <= shown
        leaves = part[part["period"] == week].set_index("team")["respondents"].to_dict()
        _assert_no_differencing(config, shown, _true_counts(config, leaves), k)
        for driver in DRIVER_KEYS:
            cells = drivers[(drivers["week"] == week.date()) & (drivers["driver"] == driver)]
            seen = cells[cells["answers"].notna()]
            assert (seen["answers"] >= k).all() and cells["score"].notna().eq(
                cells["answers"].notna()
            ).all()
            assert set(seen["team"]) <= shown
            n = agg[(agg["period"] == week) & (agg["driver"] == driver)].set_index("team")["n"]
            _assert_no_differencing(config, set(seen["team"]), _true_counts(config, n.to_dict()), k)
        engaged = rows.loc[rows["engagement"].notna(), "team"]
        week_cells = drivers[
            (drivers["week"] == week.date()) & drivers["driver"].isin(ENGAGEMENT_DRIVERS)
        ]
        assert week_cells[week_cells["team"].isin(engaged)]["score"].notna().all()
