"""Opening pulses: one pulse row, its questions, and one outbox delivery per person."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, literal
from sqlmodel import Session, col, or_, select

from storage.models import Delivery, Employee, Membership, Pulse, PulseQuestion, Question, Team
from storage.rollup import respondents


@dataclass(frozen=True)
class PulseView:
    """What a DM or report needs to know about a pulse."""

    pulse: Pulse
    team_name: str
    questions: list[Question]


def eligible_members(session: Session, *, team_id: int, on: dt.date) -> list[tuple[int, str]]:
    """(employee id, time zone) of active members not opted out nor paused on `on`."""
    rows = session.exec(
        select(Employee.id, Employee.tz)
        .join(Membership, col(Membership.employee_id) == Employee.id)
        .where(
            Membership.team_id == team_id,
            col(Employee.is_active),
            ~col(Employee.opted_out),
            or_(col(Employee.paused_until).is_(None), col(Employee.paused_until) < on),
        )
        .order_by(col(Employee.id))
    ).all()
    return [(eid, tz) for eid, tz in rows if eid is not None]


def open_pulse(
    session: Session,
    *,
    workspace_id: int,
    team_id: int,
    question_ids: list[int],
    opened_at: dt.datetime,
    closes_at: dt.datetime,
    deliveries: list[tuple[int, dt.datetime]],
    cycle_date: dt.date | None = None,
) -> Pulse:
    """Create the pulse, its questions and one outbox row per (employee, due time)."""
    anchor = cycle_date or opened_at.date()
    pulse = Pulse(
        workspace_id=workspace_id,
        team_id=team_id,
        cycle_date=cycle_date,
        period_start=anchor - dt.timedelta(days=anchor.weekday()),
        opened_at=opened_at,
        closes_at=closes_at,
    )
    session.add(pulse)
    session.flush()
    assert pulse.id is not None
    session.add_all(
        PulseQuestion(pulse_id=pulse.id, question_id=qid, position=i)
        for i, qid in enumerate(question_ids)
    )
    session.add_all(
        Delivery(pulse_id=pulse.id, employee_id=eid, next_attempt_at=due) for eid, due in deliveries
    )
    session.flush()
    return pulse


def pulse_for_cycle(session: Session, *, team_id: int, cycle_date: dt.date) -> Pulse | None:
    return session.exec(
        select(Pulse).where(Pulse.team_id == team_id, Pulse.cycle_date == cycle_date)
    ).first()


def lock_team(session: Session, *, team_id: int) -> None:
    """Serialise opening and closing a team's pulses until the transaction ends (PostgreSQL
    row lock; SQLite write transactions are serial already)."""
    session.exec(select(Team.id).where(Team.id == team_id).with_for_update()).first()


def current_pulse(session: Session, *, team_id: int, now: dt.datetime) -> Pulse | None:
    """The team's pulse that is open now or opens later: not closed, closing after `now`."""
    return session.exec(
        select(Pulse)
        .where(Pulse.team_id == team_id, col(Pulse.closed_at).is_(None), col(Pulse.closes_at) > now)
        .order_by(col(Pulse.opened_at))
    ).first()


def pulse_in_cycle(
    session: Session, *, team_id: int, cycle_date: dt.date, starts: dt.datetime
) -> Pulse | None:
    """A pulse that uses up the cycle: the cycle's own, or any pulse (ad hoc or late) still
    open when the cycle `starts` or opened since, so that a team is asked once per cycle."""
    ended = func.coalesce(col(Pulse.closed_at), col(Pulse.closes_at))
    return session.exec(
        select(Pulse).where(
            Pulse.team_id == team_id, or_(col(Pulse.cycle_date) == cycle_date, ended > starts)
        )
    ).first()


def respondent_count(session: Session, *, pulse_id: int) -> int:
    """How many people answered a pulse, as sealed at its close (storage.seal); 0 before."""
    people = respondents(select(literal(pulse_id)))
    return int(session.exec(select(func.coalesce(func.sum(people.c.people), 0))).one())


def due_to_close(session: Session, *, now: dt.datetime) -> list[Pulse]:
    return list(
        session.exec(
            select(Pulse).where(col(Pulse.closed_at).is_(None), col(Pulse.closes_at) <= now)
        )
    )


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
        select(Pulse).where(Pulse.team_id == team_id).order_by(col(Pulse.id).desc()).limit(1)
    ).first()


def is_open(pulse: Pulse, now: dt.datetime) -> bool:
    return pulse.closed_at is None and now < pulse.closes_at


def open_for_writing(session: Session, *, pulse_id: int, now: dt.datetime) -> bool:
    """Whether the pulse is still open, read under a share lock held to the end of the
    transaction: the close (which updates the row) waits for an answer being written, and
    an answer checked after the close sees it closed. So no answer lands after its pulse
    was released and shown (SQLite's writers are serialised already; FOR SHARE is a no-op)."""
    row = session.exec(
        select(Pulse.closes_at, Pulse.closed_at)
        .where(Pulse.id == pulse_id)
        .with_for_update(read=True)
        .execution_options(populate_existing=True)
    ).first()
    return row is not None and row[1] is None and now < row[0]


def was_invited(session: Session, *, pulse_id: int, employee_id: int) -> bool:
    return (
        session.exec(
            select(Delivery.id).where(
                Delivery.pulse_id == pulse_id, Delivery.employee_id == employee_id
            )
        ).first()
        is not None
    )


def dm_of(session: Session, *, pulse_id: int, employee_id: int) -> tuple[str, str] | None:
    """Where the person's pulse DM is (channel, ts), as sent; None before it was sent."""
    row = session.exec(
        select(Delivery.channel_id, Delivery.message_ts).where(
            Delivery.pulse_id == pulse_id, Delivery.employee_id == employee_id
        )
    ).first()
    if row is None or not row[0] or not row[1]:
        return None
    return row[0], row[1]


def recent_pulses_of(session: Session, *, employee_id: int, limit: int = 3) -> list[Pulse]:
    """The last pulses sent to this person, newest first (for their own App Home)."""
    return list(
        session.exec(
            select(Pulse)
            .join(Delivery, col(Delivery.pulse_id) == Pulse.id)
            .where(Delivery.employee_id == employee_id, Delivery.status == "sent")
            .order_by(col(Pulse.id).desc())
            .limit(limit)
        )
    )


def delivery_failures(session: Session, *, pulse_id: int) -> dict[str, int]:
    """Why DMs of a pulse could not be delivered (error -> count), for HR."""
    rows = session.exec(
        select(Delivery.error, func.count())
        .where(Delivery.pulse_id == pulse_id, Delivery.status == "failed")
        .group_by(col(Delivery.error))
    ).all()
    return {error or "unknown": int(n) for error, n in rows}
