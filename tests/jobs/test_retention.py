"""After the retention period a sealed pulse's raw answers and comments are deleted: reports
don't change (they read the seal written at close), and recent pulses are untouched."""

from __future__ import annotations

import datetime as dt
import tomllib

from sqlalchemy import Engine, func
from sqlmodel import select

from jobs import retention
from settings.config import parse_config
from storage.aggregates import driver_agg, participation
from storage.comments import save_written_answer
from storage.db import session_scope
from storage.models import Comment, Pulse, Response
from storage.pulses import pulse_view
from storage.responses import pulse_aggregate, record_answer
from tests import factories
from tests.conftest import REPO
from tests.factories import NOW

CONFIG = (REPO / "config.toml").read_text()


def _config(days: int | None):  # type: ignore[no-untyped-def]
    text = (
        CONFIG
        if days is None
        else CONFIG.replace("[privacy]", f"[privacy]\nretention_days = {days}")
    )
    return parse_config(tomllib.loads(text))


def _answered_pulse(engine: Engine, ids: dict[str, int]) -> int:
    pulse_id = factories.pulse(engine, ids)
    with session_scope(engine) as s:
        questions = pulse_view(s, pulse_id=pulse_id).questions
        for i in range(7):
            for q in questions:
                value = (i + q.id) % (11 if q.kind == "nps10" else 5) + (
                    0 if q.kind == "nps10" else 1
                )
                record_answer(
                    s, pulse_id=pulse_id, question_id=q.id, respondent=f"r{i}", value=value
                )
        save_written_answer(s, pulse_id=pulse_id, question_id=None, respondent="r1", body="fine")
    return pulse_id


def _figures(engine: Engine, ids: dict[str, int], pulse_id: int):  # type: ignore[no-untyped-def]
    with session_scope(engine) as s:
        span = {
            "workspace_id": ids["workspace"],
            "start": dt.date(2026, 1, 1),
            "end": dt.date(2027, 1, 1),
            "k": 5,
            "now": NOW + dt.timedelta(days=500),
        }
        return (
            pulse_aggregate(s, pulse_id=pulse_id),
            driver_agg(s, **span).to_dict("records"),
            participation(s, **span).to_dict("records"),
        )


def test_folding_keeps_every_figure_and_deletes_the_raw_answers(engine: Engine) -> None:
    ids = factories.org(engine, people=8)
    old = _answered_pulse(engine, ids)
    before = _figures(engine, ids, old)
    assert retention.run(engine, config=_config(None), now=NOW + dt.timedelta(days=400)) == []

    later = NOW + dt.timedelta(days=3 + 90 + 1)  # closed after 72 h, then 90 days pass
    assert retention.run(engine, config=_config(90), now=NOW + dt.timedelta(days=60)) == []
    assert retention.run(engine, config=_config(90), now=later) == [old]
    assert retention.run(engine, config=_config(90), now=later) == []  # once
    assert _figures(engine, ids, old) == before
    with session_scope(engine) as s:
        assert s.exec(select(func.count()).select_from(Response)).one() == 0
        assert s.exec(select(func.count()).select_from(Comment)).one() == 0
        pulse = s.get(Pulse, old)
        assert (pulse.respondents, pulse.purged_at) == (7, later)


def test_recent_pulses_keep_their_raw_answers(engine: Engine) -> None:
    ids = factories.org(engine, people=8)
    old = _answered_pulse(engine, ids)
    with session_scope(engine) as s:
        s.get(Pulse, old).closes_at = NOW + dt.timedelta(days=100)
    retention.run(engine, config=_config(30), now=NOW + dt.timedelta(days=40))
    with session_scope(engine) as s:
        assert s.exec(select(func.count()).select_from(Response)).one() > 0


def test_retention_below_two_weeks_is_refused() -> None:
    import pytest

    from settings.config import ConfigError

    with pytest.raises(ConfigError, match="retention_days"):
        _config(3)
