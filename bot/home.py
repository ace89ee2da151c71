"""Assemble one person's App Home from the database (their own data only)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import Session

from bot.access import viewable_teams
from bot.blocks.home import PastPulse, home_view
from bot.blocks.pulse import QuestionItem, options
from bot.config import AppConfig
from bot.dm import local_label
from storage.comments import delete_written, written_by
from storage.org import employee_by_slack_id, has_team, workspace_by_slack_id
from storage.pseudonym import respondent_key
from storage.pulses import is_open, pulse_view, recent_pulses_of
from storage.responses import answers_of


def build_home(
    session: Session,
    *,
    config: AppConfig,
    secret: bytes,
    slack_team_id: str,
    user_id: str,
    now: dt.datetime,
) -> dict[str, Any]:
    k = config.privacy.min_group_size
    managed = [config.team(t).name for t in viewable_teams(config, user_id) if config.team(t)]  # type: ignore[union-attr]
    ws = workspace_by_slack_id(session, slack_team_id=slack_team_id)
    me = (
        employee_by_slack_id(session, workspace_id=ws.id, slack_user_id=user_id)
        if ws and ws.id
        else None
    )
    if me is None or me.id is None:
        return home_view(
            pulses=[], paused_until=None, opted_out=False, enrolled=False, k=k, manager_of=managed
        )
    past = []
    for pulse in recent_pulses_of(session, employee_id=me.id):
        view = pulse_view(session, pulse_id=pulse.id or 0)
        if view is None:
            continue
        key = respondent_key(
            secret, workspace=slack_team_id, user_id=user_id, pulse_id=pulse.id or 0
        )
        answers = answers_of(session, pulse_id=pulse.id or 0, respondent=key)
        texts = written_by(session, pulse_id=pulse.id or 0, respondent=key)
        lines = []
        for q in view.questions:
            item = QuestionItem(
                question_id=q.id or 0,
                text=q.text,
                kind=q.kind,
                scale=tuple(q.scale.split("|")) if q.scale else (),
            )
            if q.id in answers:
                lines.append((q.text, dict(options(item)).get(answers[q.id], str(answers[q.id]))))
            elif q.id in texts:
                lines.append((q.text, texts[q.id]))
        status = (
            f"open until {local_label(pulse.closes_at, me.tz)}" if is_open(pulse, now) else "closed"
        )
        past.append(
            PastPulse(
                pulse_id=pulse.id or 0,
                comment=texts.get(None),
                team_name=view.team_name,
                when=f"{pulse.opened_at:%a %d %b}",
                status=status,
                lines=lines,
            )
        )
    paused = me.paused_until if me.paused_until and me.paused_until >= now.date() else None
    return home_view(
        pulses=past,
        paused_until=f"{paused:%a %d %b}" if paused else None,
        opted_out=me.opted_out,
        enrolled=has_team(session, employee_id=me.id),
        k=k,
        manager_of=managed,
    )


def delete_comment(
    session: Session, *, secret: bytes, slack_team_id: str, user_id: str, raw_pulse_id: str
) -> int:
    """The author removes their own comment on one pulse; returns rows removed."""
    if not raw_pulse_id.isdigit():
        return 0
    key = respondent_key(
        secret, workspace=slack_team_id, user_id=user_id, pulse_id=int(raw_pulse_id)
    )
    return delete_written(session, pulse_id=int(raw_pulse_id), question_id=None, respondent=key)
