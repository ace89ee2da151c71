"""Red flags a manager or HR should look at this week, each with a reason they can read.

Inputs are the outputs of insights.scores: ``scores`` (team_period_scores) and
``driver_scores`` (driver_scores). Flags carry the period's respondents so the privacy guard
can drop those about groups smaller than k before anyone sees them.
"""

from collections.abc import Collection
from dataclasses import dataclass

import pandas as pd

from insights.scores import trend

KINDS = ("engagement_drop", "low_enps", "low_participation", "driver_bottom_decile")
MIN_DECILE_CELLS = 10  # fewer team × driver scores than this make no decile


@dataclass(frozen=True)
class RedFlag:
    team: str
    period: pd.Timestamp
    kind: str
    reason: str
    respondents: int | None = None
    driver: str | None = None


def _signed(x: float) -> str:
    return f"{x:.0f}".replace("-", "−")


def _count(value: float | None) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


def _people(value: float | None) -> str:
    count = _count(value)
    return "an unknown number of respondents" if count is None else f"{count} respondents"


def red_flags(
    scores: pd.DataFrame,
    driver_scores: pd.DataFrame,
    *,
    engagement_drivers: Collection[str],
    period: pd.Timestamp | None = None,
    drop_points: float = 10,
    baseline_periods: int = 4,
    enps_floor: float = -10,
    participation_floor: float = 0.5,
    bottom_decile_runs: int = 3,
    cutoffs: pd.Series | None = None,
) -> list[RedFlag]:
    """Flags for one period (``None`` → the latest in ``scores``), ordered by team, then kind.

    - ``engagement_drop``: engagement ≥ ``drop_points`` below the mean of the previous
      ``baseline_periods`` periods (the reason says whether that is beyond noise);
    - ``low_enps``: eNPS below ``enps_floor``;
    - ``low_participation``: respondents / invited below ``participation_floor``;
    - ``driver_bottom_decile``: an engagement driver in the bottom 10% of all team × driver
      scores for each of the last ``bottom_decile_runs`` periods (periods with at least
      ``MIN_DECILE_CELLS`` scores); ``engagement_drivers`` come from the question bank.
      The deciles are of ``driver_scores`` unless ``cutoffs`` (decile_cutoffs of every
      team, kept ready) are given; then ``driver_scores`` need only the teams to flag.
    """
    scores = scores.assign(period=pd.to_datetime(scores["period"]))
    when = pd.Timestamp(period) if period is not None else scores["period"].max()
    flags: list[RedFlag] = []
    trended = trend(scores, baseline_periods=baseline_periods)
    for row in trended[trended["period"] == when].itertuples(index=False):
        if -row.change_baseline >= drop_points:
            noise = "may be noise" if row.change_baseline_within_noise else "beyond noise"
            reason = (
                f"Engagement fell {-row.change_baseline:.0f} points below its "
                f"{baseline_periods}-week baseline ({row.baseline:.0f} → {row.engagement:.0f}); "
                f"{noise} for {_people(row.respondents)}."
            )
            flags.append(
                RedFlag(row.team, when, "engagement_drop", reason, _count(row.respondents))
            )
    for row in scores[scores["period"] == when].itertuples(index=False):
        if row.enps < enps_floor:
            reason = (
                f"eNPS is {_signed(row.enps)}, below the {_signed(enps_floor)} floor "
                f"({row.enps_n} answers)."
            )
            flags.append(RedFlag(row.team, when, "low_enps", reason, _count(row.respondents)))
        if row.participation < participation_floor:
            reason = (
                f"Only {row.respondents} of {row.invited} invited people answered "
                f"({row.participation:.0%}, below {participation_floor:.0%}): "
                "the scores may not speak for the whole team."
            )
            flags.append(
                RedFlag(row.team, when, "low_participation", reason, _count(row.respondents))
            )
    if cutoffs is None:
        cutoffs = decile_cutoffs(driver_scores, engagement_drivers)
    flags += _bottom_decile(
        driver_scores, scores, when, bottom_decile_runs, engagement_drivers, cutoffs
    )
    return sorted(flags, key=lambda f: (f.team, KINDS.index(f.kind), f.driver or ""))


def decile_cutoffs(driver_scores: pd.DataFrame, engagement_drivers: Collection[str]) -> pd.Series:
    """Per period, the bottom-decile cutoff of every team × engagement-driver score (-1 when
    the period has fewer than ``MIN_DECILE_CELLS`` scores: nothing is in its bottom 10%)."""
    ds = _engaged(driver_scores, engagement_drivers)
    return ds.groupby("period")["score"].agg(
        lambda s: s.quantile(0.1) if len(s) >= MIN_DECILE_CELLS else -1
    )


def _engaged(driver_scores: pd.DataFrame, engagement_drivers: Collection[str]) -> pd.DataFrame:
    ds = driver_scores.assign(period=pd.to_datetime(driver_scores["period"]))
    return ds[ds["driver"].isin(list(engagement_drivers)) & ds["score"].notna()]


def _bottom_decile(
    driver_scores: pd.DataFrame,
    scores: pd.DataFrame,
    when: pd.Timestamp,
    runs: int,
    engagement_drivers: Collection[str],
    cutoffs: pd.Series,
) -> list[RedFlag]:
    ds = _engaged(driver_scores, engagement_drivers)
    ds = ds[ds["period"] <= when]
    periods = sorted(p for p in cutoffs.index if p <= when)[-runs:]
    if len(periods) < runs or periods[-1] != when:
        return []
    recent = ds[ds["period"].isin(periods)]
    low = recent[recent["score"] <= recent["period"].map(cutoffs)]
    streak = low.groupby(["team", "driver"])["period"].nunique()
    latest = low[low["period"] == when].set_index(["team", "driver"])["score"]
    who = scores[scores["period"] == when].set_index("team")["respondents"]
    return [
        RedFlag(
            team,
            when,
            "driver_bottom_decile",
            f"{driver.replace('_', ' ').capitalize()} has been in the bottom 10% of team driver "
            f"scores for {runs} weeks running (now {latest[(team, driver)]:.0f}).",
            _count(who.get(team)),
            driver,
        )
        for (team, driver), count in streak.items()
        if count == runs
    ]
