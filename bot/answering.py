"""Employees answering a pulse: check the click, hold the answer sealed, re-render the DM.

Every entry point re-checks that this person was sent this pulse and that the question
belongs to it, so a crafted payload cannot answer for anyone else or any other pulse.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

from sqlmodel import Session

from bot import ids
from bot.blocks.modal import text_answer_modal, text_error
from bot.blocks.pulse import QuestionItem, options
from bot.dm import dm_message
from settings.i18n import current_language, tr
from storage.cocreate import question_options
from storage.comments import write, written_by
from storage.commitments import announced_in
from storage.held import hold_answer
from storage.models import Employee, Question
from storage.org import employee_by_slack_id, workspace_by_slack_id
from storage.pseudonym import Respondent
from storage.pulses import PulseView, dm_of, is_open, open_for_writing, pulse_view, was_invited
from storage.questions import localized
from storage.responses import answers_of

Status = Literal["recorded", "closed", "refused", "invalid"]


@dataclass(frozen=True)
class Outcome:
    status: Status
    message: dict[str, Any] | None = None  # the re-rendered DM, or a modal to open
    error: str | None = None  # shown inside a modal
    channel_id: str | None = None
    message_ts: str | None = None


@dataclass(frozen=True)
class _Target:
    view: PulseView
    employee: Employee
    question: Question | None  # None: the pulse's free comment
    respondent: Respondent

    @property
    def stored_question_id(self) -> int | None:
        return None if self.question is None else self.question.id

    @property
    def accepts_text(self) -> bool:
        return self.question is None or self.question.kind == "text"


def _resolve(
    session: Session,
    *,
    secret: bytes,
    slack_team_id: str,
    user_id: str,
    pulse_id: int,
    question_id: int,
) -> _Target | None:
    ws = workspace_by_slack_id(session, slack_team_id=slack_team_id)
    if ws is None or ws.id is None:
        return None
    view = pulse_view(session, pulse_id=pulse_id)
    employee = employee_by_slack_id(session, workspace_id=ws.id, slack_user_id=user_id)
    if view is None or employee is None or employee.id is None or view.pulse.workspace_id != ws.id:
        return None
    question = next((q for q in view.questions if q.id == question_id), None)
    if question is None and question_id != ids.COMMENT_QUESTION:
        return None
    if not was_invited(session, pulse_id=pulse_id, employee_id=employee.id):
        return None
    who = Respondent(secret, workspace=slack_team_id, user_id=user_id, pulse_id=pulse_id)
    return _Target(view=view, employee=employee, question=question, respondent=who)


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
    """Store one button answer; a repeat (double click, Slack retry) changes nothing."""
    parsed = ids.parse_answer_value(raw_value)
    if parsed is None:
        return Outcome("refused")
    pulse_id, question_id, value = parsed
    target = _resolve(
        session,
        secret=secret,
        slack_team_id=slack_team_id,
        user_id=user_id,
        pulse_id=pulse_id,
        question_id=question_id,
    )
    if target is None or target.question is None:
        return Outcome("refused")
    item = QuestionItem(
        question_id=question_id,
        text="",
        kind=target.question.kind,
        scale=question_options(target.question),
    )
    if value not in dict(options(item)):
        return Outcome("refused")
    if not open_for_writing(session, pulse_id=pulse_id, now=now):
        return Outcome("closed")
    hold_answer(session, respondent=target.respondent, question_id=question_id, value=value)
    return Outcome("recorded", _dm(session, target, now, k))


def open_text_answer(
    session: Session,
    *,
    secret: bytes,
    slack_team_id: str,
    user_id: str,
    raw_value: str,
    channel_id: str,
    message_ts: str,
    now: dt.datetime,
) -> Outcome:
    """The modal for a written answer, pre-filled with the person's current answer."""
    parts = raw_value.split(":")
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        return Outcome("refused")
    pulse_id, question_id = int(parts[0]), int(parts[1])
    target = _resolve(
        session,
        secret=secret,
        slack_team_id=slack_team_id,
        user_id=user_id,
        pulse_id=pulse_id,
        question_id=question_id,
    )
    if target is None or not target.accepts_text:
        return Outcome("refused")
    if not is_open(target.view.pulse, now):
        return Outcome("closed")
    current = written_by(session, respondent=target.respondent).get(target.stored_question_id)
    modal = text_answer_modal(
        question_text=localized(target.question, current_language())[0]
        if target.question
        else None,
        initial=current,
        private_metadata=f"{pulse_id}:{question_id}:{channel_id}:{message_ts}",
    )
    return Outcome("recorded", modal)


def save_text_answer(
    session: Session,
    *,
    secret: bytes,
    slack_team_id: str,
    user_id: str,
    private_metadata: str,
    text: str,
    now: dt.datetime,
    k: int,
) -> Outcome:
    """Validate and store a written answer; errors are for the modal, not a silent failure."""
    parts = private_metadata.split(":")
    if len(parts) != 4 or not parts[0].isdigit() or not parts[1].isdigit():
        return Outcome("refused")
    # parts 2 and 3 name the DM the modal was opened from; the DM updated is the one stored
    # for this person and pulse, so a forged channel or ts cannot make the bot rewrite
    # another message (another person's DM, the digest) with this person's pulse
    pulse_id, question_id = int(parts[0]), int(parts[1])
    target = _resolve(
        session,
        secret=secret,
        slack_team_id=slack_team_id,
        user_id=user_id,
        pulse_id=pulse_id,
        question_id=question_id,
    )
    if target is None or not target.accepts_text:
        return Outcome("refused")
    if not open_for_writing(session, pulse_id=pulse_id, now=now):
        return Outcome("invalid", error=tr("This pulse has closed, so answers can't be changed."))
    error = text_error(text)
    if error is not None:
        return Outcome("invalid", error=error)
    write(
        session,
        respondent=target.respondent,
        question_id=target.stored_question_id,
        body=text.strip(),
    )
    where = dm_of(session, pulse_id=pulse_id, employee_id=target.employee.id or 0)
    if where is None:
        return Outcome("recorded")
    return Outcome(
        "recorded", _dm(session, target, now, k), channel_id=where[0], message_ts=where[1]
    )


def _dm(session: Session, target: _Target, now: dt.datetime, k: int) -> dict[str, Any]:
    """This person's DM re-read from the database: their answers, what they wrote."""
    texts = written_by(session, respondent=target.respondent)
    return dm_message(
        view=target.view,
        tz=target.employee.tz,
        now=now,
        k=k,
        answers=answers_of(session, respondent=target.respondent),
        written=[q for q in texts if q is not None],
        commented=None in texts,
        commitments=[c.text for c in announced_in(session, pulse_id=target.view.pulse.id or 0)],
    )
