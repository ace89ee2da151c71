"""Held answers: released once and whole, still the author's to read, delete and erase."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, func
from sqlmodel import select

from bot.mydata import collect, erase_answers
from storage.comments import delete_written, write, written_by
from storage.db import session_scope
from storage.held import hold_answer
from storage.models import Comment, Held, Response
from storage.pseudonym import Respondent
from storage.pulses import pulse_view
from storage.release import release, release_closed
from storage.responses import answers_of, record_answer
from tests import factories
from tests.factories import NOW, WORKSPACE

SECRET = b"held-test-secret-held-test-secret"
CLOSED = NOW + dt.timedelta(hours=72)


def _who(pulse_id: int, user: str = "U0000") -> Respondent:
    return Respondent(SECRET, workspace=WORKSPACE, user_id=user, pulse_id=pulse_id)


def _counts(engine: Engine) -> tuple[int, int, int]:
    with session_scope(engine) as s:
        return tuple(  # type: ignore[return-value]
            s.exec(select(func.count()).select_from(t)).one() for t in (Response, Comment, Held)
        )


def _answered_pulse(engine: Engine) -> tuple[int, int]:
    ids = factories.org(engine, people=3)
    pulse_id = factories.pulse(engine, ids)
    with session_scope(engine) as s:
        qid = pulse_view(s, pulse_id=pulse_id).questions[0].id or 0
        for user in ("U0000", "U0001"):
            hold_answer(s, respondent=_who(pulse_id, user), question_id=qid, value=4)
            write(s, respondent=_who(pulse_id, user), question_id=None, body=f"said by {user}")
    return pulse_id, qid


def test_a_crash_during_release_loses_nothing_and_a_retry_moves_everything_once(
    engine: Engine,
) -> None:
    pulse_id, _ = _answered_pulse(engine)
    assert _counts(engine) == (0, 0, 6)  # two answers, two comments, two people
    with pytest.raises(RuntimeError), session_scope(engine) as s:
        release(s, secret=SECRET, pulse_id=pulse_id)
        raise RuntimeError("worker killed before commit")
    assert _counts(engine) == (0, 0, 6)
    for _ in range(2):  # the retry, then a second close run
        with session_scope(engine) as s:
            release_closed(s, secret=SECRET, now=CLOSED)
    assert _counts(engine) == (2, 2, 0)


def test_an_answer_stored_before_the_upgrade_is_replaced_not_doubled(engine: Engine) -> None:
    pulse_id, qid = _answered_pulse(engine)
    with session_scope(engine) as s:  # U0000 answered 1 before answers were held, then 4
        record_answer(
            s, pulse_id=pulse_id, question_id=qid, respondent=_who(pulse_id).answers, value=1
        )
        release(s, secret=SECRET, pulse_id=pulse_id)
    with session_scope(engine) as s:
        assert answers_of(s, respondent=_who(pulse_id)) == {qid: 4}
        assert len(s.exec(select(Response)).all()) == 2


def test_the_author_reads_and_deletes_their_comment_before_and_after_the_close(
    engine: Engine,
) -> None:
    pulse_id, _ = _answered_pulse(engine)
    with session_scope(engine) as s:
        assert written_by(s, respondent=_who(pulse_id)) == {None: "said by U0000"}
        assert delete_written(s, respondent=_who(pulse_id), question_id=None) == 1
        assert written_by(s, respondent=_who(pulse_id)) == {}
        release(s, secret=SECRET, pulse_id=pulse_id)
    with session_scope(engine) as s:
        who = _who(pulse_id, "U0001")
        assert written_by(s, respondent=who) == {None: "said by U0001"}
        assert delete_written(s, respondent=who, question_id=None) == 1
        assert s.exec(select(Comment.body)).all() == []


@pytest.mark.parametrize("closed", [False, True])
def test_my_data_shows_and_erases_answers_and_comments(engine: Engine, closed: bool) -> None:
    pulse_id, _ = _answered_pulse(engine)
    if closed:
        with session_scope(engine) as s:
            release(s, secret=SECRET, pulse_id=pulse_id)
    mine = {"secret": SECRET, "slack_team_id": WORKSPACE, "user_id": "U0000"}
    with session_scope(engine) as s:
        (pulse,) = collect(s, **mine)["pulses"]  # type: ignore[index]
    assert [a["value"] for a in pulse["answers"]] == [4]
    assert pulse["written"] == [{"question": "comment", "text": "said by U0000"}]
    with session_scope(engine) as s:
        values_before = sorted(s.exec(select(Response.value)).all())
        erased = erase_answers(s, **mine)
    # Open: the answer and the comment are deleted. Closed: the comment is deleted, and the
    # answer stays in the shown figures under a random code (deleting it would move them by
    # one person, and the difference would be this person's answer).
    assert (erased.deleted, erased.unlinked) == ((1, 1) if closed else (2, 0))
    with session_scope(engine) as s:
        (pulse,) = collect(s, **mine)["pulses"]  # type: ignore[index]
        assert pulse["answers"] == [] and pulse["written"] == []
        other = _who(pulse_id, "U0001")  # someone else's answers stay
        assert len(answers_of(s, respondent=other)) == 1
        if closed:
            assert sorted(s.exec(select(Response.value)).all()) == values_before
            keys = set(s.exec(select(Response.respondent)).all())
            assert _who(pulse_id, "U0000").answers not in keys and len(keys) == 2


def test_rows_sealed_under_another_secret_stay_held_and_closing_goes_on(engine: Engine) -> None:
    pulse_id, _ = _answered_pulse(engine)
    with session_scope(engine) as s:
        assert release_closed(s, secret=b"a-changed-secret-a-changed-secret", now=CLOSED) == [
            pulse_id
        ]
    assert _counts(engine) == (0, 0, 6)  # nothing lost, nothing half-moved
    with session_scope(engine) as s:  # the right secret is back
        release_closed(s, secret=SECRET, now=CLOSED)
    assert _counts(engine) == (2, 2, 0)
