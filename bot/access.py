"""Who may see which team's figures: its managers, managers of a parent team, HR admins."""

from __future__ import annotations

from settings.config import AppConfig


def is_hr_admin(config: AppConfig, user_id: str) -> bool:
    return user_id in config.hr.admins


def can_view_team(config: AppConfig, user_id: str, team_key: str) -> bool:
    if is_hr_admin(config, user_id):
        return True
    for key in [team_key, *config.ancestors(team_key)]:
        team = config.team(key)
        if team is not None and user_id in team.managers:
            return True
    return False


def viewable_teams(config: AppConfig, user_id: str) -> list[str]:
    """Team keys this person may see, in config order (their own teams first for managers):
    can_view_team for every team, in one walk up the tree each (asked at every report)."""
    own = [t.key for t in config.teams if user_id in t.managers]
    if is_hr_admin(config, user_id):
        return own + [t.key for t in config.teams if t.key not in own]
    managed = set(own)
    parents = {t.key: t.parent for t in config.teams}

    def below_own(key: str) -> bool:
        seen: set[str] = set()
        parent = parents.get(key)
        while parent is not None and parent not in seen:
            if parent in managed:
                return True
            seen.add(parent)
            parent = parents.get(parent)
        return False

    return own + [t.key for t in config.teams if t.key not in managed and below_own(t.key)]
