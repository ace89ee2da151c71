"""What conversations store, on SQLite and PostgreSQL: no author id and no author time for a
database reader, nor rows lying in the order replies arrived; the bot finds the author only
through the comment's key; the relay keeps each thread's replies in the order written; the
k rule gates replies and the inbox; `/pulse my-data` shows and ends them; retention deletes
them."""

from __future__ import annotations

import datetime as dt
import tomllib

import pytest
from sqlalchemy import Engine, text
from sqlmodel import select, update

from bot import conversations as convo
from bot import mydata
from bot.inbox import inbox
from settings.config import AppConfig, parse_config
from storage import conversations
from storage.comments import save_written_answer
from storage.db import session_scope
from storage.models import Comment, ConversationHeld, ConversationMessage, Pulse
from storage.pseudonym import comment_key, respondent_key
from storage.pulses import pulse_view
from storage.responses import record_answer
from storage.seal import purge, seal
from tests import factories
from tests.conftest import REPO
from tests.factories import NOW, WORKSPACE

SECRET = b"conversation-test-secret"
CLOSED = NOW + dt.timedelta(days=4)
AUTHOR = "U0002"


def _config() -> AppConfig:
    return parse_config(tomllib.loads((REPO / "config.toml").read_text()))


def _closed_pulse(engine: Engine, *, respondents: int) -> tuple[int, str]:
    """A pulse of the support team closed and sealed with `respondents`; AUTHOR commented.
    Returns (pulse id, comment id)."""
    ids = factories.org(engine, people=8)
    pulse_id = factories.pulse(engine, ids)
    with session_scope(engine) as s:
        question = pulse_view(s, pulse_id=pulse_id).questions[0]  # type: ignore[union-attr]
        for i in range(respondents):
            key = respondent_key(
                SECRET, workspace=WORKSPACE, user_id=f"U{i:04d}", pulse_id=pulse_id
            )
            record_answer(
                s, pulse_id=pulse_id, question_id=question.id or 0, respondent=key, value=4
            )
        key = comment_key(SECRET, workspace=WORKSPACE, user_id=AUTHOR, pulse_id=pulse_id)
        save_written_answer(
            s, pulse_id=pulse_id, question_id=None, respondent=key, body="Too many meetings"
        )
        s.exec(update(Pulse).where(Pulse.id == pulse_id).values(closed_at=CLOSED))
        seal(s, pulse_id=pulse_id, now=CLOSED)
        comment_id = s.exec(select(Comment.id).where(Comment.pulse_id == pulse_id)).one()
    return pulse_id, comment_id


def _talk(engine: Engine, comment_id: str) -> None:
    with session_scope(engine) as s:
        outcome = convo.manager_save(
            s,
            config=_config(),
            secret=SECRET,
            slack_team_id=WORKSPACE,
            user_id="U0MANAGER",
            comment_id=comment_id,
            reply="Which ones?",
            label=None,
            now=CLOSED,
        )
        assert outcome.errors is None and outcome.dm is not None
        assert outcome.dm[0] == AUTHOR  # reached through the comment's key alone
        saved = convo.author_save(
            s,
            secret=SECRET,
            slack_team_id=WORKSPACE,
            user_id=AUTHOR,
            comment_id=comment_id,
            reply="The Monday status call",
            sign=False,
            confirmed=False,
            now=CLOSED,
        )
        assert saved.errors is None


def test_a_database_reader_finds_no_author_and_no_time(engine: Engine) -> None:
    pulse_id, comment_id = _closed_pulse(engine, respondents=6)
    _talk(engine, comment_id)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM conversation_message")).all()
        held = conn.execute(text("SELECT * FROM conversation_held")).all()
        dump = repr(rows) + repr(held) + repr(conn.execute(text("SELECT * FROM inbox_state")).all())
    assert AUTHOR not in dump and "Person 2" not in dump  # the author: no id, no name
    assert [r.side for r in rows] == ["manager"]  # a waiting reply has no place in the thread
    assert [(r.body, r.turn) for r in held] == [("The Monday status call", 1)]
    assert set(held[0]._mapping) == {"id", "comment_id", "turn", "revealed_name", "body"}
    answers_key = respondent_key(SECRET, workspace=WORKSPACE, user_id=AUTHOR, pulse_id=pulse_id)
    assert answers_key not in dump  # nothing joins the thread to the author's answers
    at = dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC)
    with session_scope(engine) as s:
        released = conversations.release_pending(s, at=at)
    assert [m.body for m in released] == ["The Monday status call"]
    with session_scope(engine) as s:
        thread = conversations.thread(s, comment_id=comment_id)
        assert s.exec(select(ConversationHeld)).all() == []  # released rows leave the held table
    assert [(m.side, m.at) for m in thread] == [("manager", CLOSED), ("author", at)]


def test_on_sqlite_no_rowid_keeps_the_order_replies_arrived_in(engine: Engine) -> None:
    """A rowid follows insertion, so a copy of the file would place each reply among the
    timestamped manager messages; both tables are WITHOUT ROWID, laid out by random id."""
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's rowid; PostgreSQL's heap is a documented limit (NOTES-convo.md)")
    _, comment_id = _closed_pulse(engine, respondents=6)
    _talk(engine, comment_id)
    with session_scope(engine) as s:
        conversations.add_manager_message(
            s, comment_id=comment_id, manager_id="U0MANAGER", body="Thanks", now=CLOSED
        )
        conversations.release_pending(s, at=CLOSED + dt.timedelta(hours=3))
    with engine.connect() as conn:
        for table in ("conversation_message", "conversation_held"):
            sql = conn.execute(
                text("SELECT sql FROM sqlite_master WHERE name = :t"), {"t": table}
            ).scalar_one()
            assert "WITHOUT ROWID" in sql, table
        stored = conn.execute(text("SELECT id FROM conversation_message")).scalars().all()
    assert len(stored) == 3 and stored == sorted(stored)  # file order: the random ids


def test_the_relay_keeps_each_threads_replies_in_the_order_written(engine: Engine) -> None:
    _, comment_id = _closed_pulse(engine, respondents=6)
    _talk(engine, comment_id)  # the author's first reply waits
    other = "0123456789abcdef"  # a second thread in the same batch
    with session_scope(engine) as s:
        conversations.add_manager_message(
            s, comment_id=other, manager_id="U0MANAGER", body="Tell me more", now=CLOSED
        )
        for n in range(2, 9):
            conversations.add_author_message(
                s, comment_id=comment_id, body=f"Also {n}", revealed_name=None
            )
            conversations.add_author_message(
                s, comment_id=other, body=f"Other {n}", revealed_name=None
            )
        released = conversations.release_pending(s, at=CLOSED + dt.timedelta(hours=3))
    mine = ["The Monday status call", *(f"Also {n}" for n in range(2, 9))]
    theirs = [f"Other {n}" for n in range(2, 9)]
    bodies = [m.body for m in released]
    assert bodies in (mine + theirs, theirs + mine)  # whole threads, each in order
    with session_scope(engine) as s:
        thread = conversations.thread(s, comment_id=comment_id)
    assert [m.body for m in thread] == ["Which ones?", *mine]


def test_below_k_a_comment_can_be_neither_listed_nor_answered(engine: Engine) -> None:
    _, comment_id = _closed_pulse(engine, respondents=4)
    config = _config()
    with session_scope(engine) as s:
        assert (
            convo.open_thread(
                s,
                config=config,
                slack_team_id=WORKSPACE,
                user_id="U0MANAGER",
                comment_id=comment_id,
            )
            == convo.NOT_ALLOWED
        )
        found = inbox(
            s,
            config=config,
            workspace_id=s.exec(select(Pulse.workspace_id)).first() or 0,
            user_id="U0MANAGER",
            now=CLOSED,
            driver_labels={},
        )
        assert found.total == 0


def test_my_data_shows_and_erases_conversations(engine: Engine) -> None:
    _, comment_id = _closed_pulse(engine, respondents=6)
    _talk(engine, comment_id)
    with session_scope(engine) as s:
        record = mydata.collect(s, secret=SECRET, slack_team_id=WORKSPACE, user_id=AUTHOR)
    assert record is not None
    talks = [t for p in record["pulses"] for t in p["conversations"]]
    assert [m["text"] for m in talks[0]["messages"]] == ["Which ones?", "The Monday status call"]
    with session_scope(engine) as s:
        other = mydata.collect(s, secret=SECRET, slack_team_id=WORKSPACE, user_id="U0003")
    assert other is not None and not any(p["conversations"] for p in other["pulses"])
    with session_scope(engine) as s:
        mydata.erase_answers(s, secret=SECRET, slack_team_id=WORKSPACE, user_id=AUTHOR)
    with session_scope(engine) as s:
        assert s.exec(select(ConversationMessage)).all() == []
        assert s.exec(select(ConversationHeld)).all() == []  # the waiting reply too


def test_retention_deletes_conversations_with_their_comments(engine: Engine) -> None:
    pulse_id, comment_id = _closed_pulse(engine, respondents=6)
    _talk(engine, comment_id)
    with session_scope(engine) as s:
        conversations.set_label(s, comment_id=comment_id, label="idea")
        purge(s, pulse_id=pulse_id, now=CLOSED + dt.timedelta(days=30))
    with engine.connect() as conn:
        tables = ("conversation_message", "conversation_held", "inbox_state", "comment_label")
        for table in (*tables, "comment"):
            assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar() == 0


def test_withdrawing_a_comment_ends_its_conversation(engine: Engine) -> None:
    from bot.home import delete_comment

    pulse_id, comment_id = _closed_pulse(engine, respondents=6)
    _talk(engine, comment_id)
    with session_scope(engine) as s:
        removed = delete_comment(
            s, secret=SECRET, slack_team_id=WORKSPACE, user_id=AUTHOR, raw_pulse_id=str(pulse_id)
        )
    assert removed == 1
    with session_scope(engine) as s:
        assert s.exec(select(ConversationMessage)).all() == []
        assert s.exec(select(ConversationHeld)).all() == []
