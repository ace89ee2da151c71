"""A bad config.toml stops the start with a message naming the key and what was expected."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from settings.config import ConfigError, parse_config
from settings.runtime import Settings, SettingsError, normalise_database_url
from tests.conftest import REPO

GOOD = """
[privacy]
min_group_size = 5
[hr]
admins = ["U0HRLEAD"]
digest_channel = "C0PEOPLE"
[[teams]]
key = "cx-org"
name = "CX"
[[teams]]
key = "support"
name = "Customer Support"
usergroup = "S0SUPPORT"
managers = ["U0MANAGER"]
parent = "cx-org"
cx_metrics = ["csat", "fcr"]
"""


def _parse(text: str):  # type: ignore[no-untyped-def]
    return parse_config(tomllib.loads(text))


def test_shipped_config_is_valid() -> None:
    config = parse_config(tomllib.loads((REPO / "config.toml").read_text()))
    assert config.team("support").parent == "cx-org"  # type: ignore[union-attr]
    assert config.ancestors("support") == ["cx-org"]


def test_good_config_parses_with_defaults() -> None:
    config = _parse(GOOD)
    assert config.privacy.min_group_size == 5
    assert config.pulse.questions_per_pulse == 4


def test_team_lookup_follows_the_teams_a_copy_carries() -> None:
    """A team is found by key (an index built on first use); a copy with other teams finds
    those, and the index never makes two equal configs unequal."""
    config = _parse(GOOD)
    assert config.team("support").name == "Customer Support"  # type: ignore[union-attr]
    assert config.team("nope") is None
    assert config == _parse(GOOD) and _parse(GOOD) == config  # one indexed, one not
    renamed = [t.model_copy(update={"name": "Help"}) for t in config.teams[1:]]
    copy = config.model_copy(update={"teams": renamed})
    assert copy.team("support").name == "Help"  # type: ignore[union-attr]
    assert copy.team("cx-org") is None
    assert config.team("support").name == "Customer Support"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (("min_group_size = 5", "min_grup_size = 5"), "unknown key 'privacy.min_grup_size'"),
        (("min_group_size = 5", "min_group_size = 2"), "'privacy.min_group_size'"),
        (("min_group_size = 5", 'min_group_size = "five"'), "'privacy.min_group_size'"),
        (('usergroup = "S0SUPPORT"', ""), "teams[1] ('support')': no member source"),
        (('usergroup = "S0SUPPORT"', 'usergroup = "support"'), "'teams[1] ('support').usergroup'"),
        (('parent = "cx-org"', 'parent = "cx"'), "no team has key 'cx'"),
        (('admins = ["U0HRLEAD"]', 'admins = ["alice"]'), "'hr.admins[0]'"),
        (('key = "cx-org"', 'key = "support"'), "duplicate team key"),
        (
            ('cx_metrics = ["csat", "fcr"]', "colour = 1"),
            "unknown key 'teams[1] ('support').colour'",
        ),
    ],
)
def test_bad_config_names_the_key(edit: tuple[str, str], expected: str) -> None:
    with pytest.raises(ConfigError) as err:
        _parse(GOOD.replace(*edit, 1))
    assert expected in str(err.value)


def test_parent_cycle_is_refused() -> None:
    text = GOOD.replace('name = "CX"', 'name = "CX"\nparent = "support"')
    with pytest.raises(ConfigError, match="cycle"):
        _parse(text)


def test_settings_from_env_fail_fast(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(GOOD.replace("[hr]", "[hr]\nchannel = 1"))
    with pytest.raises(SettingsError, match=r"unknown key 'hr\.channel'"):
        Settings.from_env({"PULSE_CONFIG": str(path)})
    with pytest.raises(SettingsError, match="file not found"):
        Settings.from_env({"PULSE_CONFIG": str(tmp_path / "missing.toml")})
    path.write_text(GOOD + '\n[questions]\nretired = ["nope.nothing"]\n')
    with pytest.raises(SettingsError, match=r"nope\.nothing"):
        Settings.from_env({"PULSE_CONFIG": str(path)})


def test_settings_read_the_operator_contract(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(GOOD)
    settings = Settings.from_env(
        {
            "PULSE_CONFIG": str(path),
            "DATABASE_URL": "postgres://u:p@db.example:5432/pulse",
            "SLACK_API_URL": "http://127.0.0.1:9/api",
            "PORT": "8080",
        }
    )
    assert settings.database_url == "postgresql+psycopg://u:p@db.example:5432/pulse"
    assert settings.slack_api_url == "http://127.0.0.1:9/api/"
    assert settings.port == 8080
    with pytest.raises(SettingsError, match="PULSE_SECRET is not set"):
        settings.secret()
    with pytest.raises(SettingsError, match="PORT"):
        Settings.from_env({"PULSE_CONFIG": str(path), "PORT": "http"})


def test_database_url_defaults_to_sqlite_file_in_working_dir() -> None:
    assert normalise_database_url("").startswith("sqlite:///")
    assert normalise_database_url("postgresql://x/y") == "postgresql+psycopg://x/y"
    with pytest.raises(SettingsError, match="DATABASE_URL"):
        normalise_database_url("mysql://x/y")
