"""The feedback inbox on a manager's (or HR's) Home: the comments of the teams they may see,
from pulses sealed with k or more respondents, with each thread's state for this reader.

Listed unread first, then newest pulse first; within a pulse alphabetically by text, so the
order says nothing about who wrote what or when (and is the same on every look).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session, col, select

from bot.access import viewable_teams
from bot.blocks.conversations import pulse_label
from insights.privacy import MIN_K
from insights.tone import tone
from settings.config import AppConfig
from settings.i18n import tr
from storage.conversations import InboxRow, inbox_rows
from storage.models import Pulse, Team

INBOX_WEEKS = 12
GENERAL = "general"  # the topic of a pulse's free comment (no driver)
NEW, UNREAD, REPLIED, READ = "new", "new reply", "replied", "read"
_RANK = {UNREAD: 0, NEW: 1, REPLIED: 2, READ: 3}


@dataclass(frozen=True)
class Filter:
    driver: str | None = None  # a driver key, GENERAL, or None for every topic
    tone: str | None = None

    @classmethod
    def parse(cls, raw: str) -> Filter:
        driver, _, tone = raw.partition("|")
        return cls(driver or None, tone or None)

    def value(self) -> str:
        return f"{self.driver or ''}|{self.tone or ''}"


@dataclass(frozen=True)
class InboxItem:
    comment_id: str
    team_name: str
    pulse_label: str
    topic: str
    driver: str
    prompt: str | None
    body: str
    tone: str
    label: str | None
    status: str


@dataclass(frozen=True)
class Inbox:
    items: list[InboxItem]  # after the filter
    total: int  # before it
    unread: int  # before it: new comments and new replies


def _order(row: InboxRow) -> tuple[int, float, str, str, str]:
    return (_RANK[status(row)], -row.opened.timestamp(), row.team_name, row.prompt or "", row.body)


def status(row: InboxRow) -> str:
    seen = -1 if row.read_seq is None else row.read_seq
    if row.last_author_seq is not None and row.last_author_seq > seen:
        return UNREAD
    if row.replied:
        return REPLIED
    return NEW if row.read_seq is None else READ


def inbox(
    session: Session,
    *,
    config: AppConfig,
    workspace_id: int,
    user_id: str,
    now: dt.datetime,
    driver_labels: dict[str, str],
    wanted: Filter = Filter(),
) -> Inbox:
    keys = viewable_teams(config, user_id)
    k = max(config.privacy.min_group_size, MIN_K)
    if not keys:
        return Inbox([], 0, 0)
    pulse_ids = session.exec(
        select(Pulse.id)
        .join(Team, col(Team.id) == Pulse.team_id)
        .where(
            Pulse.workspace_id == workspace_id,
            col(Team.key).in_(keys),
            col(Pulse.sealed_at).is_not(None),
            col(Pulse.purged_at).is_(None),
            col(Pulse.respondents) >= k,
            col(Pulse.opened_at) >= now - dt.timedelta(weeks=INBOX_WEEKS),
        )
    ).all()
    rows = inbox_rows(session, pulse_ids=[p for p in pulse_ids if p], user_id=user_id)
    items = [
        InboxItem(
            comment_id=r.comment_id,
            team_name=r.team_name,
            pulse_label=pulse_label(r.opened),
            topic=driver_labels.get(r.driver, r.driver) if r.driver else tr("General comment"),
            driver=r.driver or GENERAL,
            prompt=r.prompt,
            body=r.body,
            tone=tone(r.body),
            label=r.label,
            status=status(r),
        )
        for r in sorted(rows, key=_order)
    ]
    unread = sum(1 for i in items if i.status in (NEW, UNREAD))
    shown = [
        i
        for i in items
        if (wanted.driver is None or i.driver == wanted.driver)
        and (wanted.tone is None or i.tone == wanted.tone)
    ]
    return Inbox(shown, len(items), unread)
