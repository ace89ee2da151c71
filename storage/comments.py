"""Written answers and anonymous comments, under a key of their own.

`question_id` is the open prompt answered, or None for the pulse's free comment. One of
each per person and pulse: writing again replaces it. While the pulse is open they are held
(storage.held); at close they reach `comment` under the person's comment key, which is not
the key of their numeric answers. Rows from before that change may still carry the answers'
key (migration 0002), so a person's own lookups try both.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, col, select

from storage.conversations import drop_threads
from storage.held import drop_text, held_texts, hold_text
from storage.models import Comment, Question
from storage.pseudonym import Respondent


def _mine(
    respondent: Respondent, question_id: int | None = None, *, any_question: bool = False
) -> list[Any]:
    qcol = col(Comment.question_id)
    same = [
        Comment.pulse_id == respondent.pulse_id,
        col(Comment.respondent).in_([respondent.comments, respondent.answers]),
    ]
    if not any_question:
        same.append(qcol.is_(None) if question_id is None else qcol == question_id)
    return same


def save_written_answer(
    session: Session, *, pulse_id: int, question_id: int | None, respondent: str, body: str
) -> None:
    """Store a text of a closed pulse straight in `comment` (demo history, tests)."""
    qcol = col(Comment.question_id)
    session.exec(
        delete(Comment).where(
            col(Comment.pulse_id) == pulse_id,
            qcol.is_(None) if question_id is None else qcol == question_id,
            col(Comment.respondent) == respondent,
        )
    )
    session.add(
        Comment(pulse_id=pulse_id, question_id=question_id, respondent=respondent, body=body)
    )
    session.flush()


def write(session: Session, *, respondent: Respondent, question_id: int | None, body: str) -> None:
    """A person writes (or rewrites) a text in an open pulse: it is held until close."""
    session.exec(delete(Comment).where(*_mine(respondent, question_id)))  # an older copy
    hold_text(session, respondent=respondent, question_id=question_id, body=body)


def written_by(session: Session, *, respondent: Respondent) -> dict[int | None, str]:
    """Everything one person wrote in one pulse: question id (None = comment) -> text."""
    rows = session.exec(
        select(Comment.question_id, Comment.body).where(*_mine(respondent, any_question=True))
    ).all()
    return {**dict(rows), **held_texts(session, respondent=respondent)}


def delete_written(session: Session, *, respondent: Respondent, question_id: int | None) -> int:
    """The author withdraws a comment or written answer, held or not; returns rows removed.
    A conversation about it ends with it."""
    gone = session.exec(select(Comment.id).where(*_mine(respondent, question_id))).all()
    drop_threads(session, comment_ids=gone)
    result = session.exec(delete(Comment).where(*_mine(respondent, question_id)))
    return int(result.rowcount or 0) + drop_text(
        session, respondent=respondent, question_id=question_id
    )


def pulse_comments(session: Session, *, pulse_id: int) -> list[tuple[str | None, str]]:
    """(prompt text or None for a free comment, body) for a pulse, in no meaningful order.

    Comment ids are random, so ordering by id shuffles them: neither answer order nor
    authorship can be read from the list. Held texts of an open pulse are not listed.
    """
    return [(text, body) for _, text, body in pulse_comment_rows(session, pulse_id=pulse_id)]


def pulse_comment_rows(session: Session, *, pulse_id: int) -> list[tuple[str, str | None, str]]:
    """(comment id, prompt or None, body): `pulse_comments` with the ids replies need."""
    rows = session.exec(
        select(Comment.id, Question.text, Comment.body)
        .select_from(Comment)
        .outerjoin(Question, col(Question.id) == Comment.question_id)
        .where(Comment.pulse_id == pulse_id)
        .order_by(col(Comment.id))
    ).all()
    return [(cid, text, body) for cid, text, body in rows]
