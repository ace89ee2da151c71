"""Small builders for database state used across tests."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine

from insights.questions import load_bank
from storage.db import session_scope
from storage.org import Member, ensure_workspace, set_team_members, upsert_employees, upsert_team
from storage.pulses import eligible_members, open_pulse
from storage.questions import sync_questions

NOW = dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.UTC)
WORKSPACE = "T0SANDBOX"


def org(engine: Engine, *, people: int = 6, team_key: str = "support") -> dict[str, int]:
    """A workspace with one synced team of `people` members; returns ids by name."""
    with session_scope(engine) as s:
        ws = ensure_workspace(s, slack_team_id=WORKSPACE, name="Sandbox Co")
        team = upsert_team(
            s,
            workspace_id=ws.id,
            key=team_key,
            name="Customer Support",
            usergroup="S0SUPPORT",
            channel=None,
            parent_id=None,
        )
        team.synced_at = NOW
        ids = upsert_employees(
            s,
            workspace_id=ws.id,
            members=[Member(f"U{i:04d}", f"Person {i}", "Europe/Paris") for i in range(people)],
        )
        set_team_members(s, team_id=team.id, employee_ids=ids.values())
        return {"workspace": ws.id, "team": team.id, **ids}


def pulse(engine: Engine, ids: dict[str, int], *, keys: list[str] | None = None) -> int:
    keys = keys or ["wellbeing.energy", "tools.what_i_need", "enps.recommend"]
    with session_scope(engine) as s:
        rows = sync_questions(s, load_bank().active())
        members = eligible_members(s, team_id=ids["team"], on=NOW.date())
        p = open_pulse(
            s,
            workspace_id=ids["workspace"],
            team_id=ids["team"],
            question_ids=[rows[k].id for k in keys],
            opened_at=NOW,
            closes_at=NOW + dt.timedelta(hours=72),
            deliveries=[(eid, NOW) for eid, _ in members],
        )
        return p.id
