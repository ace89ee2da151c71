"""Render one person's pulse DM from the database: shared by the sender and the listeners."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session

from bot.blocks.pulse import QuestionItem, pulse_message
from storage.comments import written_by
from storage.commitments import announced_in
from storage.pseudonym import Respondent
from storage.pulses import PulseView, is_open
from storage.responses import answers_of


def local_label(when: dt.datetime, tz: str) -> str:
    """'Thu 26 Nov, 10:00 CET' in the reader's own time zone."""
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    local = when.astimezone(zone)
    return local.strftime("%a %d %b, %H:%M ") + (local.tzname() or "")


def render_dm(
    session: Session,
    *,
    view: PulseView,
    respondent: Respondent | None,
    tz: str,
    now: dt.datetime,
    k: int,
) -> dict[str, Any]:
    """The DM as this respondent should see it now (no respondent: a fresh, unanswered DM)."""
    pulse_id = view.pulse.id or 0
    answers: dict[int, int] = {}
    texts: dict[int | None, str] = {}
    if respondent is not None:
        answers = answers_of(session, respondent=respondent)
        texts = written_by(session, respondent=respondent)
    return pulse_message(
        pulse_id=pulse_id,
        team_name=view.team_name,
        questions=[
            QuestionItem(
                question_id=q.id or 0,
                text=q.text,
                kind=q.kind,
                scale=tuple(q.scale.split("|")) if q.scale else (),
            )
            for q in view.questions
        ],
        answers=answers,
        written=frozenset(q for q in texts if q is not None),
        commented=None in texts,
        commitments=tuple(c.text for c in announced_in(session, pulse_id=pulse_id)),
        closes_label=local_label(view.pulse.closes_at, tz),
        closed=not is_open(view.pulse, now),
        min_group_size=k,
    )
