"""`pulse backup` / `pulse restore` bring back every answer, on SQLite and PostgreSQL."""

from __future__ import annotations

import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import select

from storage.backup import backup, restore
from storage.db import make_engine, session_scope
from storage.migrate import upgrade
from storage.models import Response
from storage.pulses import pulse_view
from storage.responses import pulse_aggregate, record_answer
from tests import factories
from tests.conftest import PG_URL, REPO


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'live.db'}"
        return
    if not PG_URL:
        pytest.skip("TEST_DATABASE_URL not set: PostgreSQL tests skipped")
    name = f"pulse_backup_{secrets.token_hex(4)}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))
        admin.dispose()


def _pulse(*args: str, url: str) -> subprocess.CompletedProcess[str]:
    env = {"DATABASE_URL": url, "PULSE_CONFIG": str(REPO / "config.toml"), "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_backup_and_restore_round_trip(database_url: str, tmp_path: Path) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    ids = factories.org(engine, people=6)
    pulse_id = factories.pulse(engine, ids)
    with session_scope(engine) as s:
        qid = pulse_view(s, pulse_id=pulse_id).questions[0].id
        for i in range(6):
            record_answer(
                s, pulse_id=pulse_id, question_id=qid, respondent=f"r{i}", value=1 + i % 5
            )
    with session_scope(engine) as s:
        before = pulse_aggregate(s, pulse_id=pulse_id)
    target = tmp_path / "pulse.backup"
    done = _pulse("backup", str(target), url=database_url)
    assert done.returncode == 0, done.stderr
    assert target.stat().st_size > 0

    with session_scope(engine) as s:  # disaster: answers lost
        for row in s.exec(select(Response)):
            s.delete(row)
    engine.dispose()
    done = _pulse("restore", str(target), url=database_url)
    assert done.returncode == 0, done.stderr
    engine = make_engine(database_url)
    with session_scope(engine) as s:
        assert pulse_aggregate(s, pulse_id=pulse_id) == before
    engine.dispose()


def test_restore_of_a_missing_file_fails_with_one_line(tmp_path: Path) -> None:
    done = _pulse("restore", str(tmp_path / "nope.backup"), url=f"sqlite:///{tmp_path / 'x.db'}")
    assert done.returncode == 2
    assert done.stderr.strip() == f"pulse: {tmp_path / 'nope.backup'}: no such backup file"


class _Seen:
    """A progress sink, as the CLI's bar: the total once, then each step."""

    def __init__(self) -> None:
        self.total: int | None = None
        self.done = 0

    def start(self, total: int) -> None:
        self.total = total

    def advance(self, count: int) -> None:
        self.done += count


def test_a_restore_tells_how_far_it_is(database_url: str, tmp_path: Path) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    factories.pulse(engine, factories.org(engine, people=6))
    engine.dispose()
    target = tmp_path / "pulse.backup"
    backup(database_url, target)
    seen = _Seen()
    restore(database_url, target, progress=seen)
    assert seen.total is not None and seen.total > 0
    if database_url.startswith("sqlite"):
        assert seen.done == seen.total  # pages
    else:
        assert 0 < seen.done <= seen.total  # archive items (tables, their data, indexes, …)
