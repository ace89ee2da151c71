"""The EX↔CX link is found when planted, not invented when absent, and honest about both.

Error-rate checks run many seeded synthetic panels; the bands are ±~3 binomial standard errors
around the nominal 5%, so a correct test passes and a miscalibrated one (e.g. ignoring team
fixed effects, autocorrelation or multiple lags) fails clearly.
"""

import math
import os

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from insights.linkage import (
    best_link,
    lagged_correlations,
    link_finding,
    pairs,
    pooled_within_team,
    within_team_stats,
)
from insights.perception import driver_importance, perception_gap
from insights.synthetic import make_panel


def summarise_link(result: pd.DataFrame, *, metric_label: str) -> str:
    """The finding as a reader sees it (worded by figures.link_sentences, English here)."""
    from figures.link_sentences import LinkSaid

    return LinkSaid(link_finding(result), metric_label).sentence


def sentences(gap: pd.DataFrame) -> list[str]:
    from figures.link_sentences import GapSaid

    return [GapSaid.of(row).sentence for _, row in gap.iterrows()]


NULL_SIMS = int(os.environ.get("PULSE_NULL_SIMS", "300"))  # null panels per drift scenario


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


def fixed_panel() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Three teams of unequal length and level, one with a missing week: a panel fixed in code."""
    rows = []
    for team, weeks, level, step in (
        ("a", 9, 60.0, 3.0),
        ("b", 7, 80.0, -2.0),
        ("c", 12, 70.0, 1.0),
    ):
        for w in range(weeks):
            if (team, w) != ("c", 5):
                ex = level + 5 * math.sin(1.7 * w + weeks) + 0.4 * w
                cx = level + 10 + step * math.cos(0.9 * w + level) + 0.3 * (ex - level)
                rows.append((team, pd.Timestamp("2024-01-01") + pd.Timedelta(weeks=w), ex, cx))
    frame = pd.DataFrame(rows, columns=["team", "period", "score", "value"])
    return frame.drop(columns="value"), frame.drop(columns="score")


def test_pooled_link_is_the_fixed_effects_regression() -> None:
    """Unadjusted, the pooled link is OLS of value ~ engagement + C(team): same slope sign,
    t test and partial r (computed here with team dummies by least squares)."""
    ex, cx = fixed_panel()
    row = pooled_within_team(ex, cx, lags=[0], autocorr_adjust=False).iloc[0]
    both = pairs(ex, cx, lag=0)
    design = np.column_stack([both["x"], pd.get_dummies(both["team"]).to_numpy(float)])
    y = both["y"].to_numpy()
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    resid = y - design @ coef
    df = len(both) - design.shape[1]
    t = coef[0] / math.sqrt(resid @ resid / df * np.linalg.inv(design.T @ design)[0, 0])
    assert (row["n"], row["teams"], df) == (27, 3, 27 - 3 - 1)
    assert row["r"] == pytest.approx(t / math.sqrt(t**2 + df))
    assert row["p"] == pytest.approx(2 * stats.t.sf(abs(t), df))
    half = stats.norm.ppf(0.975) / math.sqrt(27 - 3 - 2)
    low, high = math.tanh(math.atanh(row["r"]) - half), math.tanh(math.atanh(row["r"]) + half)
    assert (row["r_low"], row["r_high"]) == pytest.approx((low, high))
    adjusted = pooled_within_team(ex, cx, lags=[0]).iloc[0]  # drift never changes r, only p
    assert adjusted["r"] == pytest.approx(row["r"]) and adjusted["p"] >= row["p"]
    assert adjusted["drift_adjusted"] and not row["drift_adjusted"]


def test_pooled_spearman_is_spearman_of_within_team_deviations() -> None:
    ex, cx = fixed_panel()
    row = pooled_within_team(ex, cx, lags=[0], autocorr_adjust=False).iloc[0]
    both = pairs(ex, cx, lag=0)
    deviation = both[["x", "y"]] - both.groupby("team")[["x", "y"]].transform("mean")
    rho = stats.spearmanr(deviation["x"], deviation["y"])[0]
    t = rho * math.sqrt((27 - 3 - 1) / (1 - rho**2))
    assert row["rho"] == pytest.approx(rho)
    assert row["rho_p"] == pytest.approx(2 * stats.t.sf(abs(t), 27 - 3 - 1))


def null_p(
    sims: int, teams: int, weeks: int, *, drift: float, seed: int, lag: int = 0, adjust: bool = True
) -> np.ndarray:
    """p of the pooled (or, for one team, the team's) link on ``sims`` null panels at one lag.

    Both series drift independently: AR(1) with coefficient ``drift`` (1 = random walk), around
    team levels that differ; generated at once, then one within_team_stats call per panel.
    """
    rng = np.random.default_rng(seed)
    shape = (2, sims, teams, weeks + lag)
    shock = rng.standard_normal(shape)
    series = np.empty(shape)
    series[..., 0] = shock[..., 0]
    keep, fresh = (1.0, 1.0) if drift >= 1 else (drift, math.sqrt(1 - drift**2))
    for t in range(1, weeks + lag):
        series[..., t] = keep * series[..., t - 1] + fresh * shock[..., t]
    series += 3 * rng.standard_normal((2, sims, teams, 1))
    x, y = series[0][..., :weeks], series[1][..., lag:]
    codes = np.repeat(np.arange(teams), weeks)
    days = np.tile(7 * np.arange(weeks), teams)
    return np.array(
        [
            within_team_stats(codes, days, x[s].ravel(), y[s].ravel(), adjust)["p"]
            for s in range(sims)
        ]
    )


def at_most_5_percent(hits: int, sims: int) -> bool:
    """Could a test with a 5% false positive rate give this many or more? (one-sided, P > 0.001)

    Simulations are seeded, so this never flakes; the bound is what keeps it honest for any
    seed and any PULSE_NULL_SIMS."""
    return bool(stats.binom.sf(hits - 1, sims, 0.05) > 0.001)


@pytest.mark.parametrize(
    ("teams", "weeks", "drift"),
    [(10, 6, 0.8), (10, 12, 0.8), (10, 52, 0.8), (10, 12, 1.0), (1, 12, 0.8), (1, 52, 0.8)],
)
def test_drifting_series_do_not_fake_a_link(teams: int, weeks: int, drift: float) -> None:
    """At most 5% false links on drifting null data, pooled or for one team, at every length."""
    p = null_p(NULL_SIMS, teams, weeks, drift=drift, seed=weeks)
    hits = int((p < 0.05).sum())
    assert at_most_5_percent(hits, NULL_SIMS), f"{hits} / {NULL_SIMS} false links"
    if teams > 1:  # ignoring the drift fails this very check: it has teeth
        naive = null_p(NULL_SIMS, teams, weeks, drift=drift, seed=weeks, adjust=False)
        assert not at_most_5_percent(int((naive < 0.05).sum()), NULL_SIMS)


def test_independent_weeks_keep_their_power() -> None:
    """Without drift the adjustment costs little: close to 5%, per lag, pooled and for one team."""
    pooled = np.concatenate([null_p(200, 5, 20, drift=0.0, seed=s, lag=s) for s in range(3)])
    alone = null_p(300, 1, 30, drift=0.0, seed=9)
    for p in pooled, alone:
        assert (p < 0.05).mean() >= 0.025 and at_most_5_percent(int((p < 0.05).sum()), len(p))


def test_the_best_of_five_lags_is_judged_by_its_holm_p() -> None:
    p = np.column_stack([null_p(300, 5, 20, drift=0.0, seed=20 + lag, lag=lag) for lag in range(5)])
    holm_min = np.minimum(1, 5 * p.min(axis=1))  # Holm's first step is Bonferroni's
    assert at_most_5_percent(int((holm_min < 0.05).sum()), len(p))
    assert (p.min(axis=1) < 0.05).mean() > 0.15  # what picking the best lag unadjusted would claim


def test_team_differences_cannot_masquerade_as_an_effect() -> None:
    naive_r, within_hits = [], []
    for seed in range(100):
        ex, cx = make_panel(10, 12, between_only=True, seed=seed)
        both = pairs(ex, cx, lag=0)
        naive_r.append(stats.pearsonr(both["x"], both["y"])[0])
        within_hits.append(pooled_within_team(ex, cx, lags=[0])["p"].iloc[0] < 0.05)
    assert np.median(naive_r) > 0.5  # pooling raw scores "finds" a strong link
    assert at_most_5_percent(sum(within_hits), 100)  # demeaned within teams, it is gone


def test_too_few_points_say_how_many_more_weeks() -> None:
    ex, cx = one_team(*make_panel(1, 5, seed=1))
    result = lagged_correlations(ex, cx)
    assert result["needs_more"].tolist() == [7, 8, 9, 10, 11]
    assert result["r"].isna().all() and not result["best"].any()
    assert (
        summarise_link(result, metric_label="CSAT") == "Not enough data yet: 7 more weeks needed."
    )
    pooled = pooled_within_team(*make_panel(3, 3, seed=1), min_points_per_team=4)
    assert pooled["needs_more"].tolist() == [1, 2, 3, 4, 4]  # pairs still missing per lag


def test_one_team_only() -> None:
    with pytest.raises(ValueError, match="one team"):
        lagged_correlations(*make_panel(2, 10, seed=1))


def test_summaries_state_the_statistic() -> None:
    found = summarise_link(pooled_within_team(*make_panel(20, 52, seed=1)), metric_label="CSAT")
    assert found == (
        "Engagement tends to lead CSAT by 2 weeks (r = 0.49, 99% CI 0.42–0.55, n = 1000 across "
        "20 teams, p < 0.001, p and CI adjusted for 5 lags tested)."
    )
    null = lagged_correlations(*make_panel(1, 40, effect_r=0.0, seed=3))
    text = summarise_link(null, metric_label="CSAT")
    assert text.startswith("No reliable link yet between engagement and CSAT (strongest")
    assert "n = 38, p = 0.49, adjusted for 5 lags tested)." in text


def test_the_ci_shown_is_adjusted_like_its_p() -> None:
    """Holm's p of the best of m lags is m × p, so the CI beside it is at 1 − 0.05 / m."""
    result = pooled_within_team(*make_panel(20, 52, effect_r=0.15, seed=4))
    best, level, sure = best_link(result)
    assert level == pytest.approx(0.99) and best["p_holm"] == pytest.approx(5 * best["p"])
    z = np.arctanh(best[["ci_low", "ci_high", "r_low", "r_high"]].to_numpy(float))
    wide = (z[1] - z[0]) / (z[3] - z[2])  # Fisher z half-widths: 99% against 95%
    assert wide == pytest.approx(stats.norm.ppf(0.995) / stats.norm.ppf(0.975))
    assert sure == (best["p_holm"] < 0.05) == (best["ci_low"] > 0 or best["ci_high"] < 0)
    for seed in range(30):  # the CI shown excludes 0 exactly when the link is called reliable
        lags = pooled_within_team(*make_panel(3, 20, effect_r=0.3, seed=seed))
        best, _, sure = best_link(lags)
        assert sure == (best["p_holm"] < 0.05) == (best["ci_low"] > 0 or best["ci_high"] < 0)
    one = lagged_correlations(*make_panel(1, 52, effect_r=0.6, lag=0, seed=2), lags=[0])
    best, level, _ = best_link(one)
    assert level == 0.95 and (best["ci_low"], best["ci_high"]) == (best["r_low"], best["r_high"])
    assert "95% CI" in summarise_link(one, metric_label="CSAT")


def test_one_team_needs_twelve_weekly_pairs() -> None:
    short = lagged_correlations(*make_panel(1, 11, effect_r=0.9, lag=0, seed=1), lags=[0])
    assert short["needs_more"].tolist() == [1] and short["r"].isna().all()
    assert summarise_link(short, metric_label="CSAT") == "Not enough data yet: 1 more week needed."
    enough = lagged_correlations(*make_panel(1, 12, effect_r=0.9, lag=0, seed=1), lags=[0])
    assert enough["n"].tolist() == [12] and enough["r"].notna().all()


def test_a_link_that_could_not_allow_for_drift_says_so() -> None:
    """Every other week only: no consecutive weeks to measure drift from, and the sentence says."""
    ex, cx = make_panel(6, 20, effect_r=0.0, seed=5)
    fortnightly = [f[f["period"].dt.isocalendar().week % 2 == 1] for f in (ex, cx)]
    result = pooled_within_team(*fortnightly, lags=[0])
    assert not result["drift_adjusted"].any() and result["n_eff"].tolist() == result["n"].tolist()
    text = summarise_link(result, metric_label="CSAT")
    assert "not adjusted for drift (too few consecutive weeks)" in text
    assert pooled_within_team(ex, cx, lags=[0])["drift_adjusted"].all()


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
    assert sentences(got)[-1] == (
        "Customers rated 14 points lower than your team thought "
        "(perceived 78, measured 64; widening by 1.5 points a week)"
    )
    assert sentences(got)[1] == (
        "Customers rated 5 points lower than your team thought "
        "(perceived 65, measured 60; too few weeks to see a trend)"
    )


def test_perception_gap_without_a_clear_trend() -> None:
    weeks = pd.date_range("2024-01-01", periods=6, freq="7D")
    cx = pd.DataFrame({"team": "a", "period": weeks, "value": 70.0})
    perceived = pd.DataFrame({"team": "a", "period": weeks, "score": [60, 64, 58, 63, 59, 62.0]})
    assert sentences(perception_gap(perceived, cx))[-1] == (
        "Customers rated 8 points higher than your team thought "
        "(perceived 62, measured 70; no clear trend over 6 weeks)"
    )


def test_perception_gap_sentence_subtracts_the_figures_it_shows() -> None:
    """57.4 vs 67.6 is a gap of 10.2, but a reader sees 57 and 68: the sentence says 11."""
    week = pd.date_range("2024-01-01", periods=1, freq="7D")
    cx = pd.DataFrame({"team": "a", "period": week, "value": 67.6})
    perceived = pd.DataFrame({"team": "a", "period": week, "score": [57.4]})
    assert sentences(perception_gap(perceived, cx))[-1] == (
        "Customers rated 11 points higher than your team thought "
        "(perceived 57, measured 68; too few weeks to see a trend)"
    )
    cx["value"] = 60.0
    perceived["score"] = 58.0
    assert sentences(perception_gap(perceived, cx))[-1] == (
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
