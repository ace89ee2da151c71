"""Conversations about anonymous comments, what each reader has read, and labels.

Nothing here names a comment's author: the bot reaches them through the comment's own key
(`author_of`), recomputed for each person the pulse was sent to. An author's reply waits in
`conversation_held` with no time and no place among the thread's messages, only its turn
among its thread's waiting replies; the relay (jobs.relay) moves a batch into
`conversation_message`, threads in random order, each thread's replies in the order written.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from storage.models import (
    Comment,
    CommentLabel,
    ConversationHeld,
    ConversationMessage,
    Delivery,
    Employee,
    InboxState,
    Pulse,
    Question,
    Team,
    Workspace,
)
from storage.pseudonym import comment_key, respondent_key

MANAGER, AUTHOR = "manager", "author"


@dataclass(frozen=True)
class CommentRef:
    """A comment with what is needed to check who may see it and to name its pulse."""

    comment: Comment
    pulse: Pulse
    team_key: str
    team_name: str
    slack_team_id: str
    driver: str | None  # the written answer's question driver; None for a free comment
    prompt: str | None


def find_comment(session: Session, *, comment_id: str) -> CommentRef | None:
    row = session.exec(
        select(Comment, Pulse)
        .join(Pulse, col(Pulse.id) == Comment.pulse_id)
        .where(Comment.id == comment_id)
    ).first()
    if row is None:
        return None
    comment, pulse = row
    team = session.get(Team, pulse.team_id)
    workspace = session.get(Workspace, pulse.workspace_id)
    if team is None or workspace is None:
        return None
    driver = prompt = None
    if comment.question_id is not None:
        question = session.get(Question, comment.question_id)
        driver, prompt = (question.driver, question.text) if question else (None, None)
    return CommentRef(comment, pulse, team.key, team.name, workspace.slack_team_id, driver, prompt)


def is_author(secret: bytes, ref: CommentRef, *, user_id: str) -> bool:
    """Did this person write the comment? (Their keys for its pulse match its key.)"""
    keys = {
        comment_key(
            secret, workspace=ref.slack_team_id, user_id=user_id, pulse_id=ref.pulse.id or 0
        ),
        respondent_key(  # comments from before migration 0002 carry the answers' key
            secret, workspace=ref.slack_team_id, user_id=user_id, pulse_id=ref.pulse.id or 0
        ),
    }
    return ref.comment.respondent in keys


def author_of(session: Session, secret: bytes, ref: CommentRef) -> str | None:
    """The Slack id of the comment's author, found by recomputing the comment key of each
    person the pulse was sent to; None when none matches (they left, or unlinked it)."""
    people = session.exec(
        select(Employee.slack_user_id)
        .join(Delivery, col(Delivery.employee_id) == Employee.id)
        .where(Delivery.pulse_id == ref.pulse.id)
    ).all()
    for user_id in people:
        if is_author(secret, ref, user_id=user_id):
            return user_id
    return None


@dataclass(frozen=True)
class Message:
    """A message as readers see it; `at` is None while an author's reply waits."""

    side: str
    body: str
    manager_id: str | None
    revealed_name: str | None
    at: dt.datetime | None


def thread(session: Session, *, comment_id: str, pending: bool = False) -> list[Message]:
    """The thread's released messages in order; with ``pending``, then the author's
    replies waiting for the relay (for the author's own view and `/pulse my-data`)."""
    released = [
        Message(m.side, m.body, m.manager_id, m.revealed_name, m.at)
        for m in session.exec(
            select(ConversationMessage)
            .where(ConversationMessage.comment_id == comment_id)
            .order_by(col(ConversationMessage.seq))
        )
    ]
    if not pending:
        return released
    waiting = session.exec(
        select(ConversationHeld)
        .where(ConversationHeld.comment_id == comment_id)
        .order_by(col(ConversationHeld.turn))
    )
    return released + [Message(AUTHOR, h.body, None, h.revealed_name, None) for h in waiting]


def _next_seq(session: Session, comment_id: str) -> int:
    top = session.exec(
        select(func.max(ConversationMessage.seq)).where(
            ConversationMessage.comment_id == comment_id
        )
    ).one()
    return int(top or 0) + 1


def add_manager_message(
    session: Session, *, comment_id: str, manager_id: str, body: str, now: dt.datetime
) -> Message:
    message = ConversationMessage(
        comment_id=comment_id,
        seq=_next_seq(session, comment_id),
        side=MANAGER,
        manager_id=manager_id,
        body=body,
        at=now,
    )
    session.add(message)
    session.flush()
    return Message(MANAGER, body, manager_id, None, now)


def add_author_message(
    session: Session, *, comment_id: str, body: str, revealed_name: str | None
) -> None:
    """Held for the relay: no time, no place in the thread, only its turn among this
    thread's waiting replies (a second reply before the relay comes after the first)."""
    top = session.exec(
        select(func.max(ConversationHeld.turn)).where(ConversationHeld.comment_id == comment_id)
    ).one()
    session.add(
        ConversationHeld(
            comment_id=comment_id, turn=int(top or 0) + 1, body=body, revealed_name=revealed_name
        )
    )
    session.flush()


def release_pending(session: Session, *, at: dt.datetime) -> list[ConversationMessage]:
    """Move every waiting author reply into its thread, stamped with the relay's time, and
    delete it from the held table. Threads go in random order (rows are inserted in that
    order too); within a thread, replies keep the order they were written in."""
    threads: dict[str, list[ConversationHeld]] = {}
    batch = list(session.exec(select(ConversationHeld)))
    for held in batch:
        threads.setdefault(held.comment_id, []).append(held)
    order = sorted(threads, key=lambda _: secrets.randbits(64))
    released = []
    for comment_id in order:
        seq = _next_seq(session, comment_id)
        for held in sorted(threads[comment_id], key=lambda h: h.turn):
            message = ConversationMessage(
                comment_id=comment_id,
                seq=seq,
                side=AUTHOR,
                revealed_name=held.revealed_name,
                body=held.body,
                at=at,
            )
            session.add(message)
            session.flush()
            released.append(message)
            seq += 1
    if batch:  # only this batch: a reply committed meanwhile waits for the next relay
        session.exec(
            delete(ConversationHeld).where(col(ConversationHeld.id).in_([h.id for h in batch]))
        )
    return released


def manager_ids(session: Session, *, comment_id: str) -> list[str]:
    """Who wrote on the managers' side of a thread, in the order they first wrote."""
    rows = session.exec(
        select(ConversationMessage.manager_id)
        .where(
            ConversationMessage.comment_id == comment_id,
            col(ConversationMessage.manager_id).is_not(None),
        )
        .order_by(col(ConversationMessage.seq))
    ).all()
    return list(dict.fromkeys(r for r in rows if r))


def drop_threads(session: Session, *, comment_ids: Iterable[str]) -> int:
    """Delete the conversations, read states and labels of these comments (the comments
    themselves are deleted by the caller); returns messages removed."""
    ids = list(comment_ids)
    if not ids:
        return 0
    removed = session.exec(
        delete(ConversationMessage).where(col(ConversationMessage.comment_id).in_(ids))
    )
    waiting = session.exec(
        delete(ConversationHeld).where(col(ConversationHeld.comment_id).in_(ids))
    )
    session.exec(delete(InboxState).where(col(InboxState.comment_id).in_(ids)))
    session.exec(delete(CommentLabel).where(col(CommentLabel.comment_id).in_(ids)))
    return int(removed.rowcount or 0) + int(waiting.rowcount or 0)


def mark_read(session: Session, *, comment_id: str, user_id: str) -> None:
    """The reader has seen the thread as it stands (up to its last released message)."""
    seen = _next_seq(session, comment_id) - 1
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(InboxState).values(comment_id=comment_id, user_id=user_id, read_seq=seen)
    session.exec(
        stmt.on_conflict_do_update(
            index_elements=["comment_id", "user_id"], set_={"read_seq": seen}
        )
    )


def set_label(session: Session, *, comment_id: str, label: str | None) -> None:
    session.exec(delete(CommentLabel).where(col(CommentLabel.comment_id) == comment_id))
    if label:
        session.add(CommentLabel(comment_id=comment_id, label=label))
    session.flush()


def label_of(session: Session, *, comment_id: str) -> str | None:
    return session.exec(
        select(CommentLabel.label).where(CommentLabel.comment_id == comment_id)
    ).first()


@dataclass(frozen=True)
class InboxRow:
    comment_id: str
    pulse_id: int
    team_key: str
    team_name: str
    opened: dt.datetime
    driver: str | None
    prompt: str | None
    body: str
    label: str | None
    read_seq: int | None  # None: never opened
    replied: bool  # someone on the managers' side has written
    last_author_seq: int | None  # the latest relayed author reply


def inbox_rows(session: Session, *, pulse_ids: Sequence[int], user_id: str) -> list[InboxRow]:
    """Every comment of these pulses with its thread's state for one reader; in no
    meaningful order (comment ids are random)."""
    if not pulse_ids:
        return []
    rows = session.exec(
        select(Comment, Pulse, Question)
        .join(Pulse, col(Pulse.id) == Comment.pulse_id)
        .outerjoin(Question, col(Question.id) == Comment.question_id)
        .where(col(Comment.pulse_id).in_(list(pulse_ids)))
        .order_by(col(Comment.id))
    ).all()
    teams = {
        t.id: t
        for t in session.exec(select(Team).where(col(Team.id).in_({p.team_id for _, p, _ in rows})))
    }
    ids = [c.id for c, *_ in rows]
    labels = dict(
        session.exec(
            select(CommentLabel.comment_id, CommentLabel.label).where(
                col(CommentLabel.comment_id).in_(ids)
            )
        ).all()
    )
    read = dict(
        session.exec(
            select(InboxState.comment_id, InboxState.read_seq).where(
                col(InboxState.comment_id).in_(ids), InboxState.user_id == user_id
            )
        ).all()
    )
    replied = set(
        session.exec(
            select(ConversationMessage.comment_id).where(
                col(ConversationMessage.comment_id).in_(ids),
                ConversationMessage.side == MANAGER,
            )
        ).all()
    )
    last_author = dict(
        session.exec(
            select(ConversationMessage.comment_id, func.max(ConversationMessage.seq))
            .where(
                col(ConversationMessage.comment_id).in_(ids),
                ConversationMessage.side == AUTHOR,
            )
            .group_by(col(ConversationMessage.comment_id))
        ).all()
    )
    return [
        InboxRow(
            comment_id=c.id,
            pulse_id=c.pulse_id,
            team_key=teams[p.team_id].key,
            team_name=teams[p.team_id].name,
            opened=p.opened_at,
            driver=q.driver if q else None,
            prompt=q.text if q else None,
            body=c.body,
            label=labels.get(c.id),
            read_seq=read.get(c.id),
            replied=c.id in replied,
            last_author_seq=last_author.get(c.id),
        )
        for c, p, q in rows
    ]


def comments_by(session: Session, *, pulse_id: int, keys: Sequence[str]) -> list[tuple[str, str]]:
    """(comment id, body) of one person's comments to one pulse (their keys given)."""
    rows = session.exec(
        select(Comment.id, Comment.body).where(
            Comment.pulse_id == pulse_id, col(Comment.respondent).in_(list(keys))
        )
    ).all()
    return [(cid, body) for cid, body in rows]
