"""What a co-created choice stores, on SQLite and PostgreSQL: the proposal waits, is asked
once, is counted once at the close (counts per action only, one GROUP BY), and is settled
once; the typed actions come back exactly as the manager wrote them."""

from __future__ import annotations

import json

from sqlalchemy import Engine
from sqlmodel import col, select, update

from storage import cocreate
from storage.db import session_scope
from storage.models import Commitment, Pulse, Question
from storage.responses import record_answers
from tests import factories
from tests.factories import NOW

# typed text: quotes, apostrophes, accents and an emoji survive the JSON column on both backends
OPTIONS = ["Café “no-meeting” Fridays", "O'Brien's buddy plan 🤝", "Shadow a call; then \\ debrief"]


def test_a_choice_is_asked_once_counted_once_and_settled_once(engine: Engine) -> None:
    ids = factories.org(engine, people=6)
    team = ids["team"]
    pulse_id = factories.pulse(engine, ids)
    with session_scope(engine) as s:
        row = cocreate.create(
            s,
            workspace_id=ids["workspace"],
            team_id=team,
            driver="recognition",
            options=OPTIONS,
            created_by="U0LEAD",
            now=NOW,
        )
        assert cocreate.waiting(s, team_id=team) == row
        texts = {"en": "Which should it be?", "fr": "Laquelle choisir ?"}
        question = cocreate.choice_question(s, row, texts=texts, english="en")
        assert cocreate.choice_question(s, row, texts=texts, english="en").id == question.id
        row.vote_pulse_id, row.vote_question_id = pulse_id, question.id  # as the next pulse does
        s.add(row)
        proposal_id, question_id = row.id, question.id
        assert question_id is not None

    with session_scope(engine) as s:
        assert cocreate.waiting(s, team_id=team) is None  # asked: not asked again
        undecided = cocreate.undecided(s, team_id=team)
        assert undecided is not None and undecided.id == proposal_id
        stored = s.get(Question, question_id)
        assert stored is not None and cocreate.question_options(stored) == tuple(OPTIONS)
        assert cocreate.seal_tallies(s) == 0  # open: nothing counted
        s.exec(update(Pulse).where(col(Pulse.id) == pulse_id).values(closed_at=NOW))
        votes = [2, 2, 1, 2, 2]
        record_answers(
            s,
            pulse_id=pulse_id,
            answers=[(question_id, f"respondent-{i}", v) for i, v in enumerate(votes)],
        )
        assert cocreate.open_choice(s, team_id=team) is not None  # still being chosen
        assert cocreate.seal_tallies(s) == 1
        assert cocreate.seal_tallies(s) == 0  # counted once, however often the close runs
        assert cocreate.open_choice(s, team_id=team) is None  # counted: may propose again

    with session_scope(engine) as s:
        [(counted, respondents)] = cocreate.counted(s, team_id=team)
        assert json.loads(counted.tally or "") == [1, 4, 0] and respondents == 5
        cocreate.make_commitment(s, counted, text=cocreate.options_of(counted)[1])

    with session_scope(engine) as s:
        assert cocreate.counted(s, team_id=team) == []  # settled once
        assert cocreate.undecided(s, team_id=team) is None  # the manager may propose again
        made = s.exec(select(Commitment)).one()
        assert (made.text, made.created_by, made.driver) == (OPTIONS[1], "U0LEAD", "recognition")
        [(latest, shown)] = cocreate.latest(s, team_id=team)
        assert (latest.commitment_id, shown) == (made.id, 5)
