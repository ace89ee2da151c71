"""Storage guarantees the product relies on, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from storage import outbox
from storage.db import session_scope
from storage.held import hold_answer
from storage.models import Delivery, Held, Response
from storage.pseudonym import Respondent
from storage.pulses import pulse_view
from storage.responses import answers_of, pulse_aggregate, record_answer
from tests import factories
from tests.factories import NOW

LEASE = dt.timedelta(minutes=5)


def test_opening_a_pulse_writes_one_delivery_per_member(engine: Engine) -> None:
    ids = factories.org(engine, people=7)
    pulse_id = factories.pulse(engine, ids)
    with session_scope(engine) as s:
        assert outbox.status_counts(s, pulse_id=pulse_id) == {"pending": 7}
        view = pulse_view(s, pulse_id=pulse_id)
        assert [q.key for q in view.questions] == [
            "wellbeing.energy",
            "tools.what_i_need",
            "enps.recommend",
        ]


def test_a_second_delivery_for_the_same_person_is_refused_by_the_database(engine: Engine) -> None:
    ids = factories.org(engine, people=1)
    pulse_id = factories.pulse(engine, ids)
    with pytest.raises(IntegrityError), session_scope(engine) as s:
        s.add(Delivery(pulse_id=pulse_id, employee_id=ids["U0000"], next_attempt_at=NOW))


def test_answers_upsert_so_repeats_and_changes_count_once(engine: Engine) -> None:
    ids = factories.org(engine, people=3)
    pulse_id = factories.pulse(engine, ids)
    who = Respondent(b"k" * 32, workspace=factories.WORKSPACE, user_id="U0000", pulse_id=pulse_id)
    with session_scope(engine) as s:
        qid = pulse_view(s, pulse_id=pulse_id).questions[0].id
    for value in (4, 4, 2):  # a double click, then a change of mind
        with session_scope(engine) as s:
            record_answer(
                s, pulse_id=pulse_id, question_id=qid, respondent=who.answers, value=value
            )
    with session_scope(engine) as s:
        assert answers_of(s, respondent=who) == {qid: 2}
        assert len(s.exec(select(Response)).all()) == 1
        agg = pulse_aggregate(s, pulse_id=pulse_id)
    assert (agg.invited, agg.respondents) == (3, 1)
    assert agg.questions[0].n == 1 and agg.questions[0].mean == 2.0
    assert agg.questions[1].n == 0 and agg.questions[1].mean is None


def test_held_answers_upsert_so_repeats_and_changes_count_once(engine: Engine) -> None:
    ids = factories.org(engine, people=3)
    pulse_id = factories.pulse(engine, ids)
    who = Respondent(b"k" * 32, workspace=factories.WORKSPACE, user_id="U0000", pulse_id=pulse_id)
    with session_scope(engine) as s:
        qid = pulse_view(s, pulse_id=pulse_id).questions[0].id
    for value in (4, 4, 2):  # a double click, then a change of mind, while the pulse is open
        with session_scope(engine) as s:
            hold_answer(s, respondent=who, question_id=qid, value=value)
    with session_scope(engine) as s:
        assert answers_of(s, respondent=who) == {qid: 2}
        assert len(s.exec(select(Held).where(Held.kind == "answer")).all()) == 1
        assert pulse_aggregate(s, pulse_id=pulse_id).respondents == 1


def test_response_uniqueness_is_a_database_constraint(engine: Engine) -> None:
    ids = factories.org(engine, people=1)
    pulse_id = factories.pulse(engine, ids)
    with session_scope(engine) as s:
        qid = pulse_view(s, pulse_id=pulse_id).questions[0].id
    with pytest.raises(IntegrityError), session_scope(engine) as s:
        s.add(Response(pulse_id=pulse_id, question_id=qid, respondent="r", value=1))
        s.add(Response(pulse_id=pulse_id, question_id=qid, respondent="r", value=2))


def test_claims_are_disjoint_across_concurrent_workers(engine: Engine) -> None:
    ids = factories.org(engine, people=60)
    factories.pulse(engine, ids)
    claimed: dict[str, list[int]] = {}
    errors: list[BaseException] = []

    def work(name: str) -> None:
        mine: list[int] = []
        try:
            while True:
                with session_scope(engine) as s:
                    batch = outbox.claim_due(s, worker=name, now=NOW, limit=7, lease=LEASE)
                if not batch:
                    break
                mine.extend(c.delivery_id for c in batch)
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        claimed[name] = mine

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    every = [d for ds in claimed.values() for d in ds]
    assert len(every) == 60 and len(set(every)) == 60


def test_a_dead_workers_claim_is_reclaimed_after_the_lease_with_attempts_counted(
    engine: Engine,
) -> None:
    ids = factories.org(engine, people=2)
    factories.pulse(engine, ids)
    with session_scope(engine) as s:
        first = outbox.claim_due(s, worker="dead", now=NOW, limit=10, lease=LEASE)
    assert [c.attempts for c in first] == [1, 1]
    with session_scope(engine) as s:
        assert outbox.claim_due(s, worker="other", now=NOW + LEASE / 2, limit=10, lease=LEASE) == []
        again = outbox.claim_due(s, worker="other", now=NOW + LEASE * 2, limit=10, lease=LEASE)
    assert [c.attempts for c in again] == [2, 2]


def test_retry_and_failure_are_recorded_for_the_claiming_worker_only(engine: Engine) -> None:
    ids = factories.org(engine, people=2)
    pulse_id = factories.pulse(engine, ids)
    with session_scope(engine) as s:
        a, b = outbox.claim_due(s, worker="w", now=NOW, limit=10, lease=LEASE)
        outbox.mark_failed(s, delivery_id=a.delivery_id, worker="intruder", error="x")
        outbox.mark_failed(s, delivery_id=a.delivery_id, worker="w", error="user_disabled")
        later = NOW + dt.timedelta(seconds=30)
        outbox.mark_retry(s, delivery_id=b.delivery_id, worker="w", at=later, error="http_500")
    with session_scope(engine) as s:
        assert outbox.status_counts(s, pulse_id=pulse_id) == {"failed": 1, "pending": 1}
        assert outbox.claim_due(s, worker="w", now=NOW, limit=10, lease=LEASE) == []
        assert outbox.unfinished(s, pulse_id=pulse_id) == (1, later)
