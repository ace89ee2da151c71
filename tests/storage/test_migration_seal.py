"""Migration 0004 on a database written at 0003: every closed pulse is sealed (sums,
respondents, invited), pulses retention folded before count as sealed and purged, an open
pulse waits for its close, and the figures read the same as the old code computed them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import Engine
from sqlmodel import col, select

from storage.db import make_engine, session_scope
from storage.migrate import alembic_config, upgrade
from storage.models import Pulse, ResponseRollup
from storage.seal import SUMS
from tests.conftest import PG_URL, pg_schema

NOW = dt.datetime(2026, 11, 2, 9)  # naive UTC, as stored
M = sa.MetaData()
PULSE = sa.Table(
    "pulse",
    M,
    *(sa.Column(c, sa.Integer) for c in ("id", "workspace_id", "team_id", "folded_respondents")),
    sa.Column("period_start", sa.Date),
    *(sa.Column(c, sa.DateTime) for c in ("opened_at", "closes_at", "closed_at")),
)
ROLLUP = sa.Table(
    "response_rollup",
    M,
    *(sa.Column(c, sa.Integer) for c in ("pulse_id", "question_id", *SUMS)),
)
ROWS = {
    "workspace": [{"id": 1, "slack_team_id": "T1", "name": ""}],
    "team": [{"id": 1, "workspace_id": 1, "key": "t", "name": "T"}],
    "question": [
        {"id": q, "key": f"q{q}", "driver": "d", "kind": k, "text": "?", "scale": ""}
        | {"builtin": True, "active": True, "retired": False}
        for q, k in ((1, "likert5"), (2, "nps10"))
    ],
    "employee": [
        {"id": e, "workspace_id": 1, "slack_user_id": f"U{e}", "name": "", "tz": "UTC"}
        | {"is_active": True, "opted_out": False}
        for e in range(1, 7)
    ],
}
CLOSED, FOLDED, OPEN = 1, 2, 3


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def old_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A database at revision 0003, before seals."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
        upgrade(engine, "0003")
        yield engine
        engine.dispose()
        return
    if not PG_URL:
        pytest.skip("TEST_DATABASE_URL not set: PostgreSQL tests skipped")
    with pg_schema() as url:
        engine = make_engine(url)
        upgrade(engine, "0003")
        yield engine
        engine.dispose()


def _old_rows(engine: Engine) -> None:
    """A closed pulse with its answers and DMs, one folded by retention, one still open."""
    with engine.begin() as conn:
        for name, rows in ROWS.items():
            conn.execute(sa.Table(name, sa.MetaData(), autoload_with=conn).insert(), rows)
        week = NOW.date()
        conn.execute(
            PULSE.insert(),
            [
                {"id": p, "workspace_id": 1, "team_id": 1, "period_start": week}
                | {"opened_at": NOW, "closes_at": NOW + dt.timedelta(hours=72)}
                | {"closed_at": closed, "folded_respondents": folded}
                for p, closed, folded in (
                    (CLOSED, NOW + dt.timedelta(hours=72), None),
                    (FOLDED, NOW + dt.timedelta(hours=72), 7),
                    (OPEN, None, None),
                )
            ],
        )
        conn.execute(  # the open pulse closes in a year
            PULSE.update().where(PULSE.c.id == OPEN).values(closes_at=NOW + dt.timedelta(days=365))
        )
        conn.execute(
            ROLLUP.insert(),
            [{"pulse_id": FOLDED, "question_id": 1, "n": 7, "total": 28, "total_sq": 112}
             | {"favourable": 7, "promoters": 0, "detractors": 0}],
        )  # fmt: skip
        answers = [(r, 1, v) for r, v in (("a", 5), ("b", 4), ("c", 2))] + [
            (r, 2, v) for r, v in (("a", 10), ("b", 6), ("c", 9))
        ]
        conn.execute(
            sa.text(
                "INSERT INTO response (id, pulse_id, question_id, respondent, value)"
                " VALUES (:id, :p, :q, :r, :v)"
            ),
            [{"id": f"{r}{q}", "p": CLOSED, "q": q, "r": r, "v": v} for r, q, v in answers],
        )
        statuses = ("sent", "sent", "pending", "failed", "skipped", "sent")
        for pulse_id in (CLOSED, FOLDED, OPEN):
            conn.execute(
                sa.text(
                    "INSERT INTO delivery (pulse_id, employee_id, status, attempts,"
                    " next_attempt_at) VALUES (:p, :e, :s, 0, :t)"
                ),
                [
                    {"p": pulse_id, "e": e, "s": s, "t": NOW}
                    for e, s in enumerate(statuses, start=1)
                ],
            )


def _seals(engine: Engine) -> dict[int, tuple]:
    with session_scope(engine) as s:
        pulses = s.exec(select(Pulse).order_by(col(Pulse.id))).all()
        return {
            p.id or 0: (p.sealed_at is not None, p.respondents, p.invited, p.purged_at is not None)
            for p in pulses
        }


def test_every_closed_pulse_is_sealed_and_folded_ones_count_as_purged(
    old_engine: Engine,
) -> None:
    _old_rows(old_engine)
    upgrade(old_engine)
    assert _seals(old_engine) == {
        CLOSED: (True, 3, 4, False),  # 6 DMs, one failed and one skipped
        FOLDED: (True, 7, 4, True),
        OPEN: (False, None, None, False),
    }
    with session_scope(old_engine) as s:
        rollup = {
            (r.pulse_id, r.question_id): (
                *(r.n, r.total, r.total_sq),
                *(r.favourable, r.promoters, r.detractors),
            )
            for r in s.exec(select(ResponseRollup))
        }
    assert rollup == {
        (CLOSED, 1): (3, 11, 45, 2, 0, 3),  # the kind decides which count is read
        (CLOSED, 2): (3, 25, 217, 3, 2, 1),
        (FOLDED, 1): (7, 28, 112, 7, 0, 0),
    }

    command.downgrade(
        alembic_config(old_engine), "0003"
    )  # down: the closed pulse's sums go, the folded ones stay
    with old_engine.connect() as conn:
        assert conn.execute(sa.select(ROLLUP.c.pulse_id).distinct()).scalars().all() == [FOLDED]
        folded = sa.select(PULSE.c.id, PULSE.c.folded_respondents).order_by(PULSE.c.id)
        assert conn.execute(folded).all() == [(CLOSED, None), (FOLDED, 7), (OPEN, None)]
    upgrade(old_engine)  # and up again: the same seals
    assert _seals(old_engine)[CLOSED] == (True, 3, 4, False)
