"""Co-created commitments: proposed by a manager, chosen by the team in its next pulse.

The choice is one `choice` question on that pulse, so a vote is an answer like any other:
held sealed under the person's slot while the pulse is open, changeable until it closes,
released under the pseudonymous respondent key at the close. At the close `seal_tallies`
keeps only the counts per option here; the next pulse makes the winner a `Commitment`
(`storage.commitments`), announced with it and followed up by the pulse after.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping

from sqlalchemy import func
from sqlmodel import Session, col, select

from storage.commitments import FOLLOW_UP_DRIVER
from storage.models import Cocreated, Commitment, Pulse, Question, Response

CHOICE = "choice"  # the question kind: answer value n is the n-th proposed option
OPTIONS = "_options"  # key of the option texts in a choice question's translations


def options_of(row: Cocreated) -> list[str]:
    return list(json.loads(row.options))


def create(
    session: Session,
    *,
    workspace_id: int,
    team_id: int,
    driver: str,
    options: list[str],
    created_by: str,
    now: dt.datetime,
) -> Cocreated:
    row = Cocreated(
        workspace_id=workspace_id,
        team_id=team_id,
        driver=driver,
        options=json.dumps(options, ensure_ascii=False),
        created_by=created_by,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row


def waiting(session: Session, *, team_id: int) -> Cocreated | None:
    """The team's proposal not asked yet (at most one: a second is refused while it waits)."""
    return session.exec(
        select(Cocreated)
        .where(Cocreated.team_id == team_id, col(Cocreated.vote_pulse_id).is_(None))
        .order_by(col(Cocreated.id))
    ).first()


def undecided(session: Session, *, team_id: int) -> Cocreated | None:
    """A proposal asked or waiting, not settled into a commitment (or nothing) yet."""
    return session.exec(
        select(Cocreated).where(Cocreated.team_id == team_id, col(Cocreated.decided).is_(False))
    ).first()


def open_choice(session: Session, *, team_id: int) -> Cocreated | None:
    """A proposal the team has not finished choosing on: waiting for its pulse, or asked in a
    pulse not counted yet. The team has one choice at a time; once counted (its pulse
    closed), the manager may propose again: the next pulse settles the old one first."""
    return session.exec(
        select(Cocreated).where(
            Cocreated.team_id == team_id,
            col(Cocreated.decided).is_(False),
            col(Cocreated.tally).is_(None),
        )
    ).first()


def choice_question(
    session: Session, row: Cocreated, *, texts: Mapping[str, str], english: str
) -> Question:
    """The one-off question asking the team to choose; ``texts`` maps a language to the
    sentence, the stored text is ``texts[english]``."""
    key = f"cocreated.{row.id}"
    question = session.exec(select(Question).where(Question.key == key)).first()
    if question is None:
        said = dict(texts)
        translations: dict[str, object] = {
            lang: {"text": text, "scale": []} for lang, text in said.items() if lang != english
        }
        translations[OPTIONS] = options_of(row)
        question = Question(
            key=key,
            driver=FOLLOW_UP_DRIVER,  # no driver: reported with its proposal, not in scores
            kind=CHOICE,
            text=said.get(english, "")[:200],
            builtin=False,
            active=False,  # never picked by rotation; attached to one pulse only
            translations=json.dumps(translations, ensure_ascii=False, sort_keys=True),
        )
        session.add(question)
        session.flush()
    return question


def question_options(question: Question) -> tuple[str, ...]:
    """A choice question's option texts (the manager's words: in their language only)."""
    if question.kind != CHOICE or not question.translations:
        return ()
    return tuple(json.loads(question.translations).get(OPTIONS) or ())


def seal_tallies(session: Session) -> int:
    """Count the votes of every proposal whose vote pulse has closed and is not counted yet:
    one GROUP BY over the released answers. Idempotent; returns proposals counted."""
    rows = session.exec(
        select(Cocreated)
        .join(Pulse, col(Pulse.id) == Cocreated.vote_pulse_id)
        .where(col(Cocreated.tally).is_(None), col(Pulse.closed_at).is_not(None))
    ).all()
    for row in rows:
        n = len(options_of(row))
        counts = [0] * n
        for value, votes in session.exec(
            select(Response.value, func.count())
            .where(
                Response.pulse_id == row.vote_pulse_id,
                Response.question_id == row.vote_question_id,
            )
            .group_by(col(Response.value))
        ):
            if 1 <= value <= n:
                counts[value - 1] = int(votes)
        row.tally = json.dumps(counts)
        session.add(row)
    return len(rows)


def counted(session: Session, *, team_id: int) -> list[tuple[Cocreated, int]]:
    """The team's counted, undecided proposals with their vote pulse's respondents."""
    return [
        (row, int(respondents or 0))
        for row, respondents in session.exec(
            select(Cocreated, Pulse.respondents)
            .join(Pulse, col(Pulse.id) == Cocreated.vote_pulse_id)
            .where(
                Cocreated.team_id == team_id,
                col(Cocreated.decided).is_(False),
                col(Cocreated.tally).is_not(None),
            )
        ).all()
    ]


def make_commitment(session: Session, row: Cocreated, *, text: str | None) -> None:
    """Settle a counted proposal: the winner's text becomes a commitment, or (too few chose)
    nothing does."""
    if text is not None:
        commitment = Commitment(
            workspace_id=row.workspace_id,
            team_id=row.team_id,
            driver=row.driver,
            text=text,
            created_by=row.created_by,
            created_at=row.created_at,
        )
        session.add(commitment)
        session.flush()
        row.commitment_id = commitment.id
    row.decided = True
    session.add(row)


def latest(session: Session, *, team_id: int, limit: int = 3) -> list[tuple[Cocreated, int]]:
    """The team's latest proposals, newest first, with the vote pulse's respondents (0 until
    sealed)."""
    return [
        (row, int(respondents or 0))
        for row, respondents in session.exec(
            select(Cocreated, Pulse.respondents)
            .outerjoin(Pulse, col(Pulse.id) == Cocreated.vote_pulse_id)
            .where(Cocreated.team_id == team_id)
            .order_by(col(Cocreated.id).desc())
            .limit(limit)
        ).all()
    ]
