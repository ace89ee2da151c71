"""Written answers and anonymous comments, stored under the respondent's pseudonym.

`question_id` is the open prompt answered, or None for the pulse's free comment. One of
each per respondent and pulse: writing again replaces it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, col, select

from storage.models import Comment, Question


def _same(pulse_id: int, question_id: int | None, respondent: str) -> list[Any]:
    qcol = col(Comment.question_id)
    return [
        Comment.pulse_id == pulse_id,
        qcol.is_(None) if question_id is None else qcol == question_id,
        Comment.respondent == respondent,
    ]


def save_written_answer(
    session: Session, *, pulse_id: int, question_id: int | None, respondent: str, body: str
) -> None:
    session.exec(delete(Comment).where(*_same(pulse_id, question_id, respondent)))
    session.add(
        Comment(pulse_id=pulse_id, question_id=question_id, respondent=respondent, body=body)
    )
    session.flush()


def written_answer(
    session: Session, *, pulse_id: int, question_id: int | None, respondent: str
) -> str | None:
    return session.exec(
        select(Comment.body).where(*_same(pulse_id, question_id, respondent))
    ).first()


def delete_written(
    session: Session, *, pulse_id: int, question_id: int | None, respondent: str
) -> int:
    """The author withdraws a comment or written answer; returns rows removed."""
    result = session.exec(delete(Comment).where(*_same(pulse_id, question_id, respondent)))
    return int(result.rowcount or 0)


def written_by(session: Session, *, pulse_id: int, respondent: str) -> dict[int | None, str]:
    """Everything one respondent wrote in one pulse: question id (None = comment) -> text."""
    rows = session.exec(
        select(Comment.question_id, Comment.body).where(
            Comment.pulse_id == pulse_id, Comment.respondent == respondent
        )
    ).all()
    return dict(rows)


def pulse_comments(session: Session, *, pulse_id: int) -> list[tuple[str | None, str]]:
    """(prompt text or None for a free comment, body) for a pulse, in no meaningful order.

    Comment ids are random, so ordering by id shuffles them: neither answer order nor
    authorship can be read from the list.
    """
    rows = session.exec(
        select(Question.text, Comment.body)
        .select_from(Comment)
        .outerjoin(Question, col(Question.id) == Comment.question_id)
        .where(Comment.pulse_id == pulse_id)
        .order_by(col(Comment.id))
    ).all()
    return [(text, body) for text, body in rows]
