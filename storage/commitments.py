"""Commitments: made by a manager, announced with the team's next pulse, followed up after."""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BindParameter, Integer, bindparam
from sqlmodel import Session, col, select

from storage.models import Commitment, Pulse, Question
from storage.reportable import closed_by
from storage.rollup import question_means

FOLLOW_UP_DRIVER = "commitment"  # a follow-up question's driver: reported with its commitment


@dataclass(frozen=True)
class CommitmentStatus:
    """A commitment and its follow-up answers, counted only once the follow-up pulse closed."""

    commitment: Commitment
    followup_n: int
    followup_mean: float | None
    followup_closed: bool = False


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


def followup_question(
    session: Session, commitment: Commitment, *, translations: Mapping[str, str] | None = None
) -> Question:
    """The one-off question asking whether this commitment made a difference; in other
    languages, ``translations`` (language -> the sentence, ``{text}`` for the commitment)."""
    key = f"commitment.{commitment.id}"
    row = session.exec(select(Question).where(Question.key == key)).first()
    if row is None:
        row = Question(
            key=key,
            driver=FOLLOW_UP_DRIVER,
            kind="likert5",
            text=f"“{commitment.text}” — this commitment has made a real difference.",
            builtin=False,
            active=False,  # never picked by rotation; attached to one pulse only
            translations=json.dumps(
                {
                    lang: {"text": said.format(text=commitment.text), "scale": []}
                    for lang, said in (translations or {}).items()
                },
                ensure_ascii=False,
                sort_keys=True,
            )
            if translations
            else "",
        )
        session.add(row)
        session.flush()
    return row


def announced_in(session: Session, *, pulse_id: int) -> list[Commitment]:
    return list(session.exec(select(Commitment).where(Commitment.announced_pulse_id == pulse_id)))


@functools.cache
def _for_team(limit: int) -> Any:
    """for_team's query, built once per limit (a request binds the team and the moment)."""
    team_id = bindparam("team_id", type_=Integer)
    now: BindParameter[dt.datetime] = bindparam("now")
    followups = (
        select(Commitment.followup_pulse_id)
        .join(Pulse, col(Pulse.id) == Commitment.followup_pulse_id)
        .where(Commitment.team_id == team_id, closed_by(now))
    )
    answers = question_means(followups)
    closed = select(col(Pulse.id)).where(closed_by(now)).subquery()
    return (
        select(Commitment, answers.c.n, answers.c.mean, closed.c.id)
        .outerjoin(answers, answers.c.qid == Commitment.followup_question_id)
        .outerjoin(closed, closed.c.id == Commitment.followup_pulse_id)
        .where(Commitment.team_id == team_id)
        .order_by(col(Commitment.id).desc())
        .limit(limit)
    )


def for_team(
    session: Session, *, team_id: int, now: dt.datetime, limit: int = 5
) -> list[CommitmentStatus]:
    """The team's latest commitments with their follow-up answers, aggregated in SQL.

    Answers count only once the follow-up pulse has closed (storage.reportable), so the
    figure never moves while someone could watch it change with one person's answer.
    """
    rows = session.exec(_for_team(limit), params={"team_id": team_id, "now": now}).all()
    return [
        CommitmentStatus(c, int(n or 0), None if mean is None else float(mean), done is not None)
        for c, n, mean, done in rows
    ]
