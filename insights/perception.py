"""What employees believe against what customers report, and which drivers move CX.

- ``perception_gap``: how employees think customers felt (the perception driver, 0–100) vs the
  team's real CX metric (0–100), with the gap's trend: the distance between what a company
  believes and what its customers feel.
- ``driver_importance`` (one team) and ``pooled_driver_importance`` (the org, teams as fixed
  effects): which engagement drivers move with a CX metric ``lag`` weeks later. Both are
  insights.linkage run per driver, so they share its statistics and caveats.
"""

from functools import cache

import numpy as np
import pandas as pd
from scipy import special

from insights.linkage import (
    MIN_TEAM_PAIRS,
    aligned_by_lag,
    at_lag,
    holm,
    keyed,
    within_team_stats,
)

WEEK = pd.Timedelta(weeks=1)
IMPORTANCE_STATS = ["n", "r", "r_low", "r_high", "p"]


@cache
def _t975(df: int) -> float:
    # scipy.stats.t.ppf(0.975, df) is this same call; scipy.stats itself takes ~0.4 s to import.
    return float(special.stdtrit(df, 0.975))


def _gap_trend(weeks: np.ndarray, gap: np.ndarray) -> tuple[float, float, float]:
    """OLS slope of the gap per week with its 95% CI (t, k − 2 df); NaN below 3 distinct weeks.

    Closed form (what scipy's linregress computes), as it runs once per team-week.
    """
    if len(np.unique(weeks)) < 3:
        return np.nan, np.nan, np.nan
    x, y = weeks - weeks.mean(), gap - gap.mean()
    slope = float(x @ y / (x @ x))
    residual = y - slope * x
    half = _t975(len(weeks) - 2) * float(np.sqrt(residual @ residual / (len(weeks) - 2) / (x @ x)))
    return slope, slope - half, slope + half


def perception_gap(
    perception: pd.DataFrame, cx: pd.DataFrame, *, window: int = 8, agree_within: float = 5.0
) -> pd.DataFrame:
    """Perceived (``perception[team, period, score]``) vs actual (``cx[team, period, value]``).

    Per team-week with both: ``perceived``, ``actual``, ``gap`` = perceived − actual (0–100
    points), ``gap_trend`` (slope per week over the last ``window`` weeks) with its 95% CI
    ``gap_trend_low/high``, ``trend_weeks`` used, and ``agrees`` (the gap is within
    ``agree_within`` points: the team reads customers well); figures.link_sentences words a
    row. Count columns (``n``, ``sample_size``) are carried through when present.
    """
    keep_p = [c for c in ("team", "period", "score", "n") if c in perception]
    keep_c = [c for c in ("team", "period", "value", "sample_size") if c in cx]
    both = (
        perception[keep_p]
        .assign(period=lambda d: pd.to_datetime(d["period"]))
        .merge(
            cx[keep_c].assign(period=lambda d: pd.to_datetime(d["period"])), on=["team", "period"]
        )
        .rename(columns={"score": "perceived", "value": "actual"})
        .dropna(subset=["perceived", "actual"])
        .sort_values(["team", "period"])
        .reset_index(drop=True)
    )
    both["gap"] = both["perceived"] - both["actual"]
    trends = []
    if len(both):  # rows sorted by team, then week: each team's rows are one run
        first = both.groupby("team", sort=False)["period"].transform("min")
        all_weeks = ((both["period"] - first) / WEEK).to_numpy()
        all_gaps = both["gap"].to_numpy()
        names = both["team"].to_numpy()
        starts = np.flatnonzero(np.r_[True, names[1:] != names[:-1]])
        for a, b in zip(starts, [*starts[1:], len(names)], strict=True):
            weeks, gap = all_weeks[a:b], all_gaps[a:b]
            # the weeks in (w - window, w]: one slice of the team's sorted weeks
            lows = np.searchsorted(weeks, weeks - window, side="right")
            highs = np.searchsorted(weeks, weeks, side="right")
            for lo, hi in zip(lows.tolist(), highs.tolist(), strict=True):
                trends.append((*_gap_trend(weeks[lo:hi], gap[lo:hi]), hi - lo))
    cols = ["gap_trend", "gap_trend_low", "gap_trend_high", "trend_weeks"]
    both[cols] = pd.DataFrame(trends, columns=cols, index=both.index) if trends else np.nan
    both["agrees"] = both["gap"].abs() < agree_within
    return both


def driver_importance(
    driver_scores: pd.DataFrame,
    cx: pd.DataFrame,
    *,
    lag: int,
    min_points: int = MIN_TEAM_PAIRS,
    autocorr_adjust: bool = True,
) -> pd.DataFrame:
    """Which drivers move with a team's CX metric ``lag`` weeks later, strongest first.

    ``driver_scores[team, period, driver, score]`` (insights.scores.driver_scores) and
    ``cx[team, period, value]``. One row per team × driver with ≥ ``min_points`` weekly pairs
    (12, as for a team's link):
    ``team, driver, lag, n, r, r_low, r_high, p, p_holm`` (Holm across the team's drivers),
    ``rank`` (1 = most positive r) and ``ci_excludes_zero``. With ten drivers about one in two
    teams will show a CI excluding 0 by chance: the CI is 95% unadjusted, ``p_holm`` is the
    stricter reading.
    """
    rows = []
    for driver, ex in driver_scores.groupby("driver"):
        teams, aligned = aligned_by_lag(ex, cx, [lag])
        codes, days, x, y = aligned[lag]
        for code in np.unique(codes):
            mine = codes == code
            if mine.sum() >= min_points:
                found = within_team_stats(
                    codes[mine], days[mine], x[mine], y[mine], autocorr_adjust
                )
                rows.append({"team": teams[code], "driver": driver, "lag": lag, **found})
    columns = ["team", "driver", "lag", "n", "r", "r_low", "r_high", "p"]
    out = pd.DataFrame(rows, columns=columns).dropna(subset=["r"])
    out["p_holm"] = out.groupby("team")["p"].transform(holm)
    out["rank"] = out.groupby("team")["r"].rank(ascending=False, method="first").astype(int)
    out["ci_excludes_zero"] = (out["r_low"] > 0) | (out["r_high"] < 0)
    return out.sort_values(["team", "rank"]).reset_index(drop=True)


def pooled_driver_importance(
    driver_scores: pd.DataFrame,
    cx: pd.DataFrame,
    *,
    lag: int,
    min_points_per_team: int = 4,
    autocorr_adjust: bool = True,
) -> pd.DataFrame:
    """Org-wide driver_importance: per driver, teams pooled within team (pooled_within_team).

    One row per driver with a statistic: ``driver, lag, n, teams, r, r_low, r_high, p``,
    ``p_holm`` (Holm across drivers), ``rank`` and ``ci_excludes_zero``; strongest first.
    """
    rows = []
    # pooled_within_team per driver at one lag, with CX keyed once on every team
    teams = pd.Index(sorted(set(driver_scores["team"]) | set(cx["team"])))
    ys = keyed(cx, "value", teams)
    for driver, ex in driver_scores.groupby("driver"):
        xs = keyed(ex, "score", teams)
        found = at_lag(xs, ys, lag, min_points_per_team, autocorr_adjust)
        stats = {name: found.get(name, np.nan) for name in IMPORTANCE_STATS}
        rows.append({"driver": driver, "lag": lag, "teams": found["teams"], **stats})
    out = pd.DataFrame(rows, columns=["driver", "lag", "teams", *IMPORTANCE_STATS])
    out = out.dropna(subset=["r"])
    out["p_holm"] = holm(out["p"])
    out["rank"] = out["r"].rank(ascending=False, method="first").astype(int)
    out["ci_excludes_zero"] = (out["r_low"] > 0) | (out["r_high"] < 0)
    return out.sort_values("rank").reset_index(drop=True)
