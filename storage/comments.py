"""Written answers and anonymous comments, stored under the respondent's pseudonym."""

from __future__ import annotations

from sqlalchemy import delete
from sqlmodel import Session, select

from storage.models import Comment


def save_written_answer(
    session: Session, *, pulse_id: int, question_id: int, respondent: str, body: str
) -> None:
    """One written answer per question and respondent: a new one replaces the old."""
    session.exec(
        delete(Comment).where(
            Comment.pulse_id == pulse_id,
            Comment.question_id == question_id,
            Comment.respondent == respondent,
        )
    )
    session.add(
        Comment(pulse_id=pulse_id, question_id=question_id, respondent=respondent, body=body)
    )
    session.flush()


def written_answer(
    session: Session, *, pulse_id: int, question_id: int, respondent: str
) -> str | None:
    return session.exec(
        select(Comment.body).where(
            Comment.pulse_id == pulse_id,
            Comment.question_id == question_id,
            Comment.respondent == respondent,
        )
    ).first()
