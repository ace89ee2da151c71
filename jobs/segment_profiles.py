"""Segment values from Slack profile custom fields, at team sync (`[[segments]] slack_field`).

users.list leaves custom fields out, so each synced member's profile is read with
users.profile.get (one call per person: Slack's Tier 4 limit makes this minutes for a large
org, which is why it only runs for attributes that name a field). A value the config does not
allow is not stored and is named in the result (and the log); an empty field clears the value,
as an empty cell of `pulse people import` does.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from settings.config import AppConfig
from storage.people import set_values

log = logging.getLogger(__name__)


@dataclass
class ProfileValues:
    changed: int = 0
    refused: list[str] = field(default_factory=list)  # "U0X: layer: 'x' is not a value ..."


def run(
    session: Session,
    client: WebClient,
    config: AppConfig,
    *,
    workspace_id: int,
    user_ids: Iterable[str],
    today: dt.date,
) -> ProfileValues:
    """Read the configured profile fields of ``user_ids`` and store what the config allows."""
    fields = [s for s in config.segments if s.slack_field]
    result = ProfileValues()
    if not fields:
        return result
    values: dict[str, dict[str, str | None]] = {}
    for user in sorted(set(user_ids)):
        try:
            profile = client.users_profile_get(user=user)["profile"] or {}
        except SlackApiError as exc:
            result.refused.append(f"{user}: profile not read ({exc.response.get('error')})")
            continue
        found = profile.get("fields") or {}
        mine: dict[str, str | None] = {}
        for seg in fields:
            raw = str((found.get(seg.slack_field) or {}).get("value") or "")
            value, problem = seg.parse(raw, today)
            if problem:
                result.refused.append(f"{user}: {seg.key}: {problem}")
                continue
            mine[seg.key] = value
        values[user] = mine
    result.changed = set_values(session, workspace_id=workspace_id, values=values)
    for line in result.refused:
        log.warning("segment value not stored: %s", line)
    return result
