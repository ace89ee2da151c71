"""An answer being written while its pulse closes lands in that close, or is refused: never
after the pulse was released and shown (a late answer would move published figures by one
person, and the difference would be that person's answer).

PostgreSQL only: SQLite serialises writers (BEGIN IMMEDIATE), so the race cannot happen there.
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import Engine, select
from sqlmodel import Session, col

from bot import ids
from bot.answering import answer_click
from jobs import closing
from storage.db import session_scope
from storage.models import Held, Response
from storage.pulses import pulse_view
from storage.release import release_closed
from tests import factories
from tests.factories import NOW, WORKSPACE

SECRET = b"close-race-secret-close-race-secret"


def test_the_close_waits_for_an_answer_being_written_and_releases_it(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers: no race to test")
    org = factories.org(engine, people=6)
    pulse_id = factories.pulse(engine, org, keys=["wellbeing.energy"])
    with session_scope(engine) as s:
        qid = pulse_view(s, pulse_id=pulse_id).questions[0].id or 0
    closes = NOW + dt.timedelta(hours=72)

    # An answer is being written (checked open, stored, not yet committed) as the close runs.
    answering = Session(engine)
    outcome = answer_click(
        answering,
        secret=SECRET,
        slack_team_id=WORKSPACE,
        user_id="U0000",
        raw_value=ids.answer_value(pulse_id, qid, 2),
        now=closes - dt.timedelta(seconds=1),
        k=5,
    )
    assert outcome.status == "recorded"
    closed: list[list[int]] = []

    def close() -> None:
        with session_scope(engine) as s:
            closed.append(closing.run(s, now=closes, secret=SECRET))

    closer = threading.Thread(target=close, daemon=True)
    closer.start()
    try:
        closer.join(timeout=1.0)
        assert closer.is_alive()  # the close waits for the answer's transaction
        answering.commit()
    finally:
        answering.close()  # a failed run must not leave the close blocked
    closer.join(timeout=10)
    assert closed == [[pulse_id]]

    with session_scope(engine) as s:  # released by that close, nothing left for a later run
        assert [r.value for r in s.exec(select(Response)).scalars()] == [2]
        assert s.exec(select(Held).where(col(Held.pulse_id) == pulse_id)).first() is None
        assert release_closed(s, secret=SECRET, now=closes + dt.timedelta(minutes=5)) == []

    # After the close, the same click is refused and nothing is held.
    with session_scope(engine) as s:
        late = answer_click(
            s,
            secret=SECRET,
            slack_team_id=WORKSPACE,
            user_id="U0001",
            raw_value=ids.answer_value(pulse_id, qid, 5),
            now=closes - dt.timedelta(seconds=1),  # a clock that lags: the row decides
            k=5,
        )
    assert late.status == "closed"
