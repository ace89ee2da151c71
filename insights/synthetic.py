"""Synthetic panels with a known truth, for the statistical tests and the benchmarks.

Nothing here touches real data. ``make_panel`` plants (or withholds) an EX→CX link so the
linkage tests can check that it is found when present and not invented when absent;
``make_driver_agg`` produces SQL-shaped aggregates for the score and alert paths.
"""

import numpy as np
import pandas as pd

from insights.questions import engagement_drivers, load_bank
from insights.scores import ENPS

START = "2024-01-01"  # a Monday: periods are weekly, like the bot's


def _ar1(rng: np.random.Generator, shape: tuple[int, int], phi: float) -> np.ndarray:
    """Stationary unit-variance AR(1) series along axis 1."""
    e = rng.standard_normal(shape)
    out = np.empty(shape)
    out[:, 0] = e[:, 0]
    for t in range(1, shape[1]):
        out[:, t] = phi * out[:, t - 1] + np.sqrt(1 - phi**2) * e[:, t]
    return out


def make_panel(
    n_teams: int,
    n_periods: int,
    *,
    effect_r: float = 0.5,
    lag: int = 2,
    between_team_sd: float = 8.0,
    within_sd: float = 5.0,
    between_only: bool = False,
    autocorr: float = 0.0,
    missing: float = 0.0,
    seed: int = 0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return ``ex[team, period, score]`` and ``cx[team, period, value]``, both 0–100, weekly.

    Within a team, CX at week t + ``lag`` correlates with EX at week t with r = ``effect_r``
    (0 gives the null). Team levels vary with ``between_team_sd``, independently for EX and CX,
    so they add no EX↔CX correlation. ``between_only=True`` ignores ``effect_r`` and makes the
    team levels of EX and CX correlate at 0.9 while within-team movements stay independent:
    a naive pooled correlation is then strong although no team's CX follows its engagement.
    ``autocorr`` makes both within-team series AR(1); ``missing`` drops that share of rows at
    random from each frame (so periods must be aligned by date, not by row).
    """
    rng = np.random.default_rng(seed)
    level = rng.standard_normal((n_teams, 2))
    if between_only:
        effect_r = 0.0
        level[:, 1] = 0.9 * level[:, 0] + np.sqrt(1 - 0.81) * level[:, 1]
    driver = _ar1(rng, (n_teams, n_periods + lag), autocorr)
    noise = _ar1(rng, (n_teams, n_periods + lag), autocorr)
    follow = effect_r * driver + np.sqrt(1 - effect_r**2) * noise
    ex = 70 + between_team_sd * level[:, [0]] + within_sd * driver[:, lag:]
    cx = 75 + between_team_sd * level[:, [1]] + within_sd * follow[:, :n_periods]
    teams = np.repeat([f"team-{i:02d}" for i in range(n_teams)], n_periods)
    periods = np.tile(pd.date_range(START, periods=n_periods, freq="7D"), n_teams)

    def frame(values: np.ndarray, column: str) -> pd.DataFrame:
        out = pd.DataFrame(
            {"team": teams, "period": periods, column: np.clip(values.ravel(), 0, 100)}
        )
        return out[rng.random(len(out)) >= missing].reset_index(drop=True)

    return frame(ex, "score"), frame(cx, "value")


def make_driver_agg(
    n_teams: int, n_periods: int, *, team_size: int = 8, response_rate: float = 0.8, seed: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """SQL-shaped ``driver_agg`` and ``participation`` (see insights.scores) from simulated answers.

    Each respondent answers every engagement driver, eNPS and perception; a team's mood shifts
    its answers, so teams differ but stay realistic.
    """
    rng = np.random.default_rng(seed)
    drivers = [*engagement_drivers(load_bank()), ENPS, "perception"]
    rows, part = [], []
    for team in (f"team-{i:02d}" for i in range(n_teams)):
        mood = rng.normal(0, 0.5)
        for period in pd.date_range(START, periods=n_periods, freq="7D"):
            k = int(rng.binomial(team_size, response_rate))
            part.append((team, period, team_size, k))
            for d in drivers:
                lo, hi, centre = (0, 10, 7.5) if d == ENPS else (1, 5, 3.6)
                scale = 2.0 if d == ENPS else 1.0
                v = np.clip(np.rint(rng.normal(centre + mood * scale, scale, k)), lo, hi)
                nps = d == ENPS
                fav, pro, det = (
                    ((v >= 4).sum(), 0, 0) if not nps else (0, (v >= 9).sum(), (v <= 6).sum())
                )
                rows.append((team, period, d, k, v.sum(), (v**2).sum(), fav, pro, det))
    columns = ["team", "period", "driver", "n", "total", "total_sq", "favourable"]
    agg = pd.DataFrame(rows, columns=[*columns, "promoters", "detractors"])
    agg = agg[agg["n"] > 0].astype({c: "int64" for c in agg.columns[3:]})
    return agg.reset_index(drop=True), pd.DataFrame(
        part, columns=["team", "period", "invited", "respondents"]
    )
