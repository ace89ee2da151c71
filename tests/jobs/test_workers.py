"""Real `pulse worker --send-only` processes: kill -9 mid fan-out, and three workers at once."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func
from sqlmodel import col, select

from bench.fanout import database, seed_database, seed_sandbox, start_worker, tally, worker_env
from sandbox.server import SandboxServer
from storage import outbox
from storage.db import make_engine, session_scope
from storage.models import Delivery
from tests.conftest import PG_URL


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    """A fresh database the worker processes reach by URL (PostgreSQL: a schema of its own)."""
    if request.param == "postgresql" and not PG_URL:
        pytest.skip("TEST_DATABASE_URL not set: PostgreSQL tests skipped")
    with database("sqlite" if request.param == "sqlite" else PG_URL or "", tmp_path) as url:
        engine = make_engine(url)
        yield url, engine
        engine.dispose()


@pytest.fixture
def procs() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Worker processes a test started; any still running at the end are killed."""
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _statuses(engine: Engine, pulse_id: int) -> dict[str, int]:
    with session_scope(engine) as s:
        return outbox.status_counts(s, pulse_id=pulse_id)


def test_kill_9_mid_fan_out_then_restart_leaves_exactly_one_dm_each(
    db: tuple[str, Engine], sandbox: SandboxServer, tmp_path: Path, procs: list
) -> None:
    url, engine = db
    users = seed_sandbox(sandbox.workspace, 400)
    pulse_id = seed_database(engine, users)
    sandbox.set_rate_limit("chat.postMessage", 200)
    env = worker_env(sandbox, url, tmp_path, rate=200, threads=8)
    procs.append(start_worker(env, "worker.1"))
    deadline = time.monotonic() + 30
    while _statuses(engine, pulse_id).get("sent", 0) < 150:
        assert procs[0].poll() is None and time.monotonic() < deadline
        time.sleep(0.02)
    procs[0].kill()  # SIGKILL: no cleanup, claims and unrecorded posts left behind
    procs[0].wait()
    assert _statuses(engine, pulse_id).get("claimed", 0) > 0
    procs.append(start_worker(env, "worker.1"))  # same name: takes its claims back at once
    assert procs[1].wait(timeout=60) == 0
    assert tally(sandbox.workspace, users, pulse_id) == (0, 0)
    assert _statuses(engine, pulse_id) == {"sent": 400}
    with session_scope(engine) as s:
        rechecked = s.exec(select(func.count()).where(col(Delivery.attempts) > 1)).one()
    assert rechecked > 0  # the restart checked Slack before re-sending what was in flight


@pytest.mark.postgres
def test_three_workers_on_postgresql_send_2000_with_no_duplicate_and_no_miss(
    sandbox: SandboxServer, tmp_path: Path, procs: list
) -> None:
    if not PG_URL:
        pytest.skip("TEST_DATABASE_URL not set: PostgreSQL tests skipped")
    with database(PG_URL, tmp_path) as url:
        engine = make_engine(url)
        users = seed_sandbox(sandbox.workspace, 2000)  # with web processes too: test_scale
        pulse_id = seed_database(engine, users)
        env = worker_env(sandbox, url, tmp_path, rate=1000, threads=8)
        procs.extend(start_worker(env, f"worker.{i}") for i in range(1, 4))
        assert [p.wait(timeout=120) for p in procs] == [0, 0, 0]
        assert tally(sandbox.workspace, users, pulse_id) == (0, 0)
        with session_scope(engine) as s:
            per_worker = dict(
                s.exec(
                    select(Delivery.claimed_by, func.count()).group_by(col(Delivery.claimed_by))
                ).all()
            )
        engine.dispose()
    assert sum(per_worker.values()) == 2000 and len(per_worker) == 3  # all three really sent
