"""The EX↔CX link: does a team's engagement lead its customer metrics, by how much, how surely?

Inputs (weekly, 0–100): ``ex[team, period, score]`` (engagement, or a driver score) and
``cx[team, period, value]`` (one CX metric, see insights.cxscales). EX at week t is paired with
CX at week t + lag by date; weeks missing on either side are dropped, never shifted by row.

Statistics, for a sceptic:
- Pearson r: two-sided p from the t distribution, CI by Fisher z.
- Spearman rho: Spearman's correlation of the within-team deviations (the values minus their
  team's mean; for one team, plain Spearman), same p; CI by Fisher z with variance
  1.06 / (n − 3) (Fieller, Hartley & Pearson, 1957), since ranks vary more than normal theory says.
- Pooled over teams, each team is demeaned first (team fixed effects), so bigger or better teams
  cannot pass for an effect. This is a partial correlation controlling for T − 1 team dummies:
  df = n − T − 1 for the t test and Fisher z SE = 1/√(n − T − 2); one team gives the usual
  n − 2 and 1/√(n − 3).
- Weekly series drift (autocorrelation), which makes chance correlations look significant: at
  every series length, n − T above is replaced by 1/Var(r) under the drift estimated from the
  data (insights.drift); ``n_eff`` reports it, it never grows n, ``drift_adjusted`` says whether the
  drift could be estimated (≥ 4 consecutive weeks), and ``autocorr_adjust=False`` turns it off.
- One team's link needs ``MIN_TEAM_PAIRS`` (12) weekly pairs.
- Several lags are tried, so the smallest p is optimistic: ``p_holm`` is Holm-adjusted across
  the lags with statistics and is what summaries and decisions use; the CI shown with it
  (best_link) is at the matching Bonferroni level 1 − α/lags (99% for 5 lags).

lagged_correlations and pooled_within_team return one row per lag (``LAG_COLUMNS``): ``lag``,
``n`` pairs, ``teams`` contributing, ``n_eff`` (pairs after the autocorrelation adjustment),
Pearson ``r, r_low, r_high, p``, Spearman ``rho, rho_low, rho_high, rho_p``, ``p_holm``, ``best``
(smallest p) and ``needs_more`` (0 once the lag has enough data). n and teams travel with every
figure so the privacy guard and readers can see what it rests on.
"""

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special

from insights.drift import independent_weeks, lag1, shapes_of

MIN_TEAM_PAIRS = 12  # one team's link is measured from this many weekly pairs
STAT_COLUMNS = ["r", "r_low", "r_high", "p", "rho", "rho_low", "rho_high", "rho_p"]
LAG_COLUMNS = [
    "lag",
    "n",
    "teams",
    "n_eff",
    "drift_adjusted",
    *STAT_COLUMNS,
    "p_holm",
    "best",
    "needs_more",
]
_SPAN = 10**7  # key = team code × _SPAN + _DAY0 + day number (days since 1970, may be < 0)
_DAY0 = _SPAN // 2


def keyed(frame: pd.DataFrame, column: str, teams: pd.Index) -> tuple[np.ndarray, np.ndarray]:
    """(team-and-day key, value) per row with a value; refuses two rows for one team-week."""
    frame = frame.dropna(subset=[column])
    days = pd.to_datetime(frame["period"]).to_numpy().astype("datetime64[D]").astype(np.int64)
    key = teams.get_indexer(frame["team"]).astype(np.int64) * _SPAN + _DAY0 + days
    if len(np.unique(key)) < len(key):
        raise ValueError(f"more than one {column!r} row for a team and period")
    return key, frame[column].to_numpy(float)


def aligned_by_lag(
    ex: pd.DataFrame, cx: pd.DataFrame, lags: Iterable[int]
) -> tuple[pd.Index, dict]:
    """EX and CX rows paired per lag: ``(teams, {lag: (codes, days, x, y)})``.

    ``x`` is a team's ``ex.score`` of the week ``lag`` weeks before the CX week whose
    ``cx.value`` is ``y``; ``codes`` index ``teams`` and ``days`` count days since 1970 (the
    CX week); rows are sorted by team then day, as ``within_team_stats`` expects. Raises
    ValueError when a frame has two rows for one team and week.
    """
    teams = pd.Index(sorted(set(ex["team"]) | set(cx["team"])))
    (xk, xv), (yk, yv) = keyed(ex, "score", teams), keyed(cx, "value", teams)
    out = {}
    for lag in lags:
        common, ix, iy = np.intersect1d(xk + 7 * lag, yk, assume_unique=True, return_indices=True)
        out[lag] = (common // _SPAN, common % _SPAN - _DAY0, xv[ix], yv[iy])
    return teams, out


def pairs(ex: pd.DataFrame, cx: pd.DataFrame, lag: int) -> pd.DataFrame:
    """What gets correlated: ``team, period`` (CX week), ``x`` (EX at period − lag), ``y`` (CX)."""
    teams, aligned = aligned_by_lag(ex, cx, [lag])
    codes, days, x, y = aligned[lag]
    period = pd.to_datetime(days.astype("datetime64[D]"))
    return pd.DataFrame({"team": teams[codes], "period": period, "x": x, "y": y})


def _within(v: np.ndarray, codes: np.ndarray, counts: np.ndarray) -> np.ndarray:
    return v - (np.bincount(codes, v) / counts)[codes]


def interval(r: float, within: float, level: float = 0.95, inflate: float = 1.0) -> tuple:
    """Fisher z interval for a (partial) correlation from ``within`` = 1/Var(r) pairs.

    SE = √(inflate / (within − 2)) (n − 3 for one team and independent weeks); Spearman's
    ``inflate`` is 1.06 (Fieller, Hartley & Pearson, 1957).
    """
    z = np.arctanh(np.clip(r, -0.999999, 0.999999))
    half = float(special.ndtri(0.5 + level / 2)) * np.sqrt(inflate / (within - 2))
    return float(np.tanh(z - half)), float(np.tanh(z + half))


def _rank(v: np.ndarray) -> np.ndarray:
    """Average ranks (ties share their mean rank), as scipy.stats.rankdata."""
    _, inverse, counts = np.unique(v, return_inverse=True, return_counts=True)
    return (np.cumsum(counts) - (counts - 1) / 2)[inverse]


def within_team_stats(
    codes: np.ndarray, days: np.ndarray, x: np.ndarray, y: np.ndarray, adjust: bool
) -> dict:
    """n, teams, n_eff, drift_adjusted and ``STAT_COLUMNS`` for aligned rows sorted by team
    then day: the core of every link, public so simulations can call it without pandas."""
    codes = np.unique(codes, return_inverse=True)[1]
    counts = np.bincount(codes)
    dx, dy = _within(x, codes, counts), _within(y, codes, counts)
    n, teams = len(x), len(counts)
    within = float(n - teams)  # 1/Var(r) when weeks are independent
    drift_adjusted = False
    if adjust:
        shapes = shapes_of(codes, days)
        ax, ay = lag1(dx, codes, days, shapes), lag1(dy, codes, days, shapes)
        if ax is not None and ay is not None:
            within, drift_adjusted = min(within, independent_weeks(shapes, ax, ay)), True
    out: dict = {"n": n, "teams": teams, "n_eff": within + teams, "drift_adjusted": drift_adjusted}
    if within <= 2 or dx @ dx == 0 or dy @ dy == 0:
        return out | dict.fromkeys(STAT_COLUMNS, np.nan)
    df = within - 1
    ranked = (_rank(dx), _rank(dy))  # Spearman of the within-team deviations
    for name, p_name, (u, v), inflate in (
        ("r", "p", (dx, dy), 1.0),
        ("rho", "rho_p", ranked, 1.06),
    ):
        u, v = u - u.mean(), v - v.mean()
        r = float(np.clip(u @ v / np.sqrt((u @ u) * (v @ v)), -1, 1))
        t = r * np.sqrt(df / max(1 - r**2, 1e-15))
        low, high = interval(r, within, inflate=inflate)
        out |= {name: r, p_name: float(2 * special.stdtr(df, -abs(t)))}
        out |= {f"{name}_low": low, f"{name}_high": high}
    return out


def holm(p: pd.Series) -> pd.Series:
    """Holm step-down adjusted p-values (NaN stays NaN and is not counted as a test)."""
    valid = p.dropna().sort_values()
    m = len(valid)
    steps = (valid * (m - np.arange(m))).cummax().clip(upper=1)
    return steps.reindex(p.index)


Keyed = tuple[np.ndarray, np.ndarray]  # keyed's (team-and-day key, value)


def keyed_teams(ex: pd.DataFrame, cx: pd.DataFrame) -> tuple[pd.Index, Keyed, Keyed]:
    """The teams of either frame (sorted) and both frames keyed on them (keyed)."""
    teams = pd.Index(sorted(set(ex["team"]) | set(cx["team"])))
    return teams, keyed(ex, "score", teams), keyed(cx, "value", teams)


def at_lag(ex: Keyed, cx: Keyed, lag: int, min_points: int, adjust: bool) -> dict:
    """One lag's row of LAG_COLUMNS (before Holm) from keyed EX and CX: teams with fewer than
    ``min_points`` pairs are left out. Team codes only order the rows (within_team_stats
    codes them afresh), so frames keyed on a larger set of teams give the same row."""
    (xk, xv), (yk, yv) = ex, cx
    common, ix, iy = np.intersect1d(xk + 7 * lag, yk, assume_unique=True, return_indices=True)
    codes, days, x, y = common // _SPAN, common % _SPAN - _DAY0, xv[ix], yv[iy]
    counts = np.bincount(codes) if len(codes) else np.zeros(1, int)
    keep = counts[codes] >= min_points
    if not keep.any():
        short = min_points - int(counts.max())
        return {"lag": lag, "n": len(x), "teams": 0, "needs_more": short}
    found = within_team_stats(codes[keep], days[keep], x[keep], y[keep], adjust)
    return {"lag": lag, **found, "needs_more": 0}


def _by_lag(
    ex: pd.DataFrame, cx: pd.DataFrame, lags: Iterable[int], min_points: int, adjust: bool
) -> pd.DataFrame:
    _, xs, ys = keyed_teams(ex, cx)
    rows = [at_lag(xs, ys, lag, min_points, adjust) for lag in lags]
    out = pd.DataFrame(rows).reindex(columns=LAG_COLUMNS)
    out["p_holm"] = holm(out["p"])
    out["best"] = out.index == out["p"].idxmin() if out["p"].notna().any() else False
    out["drift_adjusted"] = out["drift_adjusted"].eq(True)
    return out.astype(
        {"lag": int, "n": int, "teams": int, "needs_more": int, "drift_adjusted": bool}
    )


def lagged_correlations(
    ex: pd.DataFrame,
    cx: pd.DataFrame,
    *,
    lags: Iterable[int] = range(5),
    min_points: int = MIN_TEAM_PAIRS,
    autocorr_adjust: bool = True,
) -> pd.DataFrame:
    """EX at week t vs CX at week t + L for ONE team, one row per lag (``LAG_COLUMNS``).

    Below ``min_points`` pairs a lag has no statistics and ``needs_more`` says how many more
    pairs of weeks it needs (each new week adds one once the series is longer than the lag).
    ``best`` marks the lag with the smallest p; judge it by ``p_holm``.
    """
    if max(ex["team"].nunique(), cx["team"].nunique()) > 1:
        raise ValueError("lagged_correlations is for one team; use pooled_within_team for several")
    return _by_lag(ex, cx, lags, min_points, autocorr_adjust)


def pooled_within_team(
    ex: pd.DataFrame,
    cx: pd.DataFrame,
    *,
    lags: Iterable[int] = range(5),
    min_points_per_team: int = 4,
    autocorr_adjust: bool = True,
) -> pd.DataFrame:
    """Org-wide within-team link per lag (``LAG_COLUMNS``), teams with enough weeks only.

    Each team is demeaned before pooling (fixed effects), so only a team's movements around its
    own level count; ``teams`` says how many contributed and ``needs_more`` how many weeks the
    best-covered team still lacks when none qualifies.
    """
    return _by_lag(ex, cx, lags, min_points_per_team, autocorr_adjust)


def best_link(result: pd.DataFrame, *, alpha: float = 0.05) -> tuple[pd.Series, float, bool]:
    """The best lag's row, its CI at the multiplicity-adjusted level, and whether it is reliable.

    With m lags tested the best lag's Holm p is m × p (Bonferroni), so its CI is Bonferroni's
    too: level 1 − α/m, ``(low, high)`` in the returned row as ``ci_low, ci_high``. Reliable
    means p_holm < α and that CI excludes 0 (they agree but for a sliver of tiny samples).
    Raises IndexError when no lag has statistics.
    """
    tested = result.dropna(subset=["p"])
    best = tested.loc[tested["p"].idxmin()].copy()
    level = 1 - alpha / len(tested)
    best["ci_low"], best["ci_high"] = interval(best["r"], best["n_eff"] - best["teams"], level)
    sure = best["p_holm"] < alpha and (best["ci_low"] > 0 or best["ci_high"] < 0)
    return best, level, bool(sure)


@dataclass(frozen=True)
class LinkFinding:
    """What a lagged_correlations/pooled_within_team result says, as values: which ``case``
    and the figures behind it, for figures.link_sentences to word in the reader's language.

    ``case``: ``flat`` (no lag has statistics and nothing is short: a side has not varied),
    ``short`` (``needs_more`` weeks still needed), ``unsure`` (no reliable link), or a reliable
    link: ``negative`` (higher EX with lower CX), ``same`` (same week), ``leads`` (EX leads CX by
    ``lag`` weeks; timing, not proof of cause). The statistics are those of the best lag:
    Holm-adjusted ``p_holm`` over ``tested`` lags, CI ``ci_low``–``ci_high`` at ``level``
    (Bonferroni alike), ``drift_adjusted`` as in LAG_COLUMNS.
    """

    case: str
    needs_more: int = 0
    lag: int = 0
    r: float | None = None  # None: no lag has statistics (``flat``, ``short``)
    n: int = 0
    teams: int = 0
    p_holm: float | None = None
    tested: int = 0
    level: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    drift_adjusted: bool = True


def link_finding(result: pd.DataFrame, *, alpha: float = 0.05) -> LinkFinding:
    """The finding of a lagged_correlations/pooled_within_team result.

    The decision uses the Holm-adjusted p of the best lag and a CI adjusted alike (best_link).
    """
    tested = result.dropna(subset=["p"])
    if tested.empty:
        short = result.loc[result["needs_more"] > 0, "needs_more"]
        if short.empty:
            return LinkFinding("flat")
        return LinkFinding("short", needs_more=int(short.min()))
    best, level, sure = best_link(result, alpha=alpha)
    lag, r = int(best["lag"]), float(best["r"])
    case = "unsure" if not sure else "negative" if r < 0 else "same" if lag == 0 else "leads"
    return LinkFinding(
        case,
        lag=lag,
        r=r,
        n=int(best["n"]),
        teams=int(best["teams"]),
        p_holm=float(best["p_holm"]),
        tested=len(tested),
        level=float(level),
        ci_low=float(best["ci_low"]),
        ci_high=float(best["ci_high"]),
        drift_adjusted=bool(best["drift_adjusted"]),
    )
