"""Workspace, teams, employees and memberships: the org chart as synced from Slack."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete
from sqlmodel import Session, col, select

from storage.models import Employee, Membership, Team, Workspace


@dataclass(frozen=True)
class Member:
    """A person as Slack describes them, ready to store."""

    slack_user_id: str
    name: str
    tz: str
    locale: str = ""  # Slack's, such as "fr-FR"; "" when Slack did not say


def ensure_workspace(session: Session, *, slack_team_id: str, name: str = "") -> Workspace:
    ws = session.exec(select(Workspace).where(Workspace.slack_team_id == slack_team_id)).first()
    if ws is None:
        ws = Workspace(slack_team_id=slack_team_id, name=name)
        session.add(ws)
        session.flush()
    elif name and ws.name != name:
        ws.name = name
    return ws


def upsert_team(
    session: Session,
    *,
    workspace_id: int,
    key: str,
    name: str,
    usergroup: str | None,
    channel: str | None,
    parent_id: int | None,
) -> Team:
    team = team_by_key(session, workspace_id=workspace_id, key=key)
    if team is None:
        team = Team(workspace_id=workspace_id, key=key, name=name)
    team.name, team.usergroup, team.channel, team.parent_id = name, usergroup, channel, parent_id
    session.add(team)
    session.flush()
    return team


def team_by_key(session: Session, *, workspace_id: int, key: str) -> Team | None:
    return session.exec(
        select(Team).where(Team.workspace_id == workspace_id, Team.key == key)
    ).first()


def upsert_employees(
    session: Session, *, workspace_id: int, members: Iterable[Member]
) -> dict[str, int]:
    """Insert or refresh people; returns Slack user id -> employee id."""
    members = list(members)
    ids = [m.slack_user_id for m in members]
    existing = {
        e.slack_user_id: e
        for e in session.exec(
            select(Employee).where(
                Employee.workspace_id == workspace_id, col(Employee.slack_user_id).in_(ids)
            )
        )
    }
    for m in members:
        emp = existing.get(m.slack_user_id)
        if emp is None:
            emp = Employee(workspace_id=workspace_id, slack_user_id=m.slack_user_id)
            existing[m.slack_user_id] = emp
        emp.name, emp.tz, emp.is_active = m.name, m.tz, True
        if m.locale:
            emp.locale = m.locale
        session.add(emp)
    session.flush()
    return {uid: emp.id for uid, emp in existing.items() if emp.id is not None}


def set_team_members(session: Session, *, team_id: int, employee_ids: Iterable[int]) -> None:
    """Replace the team's membership with exactly these people."""
    session.exec(delete(Membership).where(col(Membership.team_id) == team_id))
    session.add_all(Membership(team_id=team_id, employee_id=e) for e in set(employee_ids))
    session.flush()


def employee_by_slack_id(
    session: Session, *, workspace_id: int, slack_user_id: str
) -> Employee | None:
    return session.exec(
        select(Employee).where(
            Employee.workspace_id == workspace_id, Employee.slack_user_id == slack_user_id
        )
    ).first()


def team_member_count(session: Session, *, team_id: int) -> int:
    return len(session.exec(select(Membership).where(Membership.team_id == team_id)).all())


def workspace_by_slack_id(session: Session, *, slack_team_id: str) -> Workspace | None:
    return session.exec(select(Workspace).where(Workspace.slack_team_id == slack_team_id)).first()


def has_team(session: Session, *, employee_id: int) -> bool:
    """Whether the person belongs to any synced team (and so receives pulses)."""
    return (
        session.exec(select(Membership).where(Membership.employee_id == employee_id)).first()
        is not None
    )


def locale_of(session: Session, *, slack_team_id: str, slack_user_id: str) -> str | None:
    """The person's language as they read the bot: the one they chose on the Home tab, else
    their Slack locale (from the last sync); None when the bot does not know them."""
    row = session.exec(
        select(Employee.locale_override, Employee.locale)
        .join(Workspace, col(Workspace.id) == Employee.workspace_id)
        .where(Workspace.slack_team_id == slack_team_id, Employee.slack_user_id == slack_user_id)
    ).first()
    if row is None:
        return None
    return row[0] or row[1] or None


def locales_of(
    session: Session, *, workspace_id: int, slack_user_ids: Iterable[str]
) -> dict[str, str]:
    """Each known person's language as they read the bot (as ``locale_of``), by Slack id;
    people the bot does not know, or whose locale it does not know, are left out."""
    ids = sorted(set(slack_user_ids))
    if not ids:
        return {}
    rows = session.exec(
        select(Employee.slack_user_id, Employee.locale_override, Employee.locale).where(
            Employee.workspace_id == workspace_id, col(Employee.slack_user_id).in_(ids)
        )
    ).all()
    return {user: override or slack for user, override, slack in rows if override or slack}
