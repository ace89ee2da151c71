"""Sync each configured team's members (and their time zones) from Slack.

Members come from the team's user group or channel; time zones and locales (the language
each person reads Slack in, `include_locale`) from users.list. Bots, deactivated accounts and
Slack Connect guests from other workspaces are skipped. Segment values come from Slack
profile fields where `[[segments]] slack_field` names one (jobs.segment_profiles).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from slack_sdk import WebClient
from sqlmodel import Session, col, update

from jobs import segment_profiles
from jobs.segment_profiles import ProfileValues
from settings.config import AppConfig, TeamConfig
from settings.i18n import normalise
from storage.models import Employee
from storage.org import Member, ensure_workspace, set_team_members, upsert_employees, upsert_team


@dataclass
class SyncResult:
    workspace: str
    teams: dict[str, int] = field(default_factory=dict)  # team key -> members
    people: int = 0
    deactivated: int = 0
    segments: ProfileValues | None = None  # values read from Slack profile fields, if any


def run(session: Session, client: WebClient, config: AppConfig, now: dt.datetime) -> SyncResult:
    auth = client.auth_test()
    ws = ensure_workspace(session, slack_team_id=auth["team_id"], name=auth.get("team", ""))
    assert ws.id is not None
    people = _directory(client, team_id=auth["team_id"])
    result = SyncResult(workspace=auth["team_id"], people=len(people))
    employee_ids = upsert_employees(session, workspace_id=ws.id, members=people.values())
    gone = session.exec(
        update(Employee)
        .where(
            col(Employee.workspace_id) == ws.id,
            col(Employee.is_active),
            col(Employee.slack_user_id).not_in(list(people)),
        )
        .values(is_active=False)
    )
    result.deactivated = gone.rowcount or 0
    team_ids: dict[str, int] = {}
    synced: set[str] = set()
    for team in _parents_first(config):
        row = upsert_team(
            session,
            workspace_id=ws.id,
            key=team.key,
            name=team.name,
            usergroup=team.usergroup,
            channel=team.channel,
            parent_id=team_ids.get(team.parent) if team.parent else None,
        )
        assert row.id is not None
        team_ids[team.key] = row.id
        if team.usergroup is None and team.channel is None:
            continue
        user_ids = _team_user_ids(client, usergroup=team.usergroup, channel=team.channel)
        members = [employee_ids[u] for u in user_ids if u in employee_ids]
        set_team_members(session, team_id=row.id, employee_ids=members)
        row.synced_at = now
        result.teams[team.key] = len(set(members))
        synced.update(u for u in user_ids if u in employee_ids)
    if any(s.slack_field for s in config.segments):
        result.segments = segment_profiles.run(
            session, client, config, workspace_id=ws.id, user_ids=synced, today=now.date()
        )
    return result


def _directory(client: WebClient, *, team_id: str) -> dict[str, Member]:
    people: dict[str, Member] = {}
    for page in client.users_list(limit=200, include_locale=True):
        for user in page["members"]:
            if user.get("deleted") or user.get("is_bot") or user["id"] == "USLACKBOT":
                continue
            if user.get("team_id", team_id) != team_id:
                continue
            profile = user.get("profile") or {}
            name = user.get("real_name") or profile.get("real_name") or user.get("name", "")
            people[user["id"]] = Member(
                slack_user_id=user["id"],
                name=name,
                tz=user.get("tz") or "UTC",
                locale=normalise(user.get("locale")) or "",
            )
    return people


def _team_user_ids(client: WebClient, *, usergroup: str | None, channel: str | None) -> list[str]:
    if usergroup is not None:
        return list(client.usergroups_users_list(usergroup=usergroup)["users"])
    if channel is None:
        raise ValueError("a team needs a usergroup or a channel")  # the config ensures one
    ids: list[str] = []
    for page in client.conversations_members(channel=channel, limit=200):
        ids.extend(page["members"])
    return ids


def _parents_first(config: AppConfig) -> list[TeamConfig]:
    return sorted(config.teams, key=lambda t: len(config.ancestors(t.key)))
