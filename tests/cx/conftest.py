"""Shared CX fixtures: the test company's config (three [[cx.sources]] presets) and a synced
workspace on each backend."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from settings.config import AppConfig, parse_config
from storage.db import session_scope
from storage.models import CxMetric, CxResponseSeen, Team
from storage.org import ensure_workspace, upsert_team

DATA = Path(__file__).parent / "data"
CONFIG = parse_config(tomllib.loads((DATA / "config.toml").read_text(encoding="utf-8")))
TEAMS = ("support", "success", "onboarding")


def sync(engine: Engine) -> None:
    with session_scope(engine) as s:
        ws = ensure_workspace(s, slack_team_id="T0SANDBOX")
        assert ws.id is not None
        for key in TEAMS:
            upsert_team(
                s,
                workspace_id=ws.id,
                key=key,
                name=key,
                usergroup=None,
                channel=None,
                parent_id=None,
            )


def stored(engine: Engine) -> dict[tuple[str, str, str], tuple[float, int | None, str]]:
    """(team, metric, period_start) -> (value 0–100 rounded to 0.01, sample size, cadence)."""
    with session_scope(engine) as s:
        rows = s.exec(select(Team.key, CxMetric).join(CxMetric, CxMetric.team_id == Team.id))
        return {
            (team, m.metric, m.period_start.isoformat()): (
                round(m.value, 2),
                m.sample_size,
                m.cadence,
            )
            for team, m in rows.all()
        }


def seen(engine: Engine) -> int:
    with session_scope(engine) as s:
        return len(s.exec(select(CxResponseSeen)).all())


@pytest.fixture
def synced(engine: Engine) -> Engine:
    sync(engine)
    return engine


@pytest.fixture
def config() -> AppConfig:
    return CONFIG
