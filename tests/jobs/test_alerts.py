"""Red-flag alerts: to the team's manager and HR, once per flag, only from k+ respondents."""

from __future__ import annotations

import datetime as dt

import pytest
from slack_sdk import WebClient
from sqlalchemy import Engine, func
from sqlmodel import col, select, update

from bot.messages import SlackMessages
from cli import demo_history
from jobs import alerts
from sandbox.server import SandboxServer
from settings.config import PrivacyConfig
from settings.runtime import Settings
from storage.db import session_scope
from storage.models import Employee, Pulse, SentAlert, Team
from tests.jobs.test_digest_job import MONDAY, hr, synced

LAST_WEEK = MONDAY.date() - dt.timedelta(weeks=1)


@pytest.fixture
def support_slumped(monkeypatch: pytest.MonkeyPatch) -> None:
    """Support's engagement collapses in the last of the demo company's twelve weeks."""
    monkeypatch.setitem(demo_history.MOOD, "support", [4.4] * 11 + [1.4])


def dms(sandbox: SandboxServer, user: str) -> list[str]:
    return [str(m["blocks"]) for m in sandbox.workspace.dm_messages(user)]


def _support_week_open(engine: Engine, open_: bool) -> None:
    with session_scope(engine) as s:
        support = s.exec(select(Team.id).where(Team.key == "support")).one()
        s.exec(
            update(Pulse)
            .where(col(Pulse.team_id) == support, col(Pulse.period_start) == LAST_WEEK)
            .values(closed_at=None if open_ else MONDAY - dt.timedelta(days=3))
        )


@pytest.mark.usefixtures("support_slumped")
def test_a_new_flag_reaches_the_manager_and_hr_once_only_from_k_and_after_its_week_closed(
    engine: Engine, sandbox: SandboxServer, client: WebClient, settings: Settings
) -> None:
    ws = synced(engine, client, settings, history=True)
    large_k = settings.config.model_copy(update={"privacy": PrivacyConfig(min_group_size=50)})
    for config in (large_k, hr(settings.config, alerts=False)):  # below k, or turned off
        assert (
            alerts.run(
                engine, client, config=config, workspace_id=ws, now=MONDAY, messages=SlackMessages()
            )
            == 0
        )
    assert sandbox.workspace.messages() == []
    _support_week_open(engine, True)

    def run() -> int:
        return alerts.run(
            engine,
            client,
            config=settings.config,
            workspace_id=ws,
            now=MONDAY,
            messages=SlackMessages(),
        )

    run()
    assert dms(sandbox, "U0MANAGER") == []  # the pulse is open: its figures may still move
    _support_week_open(engine, False)
    with session_scope(engine) as s:  # the manager reads German; HR reads `[hr] locale`
        s.exec(
            update(Employee)
            .where(col(Employee.slack_user_id) == "U0MANAGER")
            .values(locale_override="de-DE")
        )
    first, again = run(), run()

    (manager,) = dms(sandbox, "U0MANAGER")
    assert "Customer Support" in manager and "Das Engagement" in manager
    assert "Sie leiten Customer Support." in manager and "/pulse report support" in manager
    hr_dms = dms(sandbox, "U0HRLEAD")
    assert sum("Customer Support" in m for m in hr_dms) == 1 and first >= 2 and again == 0
    assert any("Engagement fell" in m for m in hr_dms)
    assert dms(sandbox, "U0CXDIRECTOR") == []  # Support has a manager of its own
    with session_scope(engine) as s:
        stored = s.exec(select(func.count()).select_from(SentAlert)).one()
    assert stored >= 1 and all(f"week of {LAST_WEEK:%d %b %Y}" in m for m in hr_dms)


def test_a_team_without_managers_alerts_its_nearest_managed_parent(settings: Settings) -> None:
    config = settings.config
    teams = [
        t.model_copy(update={"managers": []}) if t.key == "billing" else t for t in config.teams
    ]
    config = config.model_copy(update={"teams": teams})
    assert alerts.recipients(config, "billing") == {
        "U0CXDIRECTOR": "You manage Customer Experience, and Billing has no manager of its own.",
        "U0HRLEAD": "You are an HR admin.",
    }
    assert alerts.recipients(settings.config, "billing") == {
        "U0BILLINGLEAD": "You manage Billing.",
        "U0HRLEAD": "You are an HR admin.",
    }
