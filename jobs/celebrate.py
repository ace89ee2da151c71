"""Celebrate: a kept commitment gets a short note in its team's channel, once.

Opt-in per team (`celebrate = true` on a `[[teams]]` with a `channel`). Kept is the one rule
of figures.commitments (the follow-up pulse closed with k or more answers averaging 3.5+), so
a team is never told it did something from fewer than k people, and the note carries no
figure. A commitment is claimed (`celebrated_at`) in the same transaction as its post: a
failed post rolls the claim back for the next tick; a second worker waits on the row and then
finds it claimed, so each is posted once.
"""

from __future__ import annotations

import datetime as dt
import logging

from slack_sdk import WebClient
from sqlmodel import Session, col, update

from figures.commitments import PER_TEAM, followup_outcome
from jobs.messages import Messages
from settings.config import AppConfig
from storage.commitments import for_team
from storage.models import Commitment
from storage.org import team_by_key

log = logging.getLogger("pulse.celebrate")


def run(
    session: Session,
    client: WebClient,
    *,
    config: AppConfig,
    workspace_id: int,
    now: dt.datetime,
    messages: Messages,
) -> int:
    """Post every opted-in team's newly kept commitments; returns how many were posted."""
    k = config.privacy.min_group_size
    posted = 0
    for team_cfg in config.teams:
        if not team_cfg.celebrate or team_cfg.channel is None:
            continue
        team = team_by_key(session, workspace_id=workspace_id, key=team_cfg.key)
        if team is None or team.id is None:
            continue
        for status in for_team(session, team_id=team.id, now=now, limit=PER_TEAM):
            row = status.commitment
            if row.celebrated_at is not None or followup_outcome(status, k)[0] != "kept":
                continue
            claimed = session.exec(
                update(Commitment)
                .where(col(Commitment.id) == row.id, col(Commitment.celebrated_at).is_(None))
                .values(celebrated_at=now)
            ).rowcount
            if not claimed:
                continue
            note = messages.celebration(
                team_name=team_cfg.name, text=row.text, locale=config.hr.locale
            )
            client.chat_postMessage(channel=team_cfg.channel, **note)
            posted += 1
    return posted
