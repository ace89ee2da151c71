"""Red flags: each kind fires on the case it exists for, with a reason a manager can read."""

import pandas as pd

from insights.alerts import RedFlag, red_flags
from insights.questions import engagement_drivers, load_bank

ENGAGEMENT_DRIVERS = engagement_drivers(load_bank())

WEEKS = pd.date_range("2024-01-01", periods=5, freq="7D")
LAST = WEEKS[-1]


def scores_frame() -> pd.DataFrame:
    """Three teams over five weeks, in team_period_scores' shape."""
    series = {
        "drop": ([70, 72, 71, 71, 57], 2.0, 9, 12, 20.0),
        "noisy": ([70, 70, 70, 70, 58], 8.0, 5, 6, 30.0),
        "steady": ([70, 70, 70, 70, 70], 2.0, 4, 12, -23.0),
    }
    rows = []
    for team, (values, se, respondents, invited, enps) in series.items():
        for week, value in zip(WEEKS, values, strict=True):
            rows.append(
                {
                    "team": team,
                    "period": week,
                    "engagement": float(value),
                    "engagement_se": se,
                    "favourable_pct": 60.0,
                    "enps": enps,
                    "enps_n": respondents,
                    "respondents": respondents,
                    "invited": invited,
                    "participation": respondents / invited,
                }
            )
    return pd.DataFrame(rows)


def driver_frame(low_weeks: int = 3) -> pd.DataFrame:
    """Distinct scores for 2 teams × 10 drivers; drop/workload sinks for the last weeks."""
    rows = []
    for p, week in enumerate(WEEKS):
        for i, team in enumerate(("drop", "steady")):
            for j, driver in enumerate(ENGAGEMENT_DRIVERS):
                score = 60.0 + j + 10 * i
                if team == "drop" and driver == "workload" and p >= len(WEEKS) - low_weeks:
                    score = 20.0
                if team == "steady" and j == p % 10:
                    score = 30.0  # a different driver dips each week: no streak
                rows.append({"team": team, "period": week, "driver": driver, "score": score})
    return pd.DataFrame(rows).assign(n=8, se=5.0, favourable_pct=50.0)


def test_each_kind_with_its_reason_in_a_stable_order() -> None:
    flags = red_flags(scores_frame(), driver_frame(), engagement_drivers=ENGAGEMENT_DRIVERS)
    assert [(f.team, f.kind) for f in flags] == [
        ("drop", "engagement_drop"),
        ("drop", "driver_bottom_decile"),
        ("noisy", "engagement_drop"),
        ("steady", "low_enps"),
        ("steady", "low_participation"),
    ]
    by = {(f.team, f.kind): f for f in flags}
    assert by[("drop", "engagement_drop")] == RedFlag(
        "drop",
        LAST,
        "engagement_drop",
        "Engagement fell 14 points below its 4-week baseline (71 → 57); "
        "beyond noise for 9 respondents.",
        9,
    )
    assert by[("noisy", "engagement_drop")].reason.endswith("may be noise for 5 respondents.")
    assert by[("steady", "low_enps")].reason == "eNPS is −23, below the −10 floor (4 answers)."
    assert by[("steady", "low_participation")].reason.startswith(
        "Only 4 of 12 invited people answered (33%, below 50%)"
    )
    decile = by[("drop", "driver_bottom_decile")]
    assert decile.driver == "workload"
    assert decile.reason == (
        "Workload has been in the bottom 10% of team driver scores for 3 weeks running (now 20)."
    )
    assert all(f.period == LAST for f in flags)


def test_same_inputs_same_flags() -> None:
    assert red_flags(
        scores_frame(), driver_frame(), engagement_drivers=ENGAGEMENT_DRIVERS
    ) == red_flags(
        scores_frame().sample(frac=1, random_state=1),
        driver_frame().sample(frac=1, random_state=2),
        engagement_drivers=ENGAGEMENT_DRIVERS,
    )


def test_an_earlier_period_can_be_asked_for() -> None:
    flags = red_flags(
        scores_frame(), driver_frame(), period=WEEKS[3], engagement_drivers=ENGAGEMENT_DRIVERS
    )
    assert {f.kind for f in flags} == {"low_enps", "low_participation"}


def test_bottom_decile_needs_the_full_run() -> None:
    flags = red_flags(
        scores_frame(), driver_frame(low_weeks=2), engagement_drivers=ENGAGEMENT_DRIVERS
    )
    assert "driver_bottom_decile" not in {f.kind for f in flags}


def test_thresholds_are_parameters() -> None:
    flags = red_flags(
        scores_frame(),
        driver_frame(),
        drop_points=13,
        enps_floor=-30,
        participation_floor=0.3,
        engagement_drivers=ENGAGEMENT_DRIVERS,
    )
    assert [(f.team, f.kind) for f in flags] == [
        ("drop", "engagement_drop"),
        ("drop", "driver_bottom_decile"),
    ]


def test_too_few_cells_make_no_decile() -> None:
    few = driver_frame()
    few = few[few["driver"].isin(ENGAGEMENT_DRIVERS[:4])]  # 8 cells a week
    assert "driver_bottom_decile" not in {
        f.kind for f in red_flags(scores_frame(), few, engagement_drivers=ENGAGEMENT_DRIVERS)
    }
