"""An employee's click on an answer button: check, store under a pseudonym, re-render."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

from sqlmodel import Session

from bot import ids
from bot.blocks.pulse import QuestionItem, options
from bot.dm import render_dm
from storage.org import employee_by_slack_id, workspace_by_slack_id
from storage.pseudonym import respondent_key
from storage.pulses import is_open, pulse_view, was_invited
from storage.responses import record_answer

Status = Literal["recorded", "closed", "refused"]


@dataclass(frozen=True)
class Outcome:
    status: Status
    message: dict[str, Any] | None = None  # the re-rendered DM, when it should be updated


def answer_click(
    session: Session,
    *,
    secret: bytes,
    slack_team_id: str,
    user_id: str,
    raw_value: str,
    now: dt.datetime,
    k: int,
) -> Outcome:
    """Store one answer from a button value; refuse anything the bot did not offer this person."""
    parsed = ids.parse_answer_value(raw_value)
    ws = workspace_by_slack_id(session, slack_team_id=slack_team_id)
    if parsed is None or ws is None or ws.id is None:
        return Outcome("refused")
    pulse_id, question_id, value = parsed
    view = pulse_view(session, pulse_id=pulse_id)
    employee = employee_by_slack_id(session, workspace_id=ws.id, slack_user_id=user_id)
    if view is None or employee is None or employee.id is None or view.pulse.workspace_id != ws.id:
        return Outcome("refused")
    question = next((q for q in view.questions if q.id == question_id), None)
    if question is None or not was_invited(session, pulse_id=pulse_id, employee_id=employee.id):
        return Outcome("refused")
    item = QuestionItem(question_id=question_id, text=question.text, kind=question.kind)
    if value not in dict(options(item)):
        return Outcome("refused")
    if not is_open(view.pulse, now):
        return Outcome("closed")
    respondent = respondent_key(secret, workspace=slack_team_id, user_id=user_id, pulse_id=pulse_id)
    record_answer(
        session, pulse_id=pulse_id, question_id=question_id, respondent=respondent, value=value
    )
    message = render_dm(session, view=view, respondent=respondent, tz=employee.tz, now=now, k=k)
    return Outcome("recorded", message)
