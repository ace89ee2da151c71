"""`pulse teams sync`: members, time zones and locales from user groups and channels."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import select

from bot.home import set_language
from jobs import sync
from sandbox import company
from sandbox.server import SandboxServer
from settings.runtime import Settings
from storage.db import session_scope
from storage.models import Employee, Membership, PersonSegment, Team
from storage.org import ensure_workspace, locale_of
from storage.people import set_values
from tests.factories import NOW


def _members(engine: Engine, key: str) -> dict[str, str]:
    with session_scope(engine) as s:
        rows = s.exec(
            select(Employee.slack_user_id, Employee.tz)
            .join(Membership, Membership.employee_id == Employee.id)
            .join(Team, Team.id == Membership.team_id)
            .where(Team.key == key)
        ).all()
    return dict(rows)


def test_sync_reads_groups_channels_and_time_zones(
    engine: Engine, client, settings: Settings
) -> None:
    with session_scope(engine) as s:
        result = sync.run(s, client, settings.config, NOW)
    assert result.teams == {
        "support": 12,
        "success": 8,
        "onboarding": 7,
        "billing": 14,
        "renewals": 15,
    }
    support = _members(engine, "support")
    assert set(support) == set(company.team_members("support"))  # bot and deleted user skipped
    assert support["U0SUP11"] == "Pacific/Auckland"
    assert set(_members(engine, "onboarding")) == set(company.team_members("onboarding"))
    with session_scope(engine) as s:
        teams = {t.key: t for t in s.exec(select(Team))}
    assert teams["support"].parent_id == teams["cx-org"].id
    assert teams["cx-org"].synced_at is None  # a parent-only team has no members of its own


def test_resync_follows_people_leaving_groups_and_slack(
    engine: Engine, client, settings: Settings, sandbox: SandboxServer
) -> None:
    with session_scope(engine) as s:
        sync.run(s, client, settings.config, NOW)
    remaining = company.team_members("support")[1:]
    sandbox.workspace.add_usergroup("S0SUPPORT", "support-team", remaining)
    sandbox.workspace.add_user("U0SUC01", "mateo", real_name="Mateo Rossi", deleted=True)
    with session_scope(engine) as s:
        result = sync.run(s, client, settings.config, NOW)
    assert set(_members(engine, "support")) == set(remaining)
    assert "U0SUC01" not in _members(engine, "success")
    assert result.deactivated == 1
    with session_scope(engine) as s:
        gone = s.exec(select(Employee).where(Employee.slack_user_id == "U0SUC01")).one()
    assert gone.is_active is False


def test_sync_keeps_each_persons_slack_locale_and_leaves_their_own_choice_alone(
    engine: Engine, client, settings: Settings, sandbox: SandboxServer
) -> None:
    def read(user: str) -> str | None:
        with session_scope(engine) as s:
            return locale_of(s, slack_team_id=sandbox.workspace.team_id, slack_user_id=user)

    # Slack leaves the locale out unless asked: the sync asks (include_locale)
    assert "locale" not in client.users_info(user="U0REN03")["user"]
    assert client.users_info(user="U0REN03", include_locale=True)["user"]["locale"] == "fr-FR"
    with session_scope(engine) as s:
        sync.run(s, client, settings.config, NOW)
    assert (read("U0REN03"), read("U0BIL03"), read("U0SUP02")) == ("fr-FR", "de-DE", "en-US")
    with session_scope(engine) as s:
        assert set_language(
            s, slack_team_id=sandbox.workspace.team_id, user_id="U0REN03", choice="es"
        )
        assert not set_language(
            s, slack_team_id=sandbox.workspace.team_id, user_id="U0REN03", choice="klingon"
        )
    sandbox.workspace.add_user("U0REN03", "quentin", real_name="Quentin Moreau", locale="de-DE")
    with session_scope(engine) as s:
        sync.run(s, client, settings.config, NOW)
    assert read("U0REN03") == "es"  # their choice outlives Slack's change
    with session_scope(engine) as s:
        set_language(s, slack_team_id=sandbox.workspace.team_id, user_id="U0REN03", choice="auto")
    assert read("U0REN03") == "de-DE"  # back to Slack's, as refreshed by the sync


def test_sync_reads_segment_values_from_slack_profile_fields(
    engine: Engine, client, settings: Settings, sandbox: SandboxServer
) -> None:
    """`[[segments]] slack_field`: each synced member's profile field is read; an allowed
    value is stored (any case), one the config does not allow is named and not stored, an
    empty field clears the value."""
    segments = [
        s.model_copy(update={"slack_field": "Xf01LAYER"}) if s.key == "layer" else s
        for s in settings.config.segments
    ]
    config = settings.config.model_copy(update={"segments": segments})
    ws = sandbox.workspace
    ws.add_user("U0SUP01", "alex", tz="Europe/Paris", fields={"Xf01LAYER": "Frontline"})
    ws.add_user("U0SUP02", "bea", tz="Asia/Manila", fields={"Xf01LAYER": "front office"})
    ws.add_user("U0SUP03", "chen", tz="Asia/Singapore", fields={"Xf01LAYER": ""})
    with session_scope(engine) as s:
        ws_row = ensure_workspace(s, slack_team_id="T0SANDBOX")
        set_values(s, workspace_id=ws_row.id or 0, values={"U0SUP03": {"layer": "support"}})
    with session_scope(engine) as s:
        result = sync.run(s, client, config, NOW)
    assert result.segments is not None
    assert result.segments.refused == [
        "U0SUP02: layer: 'front office' is not a value of layer (frontline, support, back-office)"
    ]
    with session_scope(engine) as s:
        stored = {(r.slack_user_id, r.attribute): r.value for r in s.exec(select(PersonSegment))}
    assert stored == {("U0SUP01", "layer"): "frontline"}  # U0SUP03's emptied field cleared it
