"""A pulse is sealed when it closes, and every figure reads only its seal.

Answers are held while the pulse is open and released by the close (jobs.closing), as in
production; the seal is written in that same transaction. After it, the frames every figure
starts from (storage.aggregates) do not move when the raw answers, DMs or comments go.
"""

from __future__ import annotations

import datetime as dt
import tomllib

import pytest
from sqlalchemy import Engine, delete, func
from sqlmodel import Session, col, select, update

from jobs import closing, retention
from settings.config import parse_config
from storage.aggregates import driver_agg, participation
from storage.comments import write
from storage.db import session_scope
from storage.held import hold_answer
from storage.models import ClosedDm, Comment, Delivery, Held, Pulse, Response, ResponseRollup
from storage.pseudonym import Respondent
from storage.pulses import pulse_view
from storage.responses import pulse_aggregate
from storage.seal import purge, seal
from tests import factories
from tests.conftest import REPO
from tests.factories import NOW, WORKSPACE

SECRET = b"seal-test-secret-seal-test-secret"
CLOSES = NOW + dt.timedelta(hours=72)
LATER = NOW + dt.timedelta(days=30)
K = 5


def _answered(engine: Engine, ids: dict[str, int], people: int, value: int = 4) -> int:
    """A pulse of the team's week, its DMs sent, answered (held, as while open) by its first
    ``people``."""
    pulse_id = factories.pulse(engine, ids, keys=["wellbeing.energy", "enps.recommend"])
    with session_scope(engine) as s:
        s.exec(update(Delivery).where(col(Delivery.pulse_id) == pulse_id).values(status="sent"))
        questions = pulse_view(s, pulse_id=pulse_id).questions  # type: ignore[union-attr]
        for i in range(people):
            who = Respondent(SECRET, workspace=WORKSPACE, user_id=f"U{i:04d}", pulse_id=pulse_id)
            for q in questions:
                v = value if q.kind == "likert5" else 2 * value
                hold_answer(s, respondent=who, question_id=q.id or 0, value=v)
            write(s, respondent=who, question_id=None, body="fine")
    return pulse_id


def _statuses(engine: Engine, pulse_id: int, statuses: dict[str, int]) -> None:
    """Give the pulse's DMs these outbox statuses, in employee order."""
    with session_scope(engine) as s:
        rows = s.exec(
            select(Delivery).where(Delivery.pulse_id == pulse_id).order_by(col(Delivery.id))
        ).all()
        marks = [status for status, n in statuses.items() for _ in range(n)]
        for row, status in zip(rows, marks, strict=True):
            row.status = status


def _close(engine: Engine, now: dt.datetime = CLOSES) -> list[int]:
    with session_scope(engine) as s:
        return closing.run(s, now=now, secret=SECRET)


def _frames(engine: Engine, ids: dict[str, int]) -> tuple[list[dict], list[dict]]:
    span = {
        "workspace_id": ids["workspace"],
        "start": NOW.date() - dt.timedelta(weeks=1),
        "end": NOW.date() + dt.timedelta(weeks=1),
        "k": K,
        "now": LATER,
    }
    with session_scope(engine) as s:
        return (
            driver_agg(s, **span).to_dict("records"),  # type: ignore[arg-type]
            participation(s, team_key="support", **span).to_dict("records"),  # type: ignore[arg-type]
        )


def _seal_of(s: Session, pulse_id: int) -> tuple:
    pulse = s.get(Pulse, pulse_id)
    assert pulse is not None
    s.refresh(pulse)
    sums = s.exec(
        select(ResponseRollup)
        .where(ResponseRollup.pulse_id == pulse_id)
        .order_by(col(ResponseRollup.question_id))
    ).all()
    return pulse.respondents, pulse.invited, [r.model_dump() for r in sums]


def test_the_close_seals_the_pulse_and_invited_leaves_out_dms_never_posted(
    engine: Engine,
) -> None:
    ids = factories.org(engine, people=9)
    pulse_id = _answered(engine, ids, people=6)
    _statuses(engine, pulse_id, {"sent": 6, "failed": 1, "skipped": 1, "pending": 1})
    assert _frames(engine, ids) == ([], [])  # open: held answers count nowhere
    with session_scope(engine) as s:
        assert _seal_of(s, pulse_id)[:2] == (None, None)

    assert _close(engine) == [pulse_id]
    with session_scope(engine) as s:  # the pending DM was abandoned at close: failed
        respondents, invited, sums = _seal_of(s, pulse_id)
        assert s.get(Pulse, pulse_id).sealed_at == CLOSES  # type: ignore[union-attr]
    assert (respondents, invited) == (6, 6)
    assert [(r["n"], r["total"], r["favourable"], r["promoters"]) for r in sums] == [
        (6, 24, 6, 0),  # wellbeing: six 4s
        (6, 48, 6, 0),  # eNPS: six 8s (passives)
    ]
    agg, part = _frames(engine, ids)
    assert [(r["driver"], r["n"], r["total"]) for r in agg] == [
        ("enps", 6, 48),
        ("wellbeing", 6, 24),
    ]
    assert [(r["invited"], r["respondents"]) for r in part] == [(6, 6)]


def test_sealing_twice_changes_nothing(engine: Engine) -> None:
    ids = factories.org(engine, people=7)
    pulse_id = _answered(engine, ids, people=6)
    _close(engine)
    with session_scope(engine) as s:
        first = _seal_of(s, pulse_id)
    assert _close(engine, CLOSES + dt.timedelta(hours=1)) == []  # a second run: nothing to do
    with session_scope(engine) as s:
        seal(s, pulse_id=pulse_id, now=LATER)
    with session_scope(engine) as s:
        assert _seal_of(s, pulse_id) == first


def test_figures_read_only_the_seal_never_answers_or_dms(engine: Engine) -> None:
    ids = factories.org(engine, people=8)
    pulse_id = _answered(engine, ids, people=7)
    _close(engine)
    before = _frames(engine, ids)
    assert [(r["invited"], r["respondents"]) for r in before[1]] == [(8, 7)]
    with session_scope(engine) as s:
        for table in (ClosedDm, Delivery, Response, Comment, Held):
            s.exec(delete(table))  # type: ignore[call-overload]
    assert _frames(engine, ids) == before
    with session_scope(engine) as s:
        assert s.exec(select(func.count()).select_from(ResponseRollup)).one() == 2
        assert _seal_of(s, pulse_id)[:2] == (7, 8)


def test_retention_deletes_raw_rows_and_no_figure_moves(engine: Engine) -> None:
    ids = factories.org(engine, people=8)
    pulse_id = _answered(engine, ids, people=7)
    _close(engine)
    before = _frames(engine, ids)
    text = (REPO / "config.toml").read_text()
    config = parse_config(
        tomllib.loads(text.replace("[privacy]", "[privacy]\nretention_days = 30"))
    )
    assert retention.run(engine, config=config, now=CLOSES + dt.timedelta(days=29)) == []
    assert retention.run(engine, config=config, now=CLOSES + dt.timedelta(days=31)) == [pulse_id]
    with session_scope(engine) as s:
        assert s.exec(select(func.count()).select_from(Response)).one() == 0
        assert s.exec(select(func.count()).select_from(Comment)).one() == 0
        seal(s, pulse_id=pulse_id, now=LATER)  # a purged pulse is never sealed again (to 0)
    assert _frames(engine, ids) == before


def test_an_unsealed_pulse_is_never_purged(engine: Engine) -> None:
    ids = factories.org(engine, people=6)
    pulse_id = _answered(engine, ids, people=5)
    with session_scope(engine) as s, pytest.raises(ValueError, match="not sealed"):
        purge(s, pulse_id=pulse_id, now=LATER)


def test_a_later_pulse_of_the_same_week_takes_the_week_over(engine: Engine) -> None:
    ids = factories.org(engine, people=8)
    first = _answered(engine, ids, people=7, value=2)
    _close(engine)
    assert [(r["invited"], r["respondents"]) for r in _frames(engine, ids)[1]] == [(8, 7)]

    second = _answered(engine, ids, people=5, value=5)  # ad hoc, same team and week
    later = CLOSES + dt.timedelta(hours=1)
    with session_scope(engine) as s:
        s.exec(
            update(Pulse)
            .where(col(Pulse.id) == second)
            .values(opened_at=CLOSES, closes_at=later + dt.timedelta(hours=1))
        )
    _statuses(engine, second, {"sent": 6, "skipped": 2})
    assert _close(engine, later) == []  # still open: the week is the first pulse's
    assert _close(engine, later + dt.timedelta(hours=1)) == [second]
    agg, part = _frames(engine, ids)
    assert [(r["invited"], r["respondents"]) for r in part] == [(6, 5)]
    assert [(r["driver"], r["n"], r["total"]) for r in agg] == [
        ("enps", 5, 50),
        ("wellbeing", 5, 25),
    ]
    with session_scope(engine) as s:
        assert _seal_of(s, first)[:2] == (7, 8)  # superseded, not changed


def test_a_crash_during_the_close_leaves_the_pulse_open_and_unsealed(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = factories.org(engine, people=7)
    pulse_id = _answered(engine, ids, people=6)

    def killed(*_: object, **__: object) -> None:
        raise RuntimeError("worker killed after the seal, before commit")

    monkeypatch.setattr(closing.closed_dms, "enqueue", killed)
    with pytest.raises(RuntimeError):
        _close(engine)
    with session_scope(engine) as s:
        pulse = s.get(Pulse, pulse_id)
        assert pulse is not None and (pulse.closed_at, pulse.sealed_at) == (None, None)
        assert s.exec(select(func.count()).select_from(ResponseRollup)).one() == 0
        assert s.exec(select(func.count()).select_from(Held)).one() > 0
    assert _frames(engine, ids) == ([], [])

    monkeypatch.undo()
    assert _close(engine) == [pulse_id]
    assert [(r["invited"], r["respondents"]) for r in _frames(engine, ids)[1]] == [(7, 6)]


def test_the_latest_pulse_counts_invited_as_its_week_does(engine: Engine) -> None:
    """A report's latest-pulse line and the week's figures show one participation: DMs that
    failed or were skipped invited nobody, before the close and after it."""
    ids = factories.org(engine, people=9)
    pulse_id = _answered(engine, ids, people=6)
    _statuses(engine, pulse_id, {"sent": 6, "failed": 2, "skipped": 1})
    with session_scope(engine) as s:
        assert pulse_aggregate(s, pulse_id=pulse_id).invited == 6  # open: 9 DMs, 6 posted
    _close(engine)
    with session_scope(engine) as s:
        latest = pulse_aggregate(s, pulse_id=pulse_id)
    _, part = _frames(engine, ids)
    assert [(r["invited"], r["respondents"]) for r in part] == [
        (latest.invited, latest.respondents)
    ]
