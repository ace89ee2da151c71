"""Scores from SQL-shaped aggregates, checked against answers computed by hand."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from insights.questions import engagement_drivers, load_bank
from insights.scores import (
    ORG,
    driver_scores,
    likert_to_100,
    org_scores,
    team_period_scores,
    trend,
)
from insights.synthetic import make_driver_agg

ENGAGEMENT = engagement_drivers(load_bank())

W1, W2 = pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-08")


def aggregate(answers: dict[tuple[str, pd.Timestamp, str], list[int]]) -> pd.DataFrame:
    """What storage's GROUP BY returns for these raw answers."""
    rows = []
    for (team, period, driver), values in answers.items():
        v = np.array(values)
        nps = driver == "enps"
        rows.append(
            {
                "team": team,
                "period": period,
                "driver": driver,
                "n": len(v),
                "total": int(v.sum()),
                "total_sq": int((v**2).sum()),
                "favourable": 0 if nps else int((v >= 4).sum()),
                "promoters": int((v >= 9).sum()) if nps else 0,
                "detractors": int((v <= 6).sum()) if nps else 0,
            }
        )
    return pd.DataFrame(rows)


def participation(*rows: tuple[str, pd.Timestamp, int, int]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["team", "period", "invited", "respondents"])


def test_likert_to_100_maps_ends_and_middle() -> None:
    assert [likert_to_100(x) for x in (1.0, 3.0, 5.0)] == [0.0, 50.0, 100.0]
    assert list(likert_to_100(np.array([2.0, 4.0]))) == [25.0, 75.0]


def test_team_scores_by_hand() -> None:
    agg = aggregate(
        {
            ("a", W1, "wellbeing"): [4, 5, 3],  # mean 4 → 75, sd 1
            ("a", W1, "workload"): [2, 2, 3, 5],  # mean 3 → 50, sd √2
            ("a", W1, "enps"): [10, 9, 9, 7, 3],  # 3 promoters, 1 detractor
            ("a", W1, "perception"): [1, 1],  # not an engagement driver
        }
    )
    got = team_period_scores(
        agg, participation(("a", W1, 8, 5)), engagement_drivers=ENGAGEMENT
    ).iloc[0]
    assert got["engagement"] == pytest.approx(62.5)
    assert got["favourable_pct"] == pytest.approx(3 / 7 * 100)
    assert got["enps"] == pytest.approx(40.0)
    assert got["enps_n"] == 5
    assert (got["respondents"], got["invited"]) == (5, 8)
    assert got["participation"] == pytest.approx(0.625)
    se_w, se_l = 25 / math.sqrt(3), 25 * math.sqrt(2 / 4)
    expected_var = (0.5 * (se_w**2 + se_l**2) + 0.5 * (se_w + se_l) ** 2) / 4
    assert got["engagement_se"] == pytest.approx(math.sqrt(expected_var))


def test_driver_scores_long_form_by_hand() -> None:
    agg = aggregate({("a", W1, "wellbeing"): [4, 5, 3], ("a", W1, "enps"): [10]})
    ds = driver_scores(agg)
    assert list(ds.columns) == ["team", "period", "driver", "score", "n", "se", "favourable_pct"]
    assert ds["driver"].tolist() == ["wellbeing"]  # eNPS lives in team_period_scores
    row = ds.iloc[0]
    assert (row["score"], row["n"]) == (75.0, 3)
    assert row["se"] == pytest.approx(25 / math.sqrt(3))
    assert row["favourable_pct"] == pytest.approx(200 / 3)


def test_single_answer_has_no_standard_error() -> None:
    agg = aggregate({("a", W1, "voice"): [5]})
    scores = team_period_scores(agg, participation(("a", W1, 1, 1)), engagement_drivers=ENGAGEMENT)
    assert scores["engagement"].iloc[0] == 100.0
    assert math.isnan(scores["engagement_se"].iloc[0])


def test_missing_enps_and_zero_invited_are_not_invented() -> None:
    agg = aggregate({("a", W1, "voice"): [4, 4]})
    row = team_period_scores(
        agg, participation(("a", W1, 0, 0)), engagement_drivers=ENGAGEMENT
    ).iloc[0]
    assert math.isnan(row["enps"]) and row["enps_n"] == 0
    assert math.isnan(row["participation"])


def test_org_rollup_weights_by_answers_not_team_means() -> None:
    agg = aggregate({("small", W1, "tools"): [5], ("big", W1, "tools"): [1] * 9})
    part = participation(("small", W1, 2, 1), ("big", W1, 10, 9))
    org = org_scores(agg, part, engagement_drivers=ENGAGEMENT).iloc[0]
    assert org["team"] == ORG
    assert org["engagement"] == pytest.approx(likert_to_100(14 / 10))  # 10, not (100 + 0) / 2
    assert org["favourable_pct"] == pytest.approx(10.0)
    assert (org["respondents"], org["invited"]) == (10, 12)


@given(
    st.lists(st.integers(1, 5), min_size=2, max_size=40),
    st.lists(st.integers(1, 5), min_size=2, max_size=40),
)
def test_org_rollup_equals_scoring_all_answers_together(a: list[int], b: list[int]) -> None:
    agg = aggregate({("a", W1, "voice"): a, ("b", W1, "voice"): b})
    both = aggregate({(ORG, W1, "voice"): a + b})
    part = participation(("a", W1, len(a), len(a)), ("b", W1, len(b), len(b)))
    org = org_scores(agg, part, engagement_drivers=ENGAGEMENT).iloc[0]
    direct = driver_scores(both).iloc[0]
    assert org["engagement"] == pytest.approx(direct["score"])
    sd = np.std(a + b, ddof=1)
    assert direct["se"] == pytest.approx(sd / math.sqrt(len(a + b)) * 25, abs=1e-9)


def weekly(values: list[float], se: float, respondents: int, team: str = "a") -> pd.DataFrame:
    periods = pd.date_range("2024-01-01", periods=len(values), freq="7D")
    return pd.DataFrame(
        {
            "team": team,
            "period": periods,
            "engagement": values,
            "engagement_se": se,
            "respondents": respondents,
        }
    )


def test_trend_beyond_noise_sentence() -> None:
    t = trend(weekly([70, 72, 71, 73, 61], se=2.0, respondents=9))
    last = t.iloc[-1]
    assert last["change_prev"] == pytest.approx(-12)
    assert not last["change_prev_within_noise"]  # 12 > 1.96 × √8
    assert last["baseline"] == pytest.approx(71.5)
    assert last["change_baseline"] == pytest.approx(-10.5)
    assert not last["change_baseline_within_noise"]
    assert last["sentence"] == "Down 12 points from last week (beyond noise for 9 respondents)"


def test_trend_within_noise_sentence() -> None:
    t = trend(weekly([70, 72], se=6.0, respondents=6))
    assert t["change_prev_within_noise"].iloc[-1]
    assert t["sentence"].iloc[-1] == "Up 2 points from last week — within noise for 6 respondents"
    assert math.isnan(t["baseline"].iloc[-1])  # fewer than 4 earlier periods
    assert t["sentence"].iloc[0].startswith("First week measured")


def test_trend_names_the_gap_and_keeps_teams_apart() -> None:
    gappy = weekly([60, 80], 1.0, 5, team="a").assign(period=[W2 - pd.Timedelta(weeks=2), W2])
    frame = pd.concat([gappy, weekly([40, 40], 1.0, 1, team="b")])
    t = trend(frame).set_index(["team", "period"])
    sentence = t["sentence"]
    assert sentence[("a", W2)] == "Up 20 points from 25 Dec (beyond noise for 5 respondents)"
    assert sentence[("b", W2)] == "Level with last week — within noise for 1 respondent"


def test_scores_over_a_synthetic_org_stay_in_range() -> None:
    agg, part = make_driver_agg(6, 8, team_size=9, seed=4)
    scores = team_period_scores(agg, part, engagement_drivers=ENGAGEMENT)
    assert len(scores) == 6 * 8
    assert scores["engagement"].between(0, 100).all()
    assert scores["enps"].between(-100, 100).all()
    assert scores["participation"].between(0, 1).all()
    assert (scores["engagement_se"] > 0).all()
    org = org_scores(agg, part, engagement_drivers=ENGAGEMENT).set_index("period")["engagement"]
    by_period = scores.groupby("period")["engagement"]
    assert (org >= by_period.min()).all() and (org <= by_period.max()).all()
    assert trend(scores)["sentence"].str.contains("respondents").any()


def test_date_objects_and_timestamps_join() -> None:
    agg, part = make_driver_agg(2, 3, seed=1)
    as_dates = team_period_scores(
        agg.assign(period=agg["period"].dt.date), part, engagement_drivers=ENGAGEMENT
    )
    assert as_dates["participation"].notna().all() and len(as_dates) == 6
