"""Periods: aggregated rows declare weekly/monthly/quarterly, and the EX↔CX link compares
monthly engagement (shown weeks only) with a monthly metric, counting lags in months."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine
from sqlmodel import select

from cx.importer import store
from cx.validate import CxDataError
from figures.guard import Tree
from figures.links import org_links, team_links
from figures.pipeline import Figures, Window
from figures.ready import Asked
from insights.scores import ORG
from settings.config import AppConfig
from storage.cx_periods import engagement_period, period_start, start_problem
from storage.db import session_scope
from storage.models import Workspace
from tests.cx.conftest import stored

END = dt.date(2026, 11, 23)  # a Monday: the window's last week


def push(engine: Engine, config: AppConfig, records: list[dict[str, str]]) -> None:
    with session_scope(engine) as s:
        store(
            s,
            records=records,
            config=config,
            locate=lambda i, f: f"row {i}" + (f".{f}" if f else ""),
        )


def test_period_starts_and_which_period_an_engagement_week_counts_towards() -> None:
    assert period_start(dt.date(2026, 11, 18), "weekly", "sun") == dt.date(2026, 11, 15)
    assert period_start(dt.date(2026, 11, 18), "quarterly") == dt.date(2026, 10, 1)
    assert start_problem(dt.date(2026, 11, 2), "monthly") == (
        "2026-11-02 is not the first day of a month: the month containing it starts on 2026-11-01"
    )
    # the week of Mon 30 Nov has four days in December, so it counts towards December
    assert engagement_period(dt.date(2026, 11, 30), "monthly") == dt.date(2026, 12, 1)
    assert engagement_period(dt.date(2026, 11, 23), "monthly") == dt.date(2026, 11, 1)


def test_aggregated_rows_carry_their_period(synced: Engine, config: AppConfig) -> None:
    push(
        synced,
        config,
        [
            {"team": "success", "metric": "nps", "period_start": "2026-10-01", "value": "20"},
            {
                "team": "support",
                "metric": "fcr",
                "period_start": "2026-10-01",
                "value": "0.8",
                "period": "quarterly",
            },
        ],
    )
    assert stored(synced) == {
        ("success", "nps", "2026-10-01"): (60.0, None, "monthly"),
        ("support", "fcr", "2026-10-01"): (80.0, None, "quarterly"),
    }
    # Support's report looks back over 12 quarters of its FCR, which config.toml never declared
    now = dt.datetime(2026, 12, 3, 9, tzinfo=dt.UTC)
    with session_scope(synced) as s:
        ws = s.exec(select(Workspace.id)).one()
        asked = Asked.of(s, config, ws, "support", weeks=12, now=now)
    assert "fcr" not in config.cx.metrics and asked.window.history * 7 >= 12 * 92
    with pytest.raises(CxDataError) as caught:
        push(
            synced,
            config,
            [
                {"team": "success", "metric": "nps", "period_start": "2026-11-02", "value": "20"},
                {
                    "team": "success",
                    "metric": "nps",
                    "period_start": "2026-11-01",
                    "value": "20",
                    "period": "weekly",
                },
                {"team": "support", "metric": "fcr", "period_start": "2026-11-02", "value": "0.8"},
            ],
        )
    assert caught.value.problems == [
        "row 0.period_start: 2026-11-02 is not the first day of a month: the month containing "
        "it starts on 2026-11-01",
        "row 1.period: 'weekly', but config.toml [cx.metrics.nps] says monthly",
    ]
    with pytest.raises(
        CxDataError, match=r"row 0\.period: weekly, but team 'support' fcr is quarterly"
    ):
        push(
            synced,
            config,
            [
                {"team": "support", "metric": "fcr", "period_start": "2026-11-02", "value": "0.8"},
            ],
        )


def _figures(months: int, hidden: set[pd.Timestamp]) -> Figures:
    """One team's weekly engagement over ``months`` months, and a monthly NPS that follows the
    previous month's engagement; ``hidden`` weeks are not shown (their engagement is NaN)."""
    rng = np.random.default_rng(3)
    weeks = pd.date_range(end=pd.Timestamp(END), periods=months * 52 // 12 + 1, freq="7D")
    monthly = pd.Series(rng.normal(60, 8, size=months + 2))
    starts = pd.date_range(
        end=pd.Timestamp(END).to_period("M").to_timestamp(), periods=months + 2, freq="MS"
    )
    level = dict(zip(starts, monthly, strict=True))
    month_of = [pd.Timestamp(engagement_period(w.date(), "monthly")) for w in weeks]
    engagement = [level[m] + rng.normal(0, 1) for m in month_of]
    scores = pd.DataFrame({"team": "t", "period": weeks, "engagement": engagement, "shown": True})
    scores.loc[scores["period"].isin(hidden), ["engagement", "shown"]] = [np.nan, False]
    if hidden:  # a hidden week's figure would swing its month if it were used
        scores.loc[scores["period"].isin(hidden), "engagement"] = 1000.0
    cx = pd.DataFrame(
        {
            "team": "t",
            "period": starts[1:],
            "metric": "nps",
            "value": [level[m] * 0.5 + 20 + rng.normal(0, 0.5) for m in starts[:-1]],
            "sample_size": 100,
            "scale": "-100-100",
            "cadence": "monthly",
        }
    )
    drivers = pd.concat(
        [
            pd.DataFrame(
                {"team": "t", "period": weeks, "driver": driver, "score": score, "shown": True}
            )
            for driver, score in (("energy", engagement), ("perception", 80.0))
        ],
        ignore_index=True,
    )
    window = Window.ending(END, weeks=12, history=len(weeks))
    return Figures(5, window, None, ("energy",), scores, drivers, None, cx, {}, pd.DataFrame())  # type: ignore[arg-type]


def test_monthly_engagement_leads_monthly_nps_by_one_month() -> None:
    (link,) = team_links(_figures(16, set()), "t", ["nps"])
    assert link.cadence == "monthly" and link.best_lag == 1
    assert link.sentence.startswith("Engagement tends to lead NPS by 1 month (r = ")
    assert link.sentence.endswith(" months of data).")
    assert "week" not in link.sentence


def test_the_org_link_of_a_monthly_metric_rests_on_a_year_of_months() -> None:
    """Pooled over the org, a monthly NPS is judged over twelve months, not the weekly link's
    half year (six months, two pairs per team left at a lag of four)."""
    fig = _figures(16, set())
    tree = Tree(lineage={"t": ["t", ORG]}, parents={"t": ORG, ORG: None}, leaves=frozenset("t"))
    (link,) = org_links(dataclasses.replace(fig, tree=tree), ["nps"])
    assert link.cadence == "monthly" and link.best_lag == 1
    assert link.sentence.endswith(" 12 months of data)."), link.sentence


def test_a_hidden_week_never_enters_its_month() -> None:
    hidden = {pd.Timestamp(END) - pd.Timedelta(weeks=w) for w in (5, 9, 20)}
    shown, with_hidden = (
        team_links(_figures(16, set()), "t", ["nps"]),
        team_links(_figures(16, hidden), "t", ["nps"]),
    )
    # the hidden weeks' 1000s would wreck the link if they were averaged in
    assert with_hidden[0].best_lag == 1 and with_hidden[0].sentence.startswith(
        "Engagement tends to lead NPS by 1 month"
    )
    assert shown[0].best_lag == 1
    r = with_hidden[0].lags.set_index("lag")["r"]
    assert r[1] > 0.9, r


def test_the_perception_gap_is_per_month_for_a_monthly_metric() -> None:
    (link,) = team_links(_figures(16, set()), "t", ["nps"])
    gap = link.perception_gap
    # the window's 12 weeks touch three months, each with shown weeks and an NPS value
    assert list(gap["period"].dt.strftime("%Y-%m-%d")) == ["2026-09-01", "2026-10-01", "2026-11-01"]
    assert (gap["perceived"] == 80.0).all()
    assert "week" not in " ".join(link.gap_said(row).sentence for _, row in gap.iterrows())


def test_a_weekly_series_may_start_its_weeks_on_sunday(synced: Engine, config: AppConfig) -> None:
    row = {"team": "onboarding", "metric": "ces", "value": "2.5"}
    push(synced, config, [row | {"period_start": "2026-11-15"}])
    assert stored(synced) == {("onboarding", "ces", "2026-11-15"): (75.0, None, "weekly")}
    with pytest.raises(CxDataError) as caught:
        push(synced, config, [row | {"period_start": "2026-11-16"}])
    assert caught.value.problems == [
        "row 0.period_start: 2026-11-16 is a Monday: period_start must be the Sunday a week "
        "starts on (the week containing 2026-11-16 starts on 2026-11-15)"
    ]


def test_sunday_weeks_meet_the_engagement_week_they_mostly_cover() -> None:
    fig = _figures(16, set())
    weekly = fig.scores[["team", "period", "engagement"]].rename(columns={"engagement": "value"})
    cx = weekly.assign(  # each Sunday week's CX is the engagement of the Monday after
        period=weekly["period"] - pd.Timedelta(days=1),
        metric="ces",
        value=weekly["value"] / 2 + 20,
        sample_size=50,
        scale="1-7",
        cadence="weekly",
    )
    sunday = Figures(**{**fig.__dict__, "cx": cx})
    (link,) = team_links(sunday, "t", ["ces"])
    assert link.best_lag == 0 and link.cadence == "weekly"
    assert link.sentence.startswith(
        "Engagement tends to move with Customer effort in the same week (r = 1.00"
    )
