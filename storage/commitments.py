"""Commitments: made by a manager, announced with the team's next pulse, followed up after."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session, col, select

from storage.models import Commitment, Question
from storage.rollup import question_means


@dataclass(frozen=True)
class CommitmentStatus:
    commitment: Commitment
    followup_n: int
    followup_mean: float | None


def create(
    session: Session,
    *,
    workspace_id: int,
    team_id: int,
    driver: str,
    text: str,
    created_by: str,
    now: dt.datetime,
) -> Commitment:
    row = Commitment(
        workspace_id=workspace_id,
        team_id=team_id,
        driver=driver,
        text=text,
        created_by=created_by,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row


def to_announce(session: Session, *, team_id: int) -> list[Commitment]:
    return list(
        session.exec(
            select(Commitment)
            .where(Commitment.team_id == team_id, col(Commitment.announced_pulse_id).is_(None))
            .order_by(col(Commitment.id))
        )
    )


def to_follow_up(session: Session, *, team_id: int) -> list[Commitment]:
    """Announced with an earlier pulse and not asked about yet, oldest first."""
    return list(
        session.exec(
            select(Commitment)
            .where(
                Commitment.team_id == team_id,
                col(Commitment.announced_pulse_id).is_not(None),
                col(Commitment.followup_pulse_id).is_(None),
            )
            .order_by(col(Commitment.id))
        )
    )


def followup_question(session: Session, commitment: Commitment) -> Question:
    """The one-off question asking whether this commitment made a difference."""
    key = f"commitment.{commitment.id}"
    row = session.exec(select(Question).where(Question.key == key)).first()
    if row is None:
        row = Question(
            key=key,
            driver="commitment",
            kind="likert5",
            text=f"“{commitment.text}” — this commitment has made a real difference.",
            builtin=False,
            active=False,  # never picked by rotation; attached to one pulse only
        )
        session.add(row)
        session.flush()
    return row


def announced_in(session: Session, *, pulse_id: int) -> list[Commitment]:
    return list(session.exec(select(Commitment).where(Commitment.announced_pulse_id == pulse_id)))


def for_team(session: Session, *, team_id: int, limit: int = 5) -> list[CommitmentStatus]:
    """The team's latest commitments with their follow-up answers, aggregated in SQL."""
    followups = select(Commitment.followup_pulse_id).where(
        Commitment.team_id == team_id, col(Commitment.followup_pulse_id).is_not(None)
    )
    answers = question_means(followups)
    rows = session.exec(
        select(Commitment, answers.c.n, answers.c.mean)
        .outerjoin(answers, answers.c.qid == Commitment.followup_question_id)
        .where(Commitment.team_id == team_id)
        .order_by(col(Commitment.id).desc())
        .limit(limit)
    ).all()
    return [
        CommitmentStatus(c, int(n or 0), None if mean is None else float(mean))
        for c, n, mean in rows
    ]
