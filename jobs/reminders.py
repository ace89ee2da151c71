"""One gentle reminder before a pulse closes, only to people who have not answered.

Each delivery is marked as checked before its reminder is posted, so a crash or a second
worker can never remind anyone twice (at most once). Whether someone answered is checked
with their pseudonymous keys, computed here and never stored: held rows of the open pulse,
or rows stored before answers were held (an upgrade while the pulse was open).
"""

from __future__ import annotations

import datetime as dt
import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine, exists, func
from sqlmodel import Session, col, select, update

from jobs.calendar import schedule_for
from jobs.messages import Messages
from settings.config import AppConfig
from storage.db import session_scope
from storage.held import took_part
from storage.models import Comment, Delivery, Employee, Pulse, Response, Team, Workspace
from storage.pseudonym import Respondent

log = logging.getLogger("pulse.reminders")


def run(
    engine: Engine,
    client: WebClient,
    *,
    config: AppConfig,
    secret: bytes,
    now: dt.datetime,
    messages: Messages,
) -> int:
    """Send due reminders; returns how many were posted."""
    posted = 0
    with session_scope(engine) as s:
        due = _due_pulses(s, config=config, now=now)
    for pulse_id, team_name, closes_at in due:
        with session_scope(engine) as s:
            targets = _claim(s, pulse_id=pulse_id, now=now)
        for user_id, workspace, tz, channel, locale in targets:
            who = Respondent(secret, workspace=workspace, user_id=user_id, pulse_id=pulse_id)
            with session_scope(engine) as s:
                if _answered(s, respondent=who):
                    continue
            message = messages.reminder(
                team_name=team_name, closes_at=closes_at, tz=tz, locale=locale
            )
            try:
                client.chat_postMessage(channel=channel or user_id, **message)
                posted += 1
            except SlackApiError as exc:
                log.warning("reminder not sent: %s", exc.response.get("error"))
    return posted


def _due_pulses(
    session: Session, *, config: AppConfig, now: dt.datetime
) -> list[tuple[int, str, dt.datetime]]:
    rows = session.exec(
        select(Pulse, Team.key, Team.name)
        .join(Team, col(Team.id) == Pulse.team_id)
        .where(col(Pulse.closed_at).is_(None), col(Pulse.closes_at) > now)
    ).all()
    due = []
    for pulse, key, name in rows:
        hours = schedule_for(config, key).reminder_hours
        if hours and pulse.closes_at - dt.timedelta(hours=hours) <= now and pulse.id:
            due.append((pulse.id, name, pulse.closes_at))
    return due


def _claim(
    session: Session, *, pulse_id: int, now: dt.datetime
) -> list[tuple[str, str, str, str | None, str]]:
    """Mark the pulse's delivered, unchecked DMs as checked; return who they went to."""
    rows = session.exec(
        select(  # type: ignore[call-overload]  # sqlmodel types select() up to 4 columns
            col(Delivery.id),
            col(Employee.slack_user_id),
            col(Workspace.slack_team_id),
            col(Employee.tz),
            col(Delivery.channel_id),
            func.coalesce(col(Employee.locale_override), col(Employee.locale)),
        )
        .join(Employee, col(Employee.id) == Delivery.employee_id)
        .join(Workspace, col(Workspace.id) == Employee.workspace_id)
        .where(
            Delivery.pulse_id == pulse_id,
            Delivery.status == "sent",
            col(Delivery.reminder_checked_at).is_(None),
        )
        .with_for_update(skip_locked=True, of=Delivery)
    ).all()
    ids = [r[0] for r in rows]
    if ids:
        session.exec(
            update(Delivery).where(col(Delivery.id).in_(ids)).values(reminder_checked_at=now)
        )
    return [(uid, ws, tz, channel, locale) for _, uid, ws, tz, channel, locale in rows]


def _answered(session: Session, *, respondent: Respondent) -> bool:
    if took_part(session, respondent=respondent):
        return True
    pulse_id, keys = respondent.pulse_id, [respondent.answers, respondent.comments]
    answered = select(Response.id).where(
        Response.pulse_id == pulse_id, Response.respondent == respondent.answers
    )
    wrote = select(Comment.id).where(
        Comment.pulse_id == pulse_id, col(Comment.respondent).in_(keys)
    )
    return bool(session.exec(select(exists(answered) | exists(wrote))).one())
