"""Migration 0003 on a database written by 0001: comments move to their own key (when the
upgrade has PULSE_SECRET), nothing is lost, and its authors still find them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine, insert
from sqlmodel import Session, col, select

from storage.comments import written_by
from storage.db import make_engine, session_scope
from storage.migrate import upgrade
from storage.models import (
    Comment,
    Delivery,
    Pulse,
    Response,
    Team,
    Workspace,
)
from storage.pseudonym import Respondent, comment_key, respondent_key
from tests.conftest import PG_URL, pg_schema

SECRET = "migration-test-secret-0123456789"
NOW = dt.datetime(2026, 11, 24, 9, tzinfo=dt.UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def old_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database at revision 0001 (before held answers and comment keys)."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
        upgrade(engine, "0001")
        yield engine
        engine.dispose()
        return
    if not PG_URL:
        pytest.skip("TEST_DATABASE_URL not set: PostgreSQL tests skipped")
    with pg_schema() as url:
        engine = make_engine(url)
        upgrade(engine, "0001")
        yield engine
        engine.dispose()


def _table_at_0001(session: Session, name: str) -> sa.Table:
    return sa.Table(name, sa.MetaData(), autoload_with=session.connection())


def _old_rows(engine: Engine) -> int:
    """Two people answered and commented under the 0001 key; a third person's comment has
    no delivery left (deleted from the database). Returns the pulse id."""
    with session_scope(engine) as s:
        ws = Workspace(slack_team_id="T1")
        s.add(ws)
        s.flush()
        team = Team(workspace_id=ws.id or 0, key="t", name="T")
        s.add(team)
        s.flush()
        question = _table_at_0001(s, "question")  # the model has more columns since
        q_id = s.exec(
            question.insert()
            .values(key="q", driver="d", kind="likert5", text="?", scale="")
            .values(builtin=True, active=True, retired=False)
            .returning(question.c.id)
        ).one()[0]
        pid = s.exec(  # the columns of 0001 only (the model has more since)
            insert(Pulse)
            .values(
                workspace_id=ws.id or 0,
                team_id=team.id or 0,
                period_start=NOW.date(),
                opened_at=NOW,
                closes_at=NOW + dt.timedelta(hours=72),
                closed_at=NOW + dt.timedelta(hours=72),
            )
            .returning(col(Pulse.id))
        ).one()[0]
        employee = _table_at_0001(s, "employee")
        for user in ("U1", "U2"):
            employee_id = s.exec(
                employee.insert()
                .values(workspace_id=ws.id or 0, slack_user_id=user, name="", tz="UTC")
                .values(is_active=True, opted_out=False)
                .returning(employee.c.id)
            ).one()[0]
            s.add(Delivery(pulse_id=pid, employee_id=employee_id, next_attempt_at=NOW))
        for user in ("U1", "U2", "U3"):
            old = respondent_key(SECRET.encode(), workspace="T1", user_id=user, pulse_id=pid)
            s.add(Response(pulse_id=pid, question_id=q_id, respondent=old, value=4))
            s.add(Comment(pulse_id=pid, respondent=old, body=f"from {user}"))
        return pid


def test_comments_are_rekeyed_at_upgrade_and_still_found_by_their_authors(
    old_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid = _old_rows(old_engine)
    monkeypatch.setenv("PULSE_SECRET", SECRET)
    upgrade(old_engine)
    key = SECRET.encode()
    with session_scope(old_engine) as s:
        comments = {c.body: c.respondent for c in s.exec(select(Comment))}
        answers = set(s.exec(select(Response.respondent)))
        for user in ("U1", "U2"):  # re-keyed: no longer beside their author's answers
            assert comments[f"from {user}"] == comment_key(
                key, workspace="T1", user_id=user, pulse_id=pid
            )
        assert comments["from U3"] in answers  # nobody to recompute the old key from
        assert len(answers) == 3  # every answer kept
        for user in ("U1", "U2", "U3"):  # each author still finds their own comment
            who = Respondent(key, workspace="T1", user_id=user, pulse_id=pid)
            assert written_by(s, respondent=who) == {None: f"from {user}"}
