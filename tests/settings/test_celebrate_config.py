"""`celebrate = true` on a team: off by default, and only where there is a channel to post to."""

from __future__ import annotations

import pytest

from settings.config import ConfigError, parse_config


def _team(**extra: object) -> dict:
    return {"key": "support", "name": "Support", "managers": ["U0MANAGER"], **extra}


def test_celebrations_are_off_unless_a_channel_team_opts_in() -> None:
    config = parse_config({"teams": [_team(channel="C0SUPPORT")]})
    assert config.teams[0].celebrate is False
    config = parse_config({"teams": [_team(channel="C0SUPPORT", celebrate=True)]})
    assert config.teams[0].celebrate is True


def test_a_user_group_team_cannot_celebrate_and_is_told_why() -> None:
    with pytest.raises(
        ConfigError, match=r"celebrate': celebrations are posted.*has none.*HR digest's wins"
    ):
        parse_config({"teams": [_team(usergroup="S0SUPPORT", celebrate=True)]})
