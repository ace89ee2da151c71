"""Engagement, eNPS, participation and driver scores from SQL aggregates (never raw answers).

Input shapes, as produced by storage's GROUP BY queries:

- ``driver_agg``: one row per (``team``, ``period``, ``driver``): ``n`` answers, ``total`` (sum of
  values), ``total_sq`` (sum of squared values), ``favourable`` (answers 4–5), ``promoters`` (9–10)
  and ``detractors`` (0–6). Likert drivers hold 1–5 values; the ``enps`` driver holds 0–10 values
  and uses promoters/detractors (0 on every other row, as ``favourable`` is 0 on enps rows).
- ``participation``: one row per (``team``, ``period``): ``invited``, ``respondents``.

``period`` is the period start (datetime64 or ``date``). Every output carries its counts (``n``,
``respondents``) so the privacy guard can suppress groups smaller than k. Which drivers make up
engagement is the question bank's to say (insights.questions.engagement_drivers): callers pass it.
"""

from collections.abc import Iterable
from typing import TypeVar

import numpy as np
import pandas as pd

ENPS = "enps"
Scalar = TypeVar("Scalar", float, np.ndarray, pd.Series)
ORG = "(org)"
KEYS = ["team", "period"]
SUMMED = ["n", "total", "total_sq", "favourable", "promoters", "detractors"]
SCORE_COLUMNS = [
    *KEYS,
    *("engagement", "engagement_se", "favourable_pct", "enps", "enps_n"),
    *("respondents", "invited", "participation"),
]


def likert_to_100(mean_1_5: Scalar) -> Scalar:
    """Map a 1–5 mean onto 0–100 (1 → 0, 3 → 50, 5 → 100)."""
    return (mean_1_5 - 1) * 25


def _dated(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(period=pd.to_datetime(frame["period"]))


def driver_scores(driver_agg: pd.DataFrame) -> pd.DataFrame:
    """Per (team, period, driver) for every 1–5 driver (eNPS excluded; see team_period_scores).

    Returns ``team, period, driver, score`` (0–100), ``n``, ``se`` (standard error of the score:
    sample sd / √n × 25; NaN when n < 2) and ``favourable_pct`` (share of answers 4–5, 0–100).
    """
    agg = _dated(driver_agg[driver_agg["driver"] != ENPS])
    n = agg["n"].astype(float)
    var = ((agg["total_sq"] - agg["total"] ** 2 / n) / (n - 1)).where(n > 1).clip(lower=0)
    out = agg[[*KEYS, "driver"]].assign(
        score=likert_to_100(agg["total"] / n),
        n=agg["n"],
        se=np.sqrt(var / n) * 25,
        favourable_pct=agg["favourable"] / n * 100,
    )
    return out.sort_values([*KEYS, "driver"]).reset_index(drop=True)


def team_period_scores(
    driver_agg: pd.DataFrame,
    participation: pd.DataFrame,
    *,
    engagement_drivers: Iterable[str],
    driver_corr: float = 0.5,
) -> pd.DataFrame:
    """One row per (team, period) with the columns of ``SCORE_COLUMNS``.

    ``engagement`` is the unweighted mean of the engagement drivers' 0–100 scores. Its standard
    error treats driver means as equally correlated with ``driver_corr`` (answers to different
    drivers come from overlapping people, so they are neither independent nor identical):
    Var = ((1−ρ)·Σse² + ρ·(Σse)²) / D². ρ = 0 is the independent lower bound, ρ = 1 the
    upper bound that holds whatever the correlation; 0.5 is a typical inter-item correlation.
    ``favourable_pct`` pools answers across drivers; ``enps`` = %promoters − %detractors
    (−100…100) over ``enps_n`` answers; ``participation`` = respondents / invited (0–1).
    """
    ds = driver_scores(driver_agg)
    eng = ds[ds["driver"].isin(list(engagement_drivers))].assign(
        se2=lambda d: d["se"] ** 2,
        se_missing=lambda d: d["se"].isna(),
        favourable=lambda d: d["favourable_pct"] * d["n"] / 100,
    )
    g = eng.groupby(KEYS)
    drivers = g["score"].count()
    var = ((1 - driver_corr) * g["se2"].sum() + driver_corr * g["se"].sum() ** 2) / drivers**2
    scores = pd.DataFrame(
        {
            "engagement": g["score"].mean(),
            "engagement_se": np.sqrt(var).where(~g["se_missing"].any()),
            "favourable_pct": g["favourable"].sum() / g["n"].sum() * 100,
        }
    ).reset_index()

    enps = _dated(driver_agg[driver_agg["driver"] == ENPS]).groupby(KEYS)[SUMMED].sum()
    enps = pd.DataFrame(
        {
            "enps": (enps["promoters"] - enps["detractors"]) / enps["n"] * 100,
            "enps_n": enps["n"],
        }
    ).reset_index()

    part = _dated(participation)[[*KEYS, "invited", "respondents"]]
    out = scores.merge(enps, on=KEYS, how="outer").merge(part, on=KEYS, how="outer")
    out["enps_n"] = out["enps_n"].fillna(0).astype("int64")
    for col in ("invited", "respondents"):
        out[col] = out[col].astype("Int64")
    invited = out["invited"].astype(float)
    out["participation"] = (out["respondents"].astype(float) / invited).where(invited > 0)
    return out[SCORE_COLUMNS].sort_values(KEYS).reset_index(drop=True)


def _rollup(frame: pd.DataFrame, by: list[str], columns: list[str]) -> pd.DataFrame:
    summed = _dated(frame).groupby(by, as_index=False)[columns].sum()
    return summed.assign(team=ORG)


def org_driver_scores(driver_agg: pd.DataFrame) -> pd.DataFrame:
    """driver_scores for the whole org: aggregates summed first, so every answer weighs the same."""
    return driver_scores(_rollup(driver_agg, ["period", "driver"], SUMMED))


def org_scores(
    driver_agg: pd.DataFrame,
    participation: pd.DataFrame,
    *,
    engagement_drivers: Iterable[str],
    driver_corr: float = 0.5,
) -> pd.DataFrame:
    """team_period_scores for the whole org (``team`` = ``ORG``), weighting teams by their answers.

    The sums (n, total, total_sq, …) are added up before scoring, so a big team counts for more
    than a small one, exactly as if all answers had been scored together.
    """
    return team_period_scores(
        _rollup(driver_agg, ["period", "driver"], SUMMED),
        _rollup(participation, ["period"], ["invited", "respondents"]),
        engagement_drivers=engagement_drivers,
        driver_corr=driver_corr,
    )


def trend(scores: pd.DataFrame, *, baseline_periods: int = 4, z: float = 1.96) -> pd.DataFrame:
    """Engagement change per team vs the previous period and vs a rolling baseline, noise-aware.

    Takes team_period_scores output; rows without an engagement score are dropped. Adds
    ``change_prev`` and ``baseline`` (mean of the previous ``baseline_periods`` measured periods,
    NaN until that many exist) with ``change_baseline``. A change is ``*_within_noise`` when
    |change| < z × SE of the difference (independent periods: SEs add in quadrature; the
    baseline's SE is √Σse² / k); True too when there is no SE or nothing to compare with.
    ``sentence`` says the change from the previous period in words, with the respondents.
    """
    k = baseline_periods
    out = scores.dropna(subset=["engagement"]).sort_values(KEYS).reset_index(drop=True)
    g = out.groupby("team", sort=False)
    prev_se = g["engagement_se"].shift()
    out["prev_period"] = g["period"].shift()
    out["change_prev"] = out["engagement"] - g["engagement"].shift()
    se2 = out["engagement_se"] ** 2
    base = _rolling(g["engagement"].shift(), out["team"], k, "mean")
    base_var = _rolling(se2.groupby(out["team"]).shift(), out["team"], k, "sum") / k**2
    out["baseline"] = base
    out["change_baseline"] = out["engagement"] - base
    for col, var in (("change_prev", se2 + prev_se**2), ("change_baseline", se2 + base_var)):
        out[f"{col}_within_noise"] = ~(out[col].abs() >= z * np.sqrt(var))
    out["sentence"] = [
        change_sentence(c, w, r, p, q)
        for c, w, r, p, q in zip(
            out["change_prev"],
            out["change_prev_within_noise"],
            out["respondents"],
            out["period"],
            out["prev_period"],
            strict=True,
        )
    ]
    return out


def _rolling(values: pd.Series, teams: pd.Series, k: int, how: str) -> pd.Series:
    """``how`` ("mean", "sum") over each team's last ``k`` rows of a frame sorted by team: one
    pass for all teams (pandas restarts its window sums at each team's first row)."""
    window = values.groupby(teams, sort=False).rolling(k, min_periods=k)
    rolled: pd.Series = getattr(window, how)()
    return rolled.reset_index(level=0, drop=True)


def _plural(count: float, word: str) -> str:
    return f"{count:.0f} {word}{'' if round(count) == 1 else 's'}"


def change_sentence(
    change: float,
    within_noise: bool,
    respondents: float | None,
    period: pd.Timestamp,
    prev_period: pd.Timestamp | None,
) -> str:
    """'Down 12 points from last week (beyond noise for 9 respondents)' and its variants."""
    if prev_period is None or pd.isna(prev_period) or pd.isna(change):
        return "First week measured — no change to report yet"
    if pd.Timestamp(period) - pd.Timestamp(prev_period) == pd.Timedelta(weeks=1):
        since = "last week"
    else:
        since = f"{pd.Timestamp(prev_period):%d %b}"
    points = round(change)
    if points == 0:
        head = f"Level with {since}"
    else:
        head = f"{'Up' if points > 0 else 'Down'} {_plural(abs(points), 'point')} from {since}"
    who = "unknown respondents"
    if respondents is not None and not pd.isna(respondents):
        who = _plural(respondents, "respondent")
    if within_noise:
        return f"{head} — within noise for {who}"
    return f"{head} (beyond noise for {who})"
