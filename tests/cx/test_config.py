"""config.toml's [cx.metrics] and [[cx.sources]] are checked at start, naming the key."""

from __future__ import annotations

import tomllib

import pytest

from settings.config import ConfigError, parse_config
from tests.cx.conftest import DATA

BASE = (DATA / "config.toml").read_text(encoding="utf-8")


def parse(extra: str) -> None:
    parse_config(tomllib.loads(BASE + extra))


SOURCE = """
[[cx.sources]]
name = "{name}"
preset = "{preset}"
date_column = "Date"
score_column = "Score"
team_column = "Team"
timezone = "{zone}"
teams = {{ "A" = "{team}" }}
"""


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"team": "legal"},
            "'cx.sources[3] ('x').teams.A': no team has key 'legal'",
        ),
        (
            {"team": "support", "preset": "nps_survey"},
            "'cx.sources[3] ('x').teams.A': team 'support' is not linked to 'nps'",
        ),
        ({"name": "helpdesk"}, "'cx.sources[3] ('helpdesk').name': duplicate source name"),
        ({"zone": "Mars/Olympus"}, "expected a time zone name from the tz database"),
        ({"preset": "ces_survey"}, "'cx.sources[3].preset'"),
    ],
)
def test_a_bad_source_names_its_key(fields: dict[str, str], message: str) -> None:
    values = {"name": "x", "preset": "csat_survey", "zone": "UTC", "team": "support"} | fields
    with pytest.raises(ConfigError) as caught:
        parse(SOURCE.format(**values))
    assert message in str(caught.value)


def test_a_period_must_be_weekly_monthly_or_quarterly() -> None:
    with pytest.raises(ConfigError, match=r"'cx.metrics.fcr.period'"):
        parse('\n[cx.metrics.fcr]\nperiod = "yearly"\n')
