"""The EX↔CX link is found when planted, not invented when absent, and honest about both.

Error-rate checks run many seeded synthetic panels; the bands are ±~3 binomial standard errors
around the nominal 5%, so a correct test passes and a miscalibrated one (e.g. ignoring team
fixed effects, autocorrelation or multiple lags) fails clearly.
"""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from insights.linkage import (
    lagged_correlations,
    pairs,
    pooled_within_team,
    summarise_link,
)
from insights.perception import driver_importance, perception_gap
from insights.synthetic import make_panel

SEEDS = 1000


def one_team(ex: pd.DataFrame, cx: pd.DataFrame, team: str = "team-00") -> tuple:
    return ex[ex["team"] == team], cx[cx["team"] == team]


def best(result: pd.DataFrame) -> pd.Series:
    return result[result["best"]].iloc[0]


@pytest.mark.parametrize("seed", range(10))
def test_planted_effect_found_in_the_pooled_analysis(seed: int) -> None:
    ex, cx = make_panel(20, 52, effect_r=0.5, lag=2, seed=seed)
    top = best(pooled_within_team(ex, cx))
    assert top["lag"] == 2
    assert top["r"] == pytest.approx(0.5, abs=0.1)
    assert top["r_low"] < 0.5 < top["r_high"] or abs(top["r"] - 0.5) < 0.05
    assert top["p_holm"] < 0.001
    assert (top["n"], top["teams"]) == (20 * 50, 20)


def test_planted_effect_found_for_one_long_team() -> None:
    lags, rs = [], []
    for seed in range(20):
        result = lagged_correlations(*make_panel(1, 104, effect_r=0.5, lag=2, seed=seed))
        top = best(result)
        assert top["p_holm"] < 0.001
        lags.append(top["lag"])
        rs.append(top["r"])
    assert set(lags) == {2}
    assert np.mean(rs) == pytest.approx(0.5, abs=0.05)


def test_alignment_is_by_date_when_weeks_are_missing() -> None:
    ex, cx = make_panel(20, 52, effect_r=0.5, lag=2, missing=0.2, seed=7)
    top = best(pooled_within_team(ex, cx))
    assert top["lag"] == 2
    assert top["r"] == pytest.approx(0.5, abs=0.1)


def test_pairs_match_weeks_not_rows() -> None:
    weeks = pd.date_range("2024-01-01", periods=4, freq="7D")
    ex = pd.DataFrame({"team": "a", "period": weeks[[0, 2, 3]], "score": [10.0, 30.0, 40.0]})
    cx = pd.DataFrame({"team": "a", "period": weeks, "value": [1.0, 2.0, 3.0, 4.0]})
    got = pairs(ex, cx, lag=1)
    assert got["period"].tolist() == [weeks[1], weeks[3]]  # week 2's EX is missing: no pair
    assert got[["x", "y"]].to_numpy().tolist() == [[10.0, 2.0], [30.0, 4.0]]


def test_single_team_statistics_match_textbook_formulas() -> None:
    ex, cx = make_panel(1, 40, effect_r=0.3, lag=0, seed=3)
    row = lagged_correlations(ex, cx, lags=[0], autocorr_adjust=False).iloc[0]
    x, y = ex["score"].to_numpy(), cx["value"].to_numpy()
    r, p = stats.pearsonr(x, y)
    rho, rho_p = stats.spearmanr(x, y)
    assert (row["r"], row["p"]) == pytest.approx((r, p))
    assert (row["rho"], row["rho_p"]) == pytest.approx((rho, rho_p))
    half = 1.959964 / math.sqrt(40 - 3)
    assert (row["r_low"], row["r_high"]) == pytest.approx(
        (math.tanh(math.atanh(r) - half), math.tanh(math.atanh(r) + half))
    )
    spearman_half = (math.atanh(row["rho_high"]) - math.atanh(row["rho_low"])) / 2
    assert spearman_half == pytest.approx(half * math.sqrt(1.06))


def test_pooled_test_equals_regression_with_team_dummies() -> None:
    """The within-team t test is the OLS t test of x in y ~ x + team fixed effects."""
    ex, cx = make_panel(6, 15, effect_r=0.3, lag=1, seed=11)
    row = pooled_within_team(ex, cx, lags=[1], autocorr_adjust=False).iloc[0]
    both = pairs(ex, cx, lag=1)
    design = np.column_stack([both["x"], pd.get_dummies(both["team"]).to_numpy(float)])
    coef, *_ = np.linalg.lstsq(design, both["y"].to_numpy(), rcond=None)
    resid = both["y"].to_numpy() - design @ coef
    df = len(both) - design.shape[1]
    se = math.sqrt(resid @ resid / df * np.linalg.inv(design.T @ design)[0, 0])
    assert df == row["n"] - row["teams"] - 1
    assert row["p"] == pytest.approx(2 * stats.t.sf(abs(coef[0] / se), df))


def null_runs(**panel: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """p (per lag), rho_p (per lag), min Holm p and min raw p over SEEDS null panels."""
    p, rho_p, holm_min, raw_min = [], [], [], []
    adjust = bool(panel.pop("adjust", True))
    for seed in range(SEEDS):
        ex, cx = make_panel(5, 20, effect_r=0.0, seed=seed, **panel)
        result = pooled_within_team(ex, cx, autocorr_adjust=adjust)
        p.append(result["p"].to_numpy())
        rho_p.append(result["rho_p"].to_numpy())
        holm_min.append(result["p_holm"].min())
        raw_min.append(result["p"].min())
    return np.array(p), np.array(rho_p), np.array(holm_min), np.array(raw_min)


def test_null_false_positive_rates() -> None:
    p, rho_p, holm_min, raw_min = null_runs()
    per_lag = (p < 0.05).mean(axis=0)
    assert all(0.03 <= rate <= 0.07 for rate in per_lag), per_lag
    assert 0.04 <= (p < 0.05).mean() <= 0.06
    assert 0.04 <= (rho_p < 0.05).mean() <= 0.06
    assert (holm_min < 0.05).mean() <= 0.065  # best of 5 lags, Holm-adjusted
    assert (raw_min < 0.05).mean() > 0.15  # what picking the best lag unadjusted would claim


def test_single_team_null_false_positive_rate() -> None:
    hits = [
        lagged_correlations(*make_panel(1, 30, effect_r=0.0, seed=seed), lags=[0])["p"].iloc[0]
        < 0.05
        for seed in range(SEEDS)
    ]
    assert 0.03 <= np.mean(hits) <= 0.07


def test_drifting_series_do_not_fake_a_link() -> None:
    ex_cx = [make_panel(5, 30, effect_r=0.0, autocorr=0.6, seed=s) for s in range(400)]
    naive = [pooled_within_team(*pc, lags=[0], autocorr_adjust=False)["p"][0] for pc in ex_cx]
    fair = [pooled_within_team(*pc, lags=[0])["p"][0] for pc in ex_cx]
    assert np.mean(np.array(naive) < 0.05) > 0.10
    assert 0.025 <= np.mean(np.array(fair) < 0.05) <= 0.07


def test_team_differences_cannot_masquerade_as_an_effect() -> None:
    naive_r, within_hits = [], []
    for seed in range(400):
        ex, cx = make_panel(10, 12, between_only=True, seed=seed)
        both = pairs(ex, cx, lag=0)
        naive_r.append(stats.pearsonr(both["x"], both["y"])[0])
        within_hits.append(pooled_within_team(ex, cx)["p_holm"].min() < 0.05)
    assert np.median(naive_r) > 0.5  # pooling raw scores "finds" a strong link
    assert np.mean(within_hits) <= 0.065  # demeaned within teams, it is gone


def test_too_few_points_say_how_many_more_weeks() -> None:
    ex, cx = one_team(*make_panel(1, 5, seed=1))
    result = lagged_correlations(ex, cx, min_points=8)
    assert result["needs_more"].tolist() == [3, 4, 5, 6, 7]
    assert result["r"].isna().all() and not result["best"].any()
    assert (
        summarise_link(result, metric_label="CSAT") == "Not enough data yet: 3 more weeks needed."
    )
    pooled = pooled_within_team(*make_panel(3, 3, seed=1), min_points_per_team=4)
    assert pooled["needs_more"].tolist() == [1, 2, 3, 4, 4]  # pairs still missing per lag


def test_one_team_only() -> None:
    with pytest.raises(ValueError, match="one team"):
        lagged_correlations(*make_panel(2, 10, seed=1))


def test_summaries_state_the_statistic() -> None:
    found = summarise_link(pooled_within_team(*make_panel(20, 52, seed=1)), metric_label="CSAT")
    assert found.startswith("Engagement tends to lead CSAT by 2 weeks (r = 0.49, 95% CI 0.44–0.53")
    assert found.endswith("n = 1000 across 20 teams, p < 0.001, adjusted for 5 lags tested).")
    null = lagged_correlations(*make_panel(1, 40, effect_r=0.0, seed=3))
    text = summarise_link(null, metric_label="CSAT")
    assert text.startswith("No reliable link yet between engagement and CSAT (strongest")
    assert "n = 38, p = 0.49, adjusted for 5 lags tested)." in text


def test_perception_gap_sentence_and_trend() -> None:
    weeks = pd.date_range("2024-01-01", periods=8, freq="7D")
    actual = np.array([70, 60, 66, 62, 68, 61, 67, 64.0])
    gap = 3.5 + 1.5 * np.arange(8)  # widening by 1.5 a week to +14
    cx = pd.DataFrame({"team": "a", "period": weeks, "value": actual, "sample_size": 200})
    perceived = pd.DataFrame({"team": "a", "period": weeks, "score": actual + gap, "n": 7})
    got = perception_gap(perceived, cx)
    last = got.iloc[-1]
    assert (last["perceived"], last["actual"], last["gap"]) == (78.0, 64.0, 14.0)
    assert last["gap_trend"] == pytest.approx(1.5)
    assert (last["n"], last["sample_size"], last["trend_weeks"]) == (7, 200, 8)
    assert last["sentence"] == (
        "Customers rated 14 points lower than your team thought "
        "(perceived 78, measured 64; widening by 1.5 points a week)"
    )
    assert got["sentence"].iloc[1] == (
        "Customers rated 5 points lower than your team thought "
        "(perceived 65, measured 60; too few weeks to see a trend)"
    )


def test_perception_gap_without_a_clear_trend() -> None:
    weeks = pd.date_range("2024-01-01", periods=6, freq="7D")
    cx = pd.DataFrame({"team": "a", "period": weeks, "value": 70.0})
    perceived = pd.DataFrame({"team": "a", "period": weeks, "score": [60, 64, 58, 63, 59, 62.0]})
    assert perception_gap(perceived, cx)["sentence"].iloc[-1] == (
        "Customers rated 8 points higher than your team thought "
        "(perceived 62, measured 70; no clear trend over 6 weeks)"
    )


def test_perception_gap_sentence_subtracts_the_figures_it_shows() -> None:
    """57.4 vs 67.6 is a gap of 10.2, but a reader sees 57 and 68: the sentence says 11."""
    week = pd.date_range("2024-01-01", periods=1, freq="7D")
    cx = pd.DataFrame({"team": "a", "period": week, "value": 67.6})
    perceived = pd.DataFrame({"team": "a", "period": week, "score": [57.4]})
    assert perception_gap(perceived, cx)["sentence"].iloc[-1] == (
        "Customers rated 11 points higher than your team thought "
        "(perceived 57, measured 68; too few weeks to see a trend)"
    )
    cx["value"] = 60.0
    perceived["score"] = 58.0
    assert perception_gap(perceived, cx)["sentence"].iloc[-1] == (
        "Your team reads customers well (perceived 58, measured 60; too few weeks to see a trend)"
    )


def test_driver_importance_ranks_the_planted_driver_first() -> None:
    ex, cx = make_panel(3, 52, effect_r=0.6, lag=1, seed=5)
    noise, _ = make_panel(3, 52, effect_r=0.0, seed=6)
    ds = pd.concat([ex.assign(driver="tools"), noise.assign(driver="voice")])
    got = driver_importance(ds, cx, lag=1)
    top = got[got["rank"] == 1]
    assert top["driver"].tolist() == ["tools"] * 3
    assert top["ci_excludes_zero"].all() and (top["p_holm"] < 0.001).all()
    assert got.columns.tolist()[:8] == ["team", "driver", "lag", "n", "r", "r_low", "r_high", "p"]
