"""Answers: one person's own answers, sealed upserts, and SQL aggregates.

Live answers to an open pulse are held (storage.held) and reach `response` at close;
`record_answer` writes `response` directly, for answers to closed pulses (tests), and
re-seals the pulse.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Integer, bindparam, func
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from storage.held import held_answers, people_so_far
from storage.models import Delivery, Pulse, PulseQuestion, Question, Response, random_id, utcnow
from storage.pseudonym import Respondent
from storage.rollup import question_means, respondents
from storage.seal import NOT_INVITED, seal


def record_answer(
    session: Session, *, pulse_id: int, question_id: int, respondent: str, value: int
) -> None:
    """Insert or change one answer to a closed pulse, and seal the pulse again so its figures
    follow (storage.seal); repeating it changes nothing."""
    record_answers(session, pulse_id=pulse_id, answers=[(question_id, respondent, value)])


def record_answers(
    session: Session, *, pulse_id: int, answers: Iterable[tuple[int, str, int]]
) -> None:
    """record_answer for many (question id, respondent, value) answers: the pulse is sealed
    once, after the last."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    for question_id, respondent, value in answers:
        stmt = insert(Response).values(
            id=random_id(),
            pulse_id=pulse_id,
            question_id=question_id,
            respondent=respondent,
            value=value,
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["pulse_id", "question_id", "respondent"], set_={"value": value}
        )
        session.exec(stmt)
    seal(session, pulse_id=pulse_id, now=utcnow())


def answers_of(session: Session, *, respondent: Respondent) -> dict[int, int]:
    """One person's own answers to one pulse, held or released: question id -> value."""
    rows = session.exec(
        select(Response.question_id, Response.value).where(
            Response.pulse_id == respondent.pulse_id, Response.respondent == respondent.answers
        )
    ).all()
    return {**dict(rows), **held_answers(session, respondent=respondent)}


@dataclass(frozen=True)
class QuestionAggregate:
    question_id: int
    key: str
    driver: str
    kind: str
    text: str
    n: int
    mean: float | None


@dataclass(frozen=True)
class PulseAggregate:
    pulse_id: int
    invited: int
    respondents: int
    questions: list[QuestionAggregate]


# pulse_aggregate's queries, built once (a request only binds the pulse's id): building and
# keying a statement costs more than SQLite takes to answer it.
_PULSE = bindparam("pulse_id", type_=Integer)
_INVITED = select(Pulse.invited).where(Pulse.id == _PULSE)
_POSTED = (
    select(func.count())
    .select_from(Delivery)
    .where(Delivery.pulse_id == _PULSE, col(Delivery.status).not_in(NOT_INVITED))
)
_PEOPLE = select(func.sum(respondents(select(_PULSE)).c.people))
_MEANS = question_means(select(_PULSE))
_PER_QUESTION = (
    select(Question, _MEANS.c.n, _MEANS.c.mean)
    .join(PulseQuestion, col(PulseQuestion.question_id) == Question.id)
    .outerjoin(_MEANS, _MEANS.c.qid == Question.id)
    # a choice's only figures are its tally, under its own k rule (insights.choice)
    .where(PulseQuestion.pulse_id == _PULSE, col(Question.kind) != "choice")
    .order_by(col(PulseQuestion.position))
)


def pulse_aggregate(session: Session, *, pulse_id: int) -> PulseAggregate:
    """Counts and means for one pulse, from its seal (storage.seal); while the pulse is
    open only ``respondents`` (people who took part so far) is known. ``invited`` is the
    seal's (DMs posted: neither failed nor skipped), counted the same way before it, so the
    latest pulse's participation is the one its week's figures show."""
    invited = session.exec(_INVITED, params={"pulse_id": pulse_id}).first()
    if invited is None:  # not sealed yet: the DMs posted so far, counted as the seal counts
        invited = session.exec(_POSTED, params={"pulse_id": pulse_id}).one()
    people = session.exec(_PEOPLE, params={"pulse_id": pulse_id}).one()
    rows = session.exec(_PER_QUESTION, params={"pulse_id": pulse_id}).all()
    questions = [
        QuestionAggregate(
            question_id=q.id or 0,
            key=q.key,
            driver=q.driver,
            kind=q.kind,
            text=q.text,
            n=int(n or 0),
            mean=None if mean is None else float(mean),
        )
        for q, n, mean in rows
    ]
    return PulseAggregate(
        pulse_id=pulse_id,
        invited=int(invited),
        respondents=max(int(people or 0), people_so_far(session, pulse_id=pulse_id)),
        questions=questions,
    )
