"""Opening pulses: one pulse row, its questions, and one outbox delivery per person."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session, col, or_, select

from storage.models import Delivery, Employee, Membership, Pulse, PulseQuestion, Question, Team


@dataclass(frozen=True)
class PulseView:
    """What a DM or report needs to know about a pulse."""

    pulse: Pulse
    team_name: str
    questions: list[Question]


def open_pulse(
    session: Session,
    *,
    workspace_id: int,
    team_id: int,
    question_ids: list[int],
    opened_at: dt.datetime,
    closes_at: dt.datetime,
) -> tuple[Pulse, int]:
    """Create the pulse and one pending delivery per eligible member; returns (pulse, invited)."""
    pulse = Pulse(
        workspace_id=workspace_id, team_id=team_id, opened_at=opened_at, closes_at=closes_at
    )
    session.add(pulse)
    session.flush()
    assert pulse.id is not None
    session.add_all(
        PulseQuestion(pulse_id=pulse.id, question_id=qid, position=i)
        for i, qid in enumerate(question_ids)
    )
    today = opened_at.date()
    members = session.exec(
        select(Employee.id)
        .join(Membership, col(Membership.employee_id) == Employee.id)
        .where(
            Membership.team_id == team_id,
            col(Employee.is_active),
            ~col(Employee.opted_out),
            or_(col(Employee.paused_until).is_(None), col(Employee.paused_until) < today),
        )
    ).all()
    session.add_all(
        Delivery(pulse_id=pulse.id, employee_id=eid, next_attempt_at=opened_at)
        for eid in members
        if eid is not None
    )
    session.flush()
    return pulse, len(members)


def pulse_view(session: Session, *, pulse_id: int) -> PulseView | None:
    pulse = session.get(Pulse, pulse_id)
    if pulse is None:
        return None
    team = session.get(Team, pulse.team_id)
    questions = session.exec(
        select(Question)
        .join(PulseQuestion, col(PulseQuestion.question_id) == Question.id)
        .where(PulseQuestion.pulse_id == pulse_id)
        .order_by(col(PulseQuestion.position))
    ).all()
    return PulseView(pulse=pulse, team_name=team.name if team else "", questions=list(questions))


def latest_pulse(session: Session, *, team_id: int) -> Pulse | None:
    return session.exec(
        select(Pulse).where(Pulse.team_id == team_id).order_by(col(Pulse.id).desc())
    ).first()


def is_open(pulse: Pulse, now: dt.datetime) -> bool:
    return pulse.closed_at is None and now < pulse.closes_at


def was_invited(session: Session, *, pulse_id: int, employee_id: int) -> bool:
    return (
        session.exec(
            select(Delivery.id).where(
                Delivery.pulse_id == pulse_id, Delivery.employee_id == employee_id
            )
        ).first()
        is not None
    )
