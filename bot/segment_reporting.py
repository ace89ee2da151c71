"""`/pulse report TEAM by SEGMENT` (and HR's `/pulse report org by layer`): authorise,
take the cut from the one figures pipeline (kept by figures.segment_ready, else computed by
figures.segment_figures), render it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import Session

from bot.access import can_view_team, is_hr_admin
from bot.blocks.reply import message
from bot.blocks.segments import segment_report
from figures.segment_ready import cut_for
from insights.scores import ORG
from settings.config import AppConfig
from settings.i18n import N_, tr
from storage.org import workspace_by_slack_id

NOT_SET_UP = N_("This Slack workspace isn't set up for Oxygen Pulse.")


def segment_reply(
    session: Session,
    *,
    config: AppConfig,
    slack_team_id: str,
    user_id: str,
    team_key: str,
    segment: str,
    now: dt.datetime,
    driver_labels: dict[str, str] | None = None,
    secret: bytes | None = None,
) -> list[dict[str, Any]]:
    """The team's (or, for HR, the org's) latest shown week cut by ``segment``, in the
    reader's language."""
    ws = workspace_by_slack_id(session, slack_team_id=slack_team_id)
    if ws is None or ws.id is None:
        return [message(tr(NOT_SET_UP))]
    if team_key == ORG:
        allowed, name = is_hr_admin(config, user_id), tr("All teams")
    else:
        team = config.team(team_key)
        allowed = team is not None and can_view_team(config, user_id, team_key)
        name = team.name if team is not None else team_key
    if not allowed or config.segment(segment) is None:
        return [message(tr("That report isn't one you can see: try `/pulse report`."))]
    figures = cut_for(
        session,
        config=config,
        workspace_id=ws.id,
        node=team_key,
        attribute=segment,
        now=now,
        secret=secret,
    )
    return [segment_report(node_name=name, cut=figures, driver_labels=driver_labels)]
