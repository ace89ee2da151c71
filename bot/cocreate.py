"""Co-created commitments: a manager proposes two or three actions, the team chooses."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import Session

from bot.access import can_view_team
from bot.blocks import cocreate as blocks
from bot.commitments import engagement_drivers
from insights.questions import QuestionBank
from settings.config import AppConfig
from settings.i18n import tr
from storage import cocreate
from storage.org import team_by_key, workspace_by_slack_id


def proposal_form(
    *, config: AppConfig, bank: QuestionBank, user_id: str, team_key: str
) -> dict[str, Any] | None:
    """The modal, or None when this person may not propose on this team's behalf."""
    team = config.team(team_key)
    if team is None or not can_view_team(config, user_id, team_key):
        return None
    return blocks.proposal_modal(
        team_key=team_key, team_name=team.name, drivers=engagement_drivers(bank)
    )


def save_proposal(
    session: Session,
    *,
    config: AppConfig,
    bank: QuestionBank,
    slack_team_id: str,
    user_id: str,
    team_key: str,
    driver: str | None,
    options: list[str],
    now: dt.datetime,
) -> tuple[dict[str, str] | None, dict[str, Any] | None]:
    """(errors for the modal, confirmation view); nothing is stored when there are errors."""
    team_cfg = config.team(team_key)
    ws = workspace_by_slack_id(session, slack_team_id=slack_team_id)
    team = team_by_key(session, workspace_id=ws.id, key=team_key) if ws and ws.id else None
    first = blocks.option_block(1)
    if team_cfg is None or team is None or not can_view_team(config, user_id, team_key):
        return {first: tr("You can't propose commitments for this team.")}, None
    if driver not in dict(engagement_drivers(bank)):
        return {blocks.ids.COMMIT_DRIVER_BLOCK: tr("Please pick a focus.")}, None
    errors = blocks.options_errors(options)
    if errors:
        return errors, None
    if cocreate.open_choice(session, team_id=team.id or 0) is not None:
        return {
            first: tr("The team already has a choice to make: propose again once it is decided.")
        }, None
    chosen = [t.strip() for t in options if t.strip()]
    cocreate.create(
        session,
        workspace_id=team.workspace_id,
        team_id=team.id or 0,
        driver=driver,
        options=chosen,
        created_by=user_id,
        now=now,
    )
    return None, blocks.saved_view(team_name=team_cfg.name, options=chosen)
