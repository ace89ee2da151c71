"""What a team report loads for its CX links: a year of weeks, more for a monthly series."""

from __future__ import annotations

import datetime as dt

from figures.links import LINK_PERIODS, LINK_WEEKS
from figures.ready import window_of
from settings.config import AppConfig, parse_config

NOW = dt.datetime(2026, 12, 3, 9, tzinfo=dt.UTC)


def _config(period: str) -> AppConfig:
    return parse_config(
        {
            "cx": {"metrics": {"nps": {"period": period}}},
            "teams": [{"key": "a", "name": "A", "usergroup": "S0A", "cx_metrics": ["nps"]}],
        },
        source="test",
    )


def test_a_team_report_loads_enough_weeks_for_its_metrics_periods() -> None:
    weekly = window_of(_config("weekly"), "a", weeks=12, now=NOW)
    monthly = window_of(_config("monthly"), "a", weeks=12, now=NOW)
    quarterly = window_of(_config("quarterly"), "a", weeks=12, now=NOW)
    assert weekly.history == LINK_WEEKS
    assert monthly.history * 7 >= LINK_PERIODS["monthly"] * 31  # 24 months of weeks at least
    assert quarterly.history * 7 >= LINK_PERIODS["quarterly"] * 92
    assert weekly.since == monthly.since == quarterly.since  # the weeks shown do not change
