"""Managers close the loop: commit to act on a driver; the team sees and judges it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import Session

from bot.access import can_view_team
from bot.blocks import commitments as blocks
from insights.questions import QuestionBank
from settings.config import AppConfig
from storage import commitments
from storage.org import team_by_key, workspace_by_slack_id


def engagement_drivers(bank: QuestionBank) -> list[tuple[str, str]]:
    return [(key, d.label) for key, d in bank.drivers.items() if d.engagement]


def commitment_form(
    *, config: AppConfig, bank: QuestionBank, user_id: str, team_key: str
) -> dict[str, Any] | None:
    """The modal, or None when this person may not commit on this team's behalf."""
    team = config.team(team_key)
    if team is None or not can_view_team(config, user_id, team_key):
        return None
    return blocks.commitment_modal(
        team_key=team_key, team_name=team.name, drivers=engagement_drivers(bank)
    )


def save_commitment(
    session: Session,
    *,
    config: AppConfig,
    bank: QuestionBank,
    slack_team_id: str,
    user_id: str,
    team_key: str,
    driver: str | None,
    text: str,
    now: dt.datetime,
) -> tuple[dict[str, str] | None, dict[str, Any] | None]:
    """(errors for the modal, confirmation view); nothing is stored when there are errors."""
    team_cfg = config.team(team_key)
    ws = workspace_by_slack_id(session, slack_team_id=slack_team_id)
    team = team_by_key(session, workspace_id=ws.id, key=team_key) if ws and ws.id else None
    if team_cfg is None or team is None or not can_view_team(config, user_id, team_key):
        return {blocks.ids.COMMIT_TEXT_BLOCK: "You can't make commitments for this team."}, None
    if driver not in dict(engagement_drivers(bank)):
        return {blocks.ids.COMMIT_DRIVER_BLOCK: "Please pick a focus."}, None
    error = blocks.text_error(text)
    if error is not None:
        return {blocks.ids.COMMIT_TEXT_BLOCK: error}, None
    commitments.create(
        session,
        workspace_id=team.workspace_id,
        team_id=team.id or 0,
        driver=driver,
        text=text.strip(),
        created_by=user_id,
        now=now,
    )
    return None, blocks.saved_view(team_name=team_cfg.name, text=text.strip())
