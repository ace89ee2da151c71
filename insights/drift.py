"""How much weekly series drift, and how few independent weeks that leaves (insights.linkage).

Weekly engagement and CX values drift: this week resembles last week. Two drifting series that
have nothing to do with each other still correlate by chance far more than independent weeks
would, so the link's test uses 1/Var(r) for two independent AR(1) series demeaned within team
(the effective sample size of Bretherton et al., 1999, computed exactly for short, gappy series)
instead of the number of pairs.

The AR(1) coefficient is estimated from the data, pooled over teams, at every series length:
demeaning a short series biases its lag-1 autocorrelation far down (about −(1 + 3a)/m for m
weeks, Kendall 1954; −0.2 at 6 independent weeks), so the coefficient taken is the one whose
expected estimate, for these very series lengths and gaps, equals the one observed, read half a
standard error high (``DRIFT_MARGIN``): an underestimated drift invents links, an overestimated
one only costs a little power. Near-random walks are covered (``AR_BOUND``).
"""

from collections import Counter
from functools import cache, lru_cache

import numpy as np

MIN_STEPS = 4  # consecutive-week pairs needed to estimate how much the series drift
AR_BOUND = 0.999  # the drift (AR(1) coefficient) estimate is kept within ±this
DRIFT_MARGIN = 0.5  # the drift is read this many standard errors (1/√steps) above its estimate
_GRID = np.tanh(np.linspace(-1, 1, 401) * np.arctanh(AR_BOUND))  # coefficients, dense near ±1


def _centre(m: np.ndarray) -> np.ndarray:
    return m - m.mean(axis=0) - m.mean(axis=1)[:, None] + m.mean()


@cache
def _gaps(weeks: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """|week_i − week_j| of one team's series, and which neighbours are one week apart."""
    w = np.array(weeks, float)
    return np.abs(w[:, None] - w[None, :]), np.flatnonzero(np.diff(w) == 1)


def shapes_of(codes: np.ndarray, days: np.ndarray) -> Counter:
    """How many teams have each series shape (weeks relative to their first): most share one."""
    shapes: Counter = Counter()
    for d in np.split(days, np.flatnonzero(np.diff(codes)) + 1):
        shapes[tuple(int(w) for w in (d - d[0]) // 7)] += 1
    return shapes


def _centred(shape: tuple[int, ...], a: float) -> np.ndarray:
    """CΣC: the covariance of a team's demeaned AR(1) series, Σ[i, j] = a^|week_i − week_j|."""
    gap, _ = _gaps(shape)
    return _centre(a**gap)


@cache
def _powers(distances: int) -> np.ndarray:
    return _GRID[None, :] ** np.arange(distances)[:, None]


@lru_cache(maxsize=2048)  # a series shape per team and lag: sized for a 400-team org
def _lag1_moments(shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Expected Σ of consecutive-week products and Σ of squares of one demeaned AR(1) series,
    for every coefficient on ``_GRID`` (so the estimate is a lookup, not a search).

    With S = CΣC: trace S = m − m·μ and S[i, i+1] = a − v_i − v_{i+1} + μ, where v_i is row
    i's mean of Σ and μ Σ's mean; v comes from how many weeks lie each distance from week i.
    """
    gap, step = _gaps(shape)
    distance = gap.astype(int)
    span, m = distance.max() + 1, len(shape)
    count = np.bincount((np.arange(m)[:, None] * span + distance).ravel(), minlength=m * span)
    count = count.reshape(m, span)  # weeks at each distance from week i
    power = _powers(span)  # a^distance, distance × grid
    v = np.einsum("md,dg->mg", count.astype(float), power) / m  # not BLAS: tiny, and threads
    mu = v.mean(0)
    steps = len(step) * (_GRID + mu) - (v[step] + v[step + 1]).sum(0)
    return steps, m * (1 - mu)


def lag1(dev: np.ndarray, codes: np.ndarray, days: np.ndarray, shapes: Counter) -> float | None:
    """The AR(1) coefficient of within-team deviations ``dev`` (rows sorted by team then day),
    pooled over teams and bias-corrected as the module says; None without ``MIN_STEPS`` pairs
    of consecutive weeks to estimate it from."""
    step = (codes[1:] == codes[:-1]) & (np.diff(days) == 7)
    den = float(dev @ dev)
    if step.sum() < MIN_STEPS or den == 0:
        return None
    seen = float((dev[:-1] * dev[1:])[step].sum()) / den + DRIFT_MARGIN / np.sqrt(step.sum())
    num, den_ = np.zeros(len(_GRID)), np.zeros(len(_GRID))
    for shape, count in shapes.items():
        m_num, m_den = _lag1_moments(shape)
        num, den_ = num + count * m_num, den_ + count * m_den
    expected = np.maximum.accumulate(num / den_)  # grows with the coefficient
    return float(np.interp(seen, expected, _GRID))


def independent_weeks(shapes: Counter, ax: float, ay: float) -> float:
    """1/Var(r) for independent AR(1) series demeaned within team: tr(AxAy)⁻¹·trAx·trAy.

    A = CΣC per team (gaps handled) summed over teams; it equals n − teams for independent
    weeks, and is smaller the more both series drift (Bretherton et al., 1999).
    """
    num = tx = ty = 0.0
    for shape, count in shapes.items():
        sx, sy = _centred(shape, ax), _centred(shape, ay)
        num += count * float((sx * sy).sum())
        tx, ty = tx + count * np.trace(sx), ty + count * np.trace(sy)
    return tx * ty / num
