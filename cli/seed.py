"""A large synthetic org for benchmarks: `pulse seed --employees 10000 --teams 200 --weeks 104`.

Builds, in an empty database, what two years of use leave behind: departments, teams, people,
the question bank, a weekly pulse per team with the bot's own rotation, deliveries, ~80%
participation (≈4M answers at the defaults) and weekly CX metrics whose truth is planted
(cli.org_model). Loads in bulk: COPY on PostgreSQL, executemany in one transaction on
SQLite; then seals every closed pulse with storage.seal, as the closing job would. Run it as
`pulse seed …` (or `python -m bench.seed …`, same options).
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import Engine, text

from cli.org_model import (
    PER_DEPARTMENT,
    WORKSPACE,
    Question,
    Truth,
    config_for,
    departments,
    respondent,
)
from figures import ready, store
from insights.questions import QuestionBank, load_bank
from insights.rotation import choose_questions
from storage.cx import upsert_metrics
from storage.db import make_engine, session_scope
from storage.migrate import upgrade
from storage.models import (
    Delivery,
    Employee,
    Membership,
    Pulse,
    PulseQuestion,
    Response,
    Team,
    Workspace,
)
from storage.questions import sync_questions
from storage.seal import seal_closed

TIMES = ("opened_at", "closes_at", "closed_at")


class SeedError(Exception):
    """The seed cannot run (the database is not empty)."""


class _Bulk:
    """Appends rows to a table fast: COPY on PostgreSQL, executemany on SQLite."""

    def __init__(self, engine: Engine) -> None:
        self.conn = engine.raw_connection()
        self.pg = engine.dialect.name == "postgresql"
        cur = self.conn.cursor()
        if not self.pg:
            cur.execute("PRAGMA synchronous=OFF")
            cur.execute("PRAGMA cache_size=-262144")
            cur.execute("BEGIN")

    def rows(self, model: type, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        cur, table = self.conn.cursor(), model.__tablename__  # type: ignore[attr-defined]
        if self.pg:
            with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" * len(columns))
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
            cur.executemany(sql, rows)  # type: ignore[arg-type]

    def close(self) -> None:
        """Commit; on PostgreSQL, move the pulse id sequence past the ids written explicitly."""
        cur = self.conn.cursor()
        if self.pg:
            cur.execute("SELECT setval(pg_get_serial_sequence('pulse', 'id'), max(id)) FROM pulse")
            self.conn.commit()
        else:
            cur.execute("COMMIT")
        self.conn.close()


def _stamp(moment: dt.datetime, pg: bool) -> Any:
    """A UTC column value as storage.models.UTCDateTime writes it (naive UTC)."""
    naive = moment.replace(tzinfo=None)
    return naive if pg else naive.strftime("%Y-%m-%d %H:%M:%S.%f")


def _org(engine: Engine, employees: int, teams: int) -> _Org:
    """Workspace, departments, teams, people, memberships; returns ids and each person's team."""
    with session_scope(engine) as s:
        if s.exec(text("SELECT 1 FROM workspace LIMIT 1")).first():  # type: ignore[call-overload]
            raise SeedError("the database already holds data: seed an empty database")
        ws = Workspace(slack_team_id=WORKSPACE, name="Seeded Co")
        s.add(ws)
        s.flush()
        assert ws.id is not None
        depts = [
            Team(workspace_id=ws.id, key=f"dept-{d:02d}", name=f"Dept {d}")
            for d in departments(teams)
        ]
        s.add_all(depts)
        s.flush()
        leaves = [
            Team(
                workspace_id=ws.id,
                key=f"team-{t:03d}",
                name=f"Team {t}",
                usergroup=f"S{t:06d}",
                parent_id=depts[t // PER_DEPARTMENT].id,
                synced_at=dt.datetime.now(dt.UTC),
            )
            for t in range(teams)
        ]
        people = [Employee(workspace_id=ws.id, slack_user_id=f"U{e:07d}") for e in range(employees)]
        s.add_all([*leaves, *people])
        s.flush()
        if [p.id for p in people] != list(range(1, employees + 1)):
            raise SeedError("employee ids do not start at 1: seed an empty database")
        team_ids = [t.id for t in leaves if t.id is not None]
        team_of = np.arange(employees) * teams // employees  # contiguous, even-sized teams
        s.add_all(Membership(team_id=team_ids[t], employee_id=e + 1) for e, t in enumerate(team_of))
        return _Org(ws.id, team_ids, team_of)


def _rotation(weeks: int) -> tuple[list[list[str]], QuestionBank]:
    """Every team's question keys per week (the rotation is the same for all teams)."""
    bank = load_bank()
    history: list[list[str]] = []
    for _ in range(weeks):
        history.append(choose_questions(bank, history=history, size=5, enps_every=4))
    return history, bank


@dataclass(frozen=True)
class _Org:
    workspace_id: int
    team_ids: list[int]
    team_of: np.ndarray  # each person's team index (people are ids 1..n in order)


def _week(
    bulk: _Bulk,
    rng: np.random.Generator,
    *,
    truth: Truth,
    org: _Org,
    week: int,
    monday: dt.date,
    asked: list[Question],
    now: dt.datetime,
) -> int:
    """One week: a pulse per team, its questions, deliveries and answers; returns answers."""
    opened = dt.datetime.combine(monday + dt.timedelta(days=1), dt.time(10), dt.UTC)
    closes = opened + dt.timedelta(hours=72)
    pulse_ids = [week * len(org.team_ids) + t + 1 for t in range(len(org.team_ids))]
    stamps = (_stamp(opened, bulk.pg), _stamp(closes, bulk.pg))
    closed = stamps[1] if closes <= now else None
    bulk.rows(
        Pulse,
        ["id", "workspace_id", "team_id", "cycle_date", "period_start", *TIMES],
        (
            (p, org.workspace_id, tid, monday + dt.timedelta(days=1), monday, *stamps, closed)
            for p, tid in zip(pulse_ids, org.team_ids, strict=True)
        ),
    )
    bulk.rows(
        PulseQuestion,
        ["pulse_id", "question_id", "position"],
        ((p, qid, i) for p in pulse_ids for i, (qid, _, _) in enumerate(asked)),
    )
    bulk.rows(
        Delivery,
        ["pulse_id", "employee_id", "status", "attempts", "next_attempt_at", "sent_at"],
        ((pulse_ids[t], e + 1, "sent", 1, stamps[0], stamps[0]) for e, t in enumerate(org.team_of)),
    )
    scored = [q for q in asked if q[2] != "text"]
    who, grid = truth.answers(rng, org.team_of, week, scored)
    hexes = os.urandom(8 * grid.size).hex()  # unordered ids, like storage.models.random_id
    ids = (hexes[i : i + 16] for i in range(0, len(hexes), 16))
    rows = []
    for i, e in enumerate(who.tolist()):
        pid = pulse_ids[org.team_of[e]]
        key = respondent(e, pid)
        rows += [
            (next(ids), pid, q[0], key, v) for q, v in zip(scored, grid[i].tolist(), strict=True)
        ]
    bulk.rows(Response, ["id", "pulse_id", "question_id", "respondent", "value"], rows)
    return len(rows)


def seed_database(url: str, **options: Any) -> int:
    """`pulse seed`: migrate the database at ``url``, then fill it (see seed)."""
    engine = make_engine(url)
    try:
        upgrade(engine)
        return seed(engine, **options)
    finally:
        engine.dispose()


def seed(
    engine: Engine,
    *,
    employees: int = 10_000,
    teams: int = 200,
    weeks: int = 104,
    until: dt.date | None = None,
    seed: int = 0,
    log: Callable[[str], None] = print,
    keep_ready: bool = True,
    on_week: Callable[[int], None] | None = None,
) -> int:
    """Fill an empty database; the last week is the one containing ``until`` (default today).
    Like the running product, it seals every closed pulse and (``keep_ready``) keeps the
    seeded config's figures ready, as the worker does (figures.store).

    Returns the number of answers written. ``on_week`` is told each week's answers as it is
    written (a progress bar); without it every tenth week is logged.
    """
    started = time.monotonic()
    org = _org(engine, employees, teams)
    history, bank = _rotation(weeks)
    with session_scope(engine) as s:
        rows = sync_questions(s, bank.active())  # type: ignore[arg-type]
    log(f"org: {teams} teams, {employees:,} people ({time.monotonic() - started:.0f} s)")
    last = until or dt.date.today()
    first = last - dt.timedelta(days=last.weekday(), weeks=weeks - 1)
    rng = np.random.default_rng(seed)
    truth = Truth.draw(rng, teams, employees, weeks)
    bulk, answers, now = _Bulk(engine), 0, dt.datetime.now(dt.UTC)
    for w in range(weeks):
        asked = [(rows[k].id or 0, rows[k].driver, rows[k].kind) for k in history[w]]
        monday = first + dt.timedelta(weeks=w)
        written = _week(
            bulk, rng, truth=truth, org=org, week=w, monday=monday, asked=asked, now=now
        )
        answers += written
        if on_week is not None:
            on_week(written)
        elif (w + 1) % 10 == 0 or w + 1 == weeks:
            log(f"week {w + 1}/{weeks}: {answers:,} answers ({time.monotonic() - started:.0f} s)")
    bulk.close()
    with session_scope(engine) as s:
        sealed = seal_closed(s, now=now)  # what jobs.closing leaves: every closed pulse sealed
    log(f"sealed {len(sealed):,} closed pulses ({time.monotonic() - started:.0f} s)")
    metrics = truth.cx_rows(org.team_ids, first, rng)
    with session_scope(engine) as s:
        upsert_metrics(s, workspace_id=org.workspace_id, rows=metrics)
    if keep_ready:  # what the worker does after every close (jobs.kept_figures)
        config, ws = config_for(teams), org.workspace_id
        with session_scope(engine) as s:
            weeks_kept = store.refresh(s, config=config, workspace_id=ws)
        with session_scope(engine) as s:
            reports = ready.warm(s, config=config, workspace_id=ws, now=now)
        log(
            f"kept figures of {weeks_kept} weeks and {reports} team reports ready "
            f"({time.monotonic() - started:.0f} s)"
        )
    if bulk.pg:  # what autovacuum does soon after a load this size (statistics, and the
        # visibility map that lets index-only scans skip the table); SQLite has neither
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    elapsed = time.monotonic() - started
    log(f"done: {answers:,} answers, {len(metrics):,} CX values in {elapsed:.0f} s")
    return answers
