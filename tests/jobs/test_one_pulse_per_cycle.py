"""One pulse per team per cycle, never two open at once; downtime is still caught up once."""

from __future__ import annotations

import datetime as dt
import tomllib

import pytest
from freezegun import freeze_time
from sqlalchemy import Engine
from sqlmodel import select

from insights.questions import load_bank
from jobs import closing, pulses
from settings.config import parse_config
from storage.db import session_scope
from storage.models import Pulse
from tests.jobs.test_planner import CONFIG, _config, _due_times, _org, _plan, _utc

SECRET = b"test-secret-for-one-pulse-per-cycle"


def _send(engine: Engine, ws: int, config=None) -> pulses.Opened:  # type: ignore[no-untyped-def]
    """`pulse send-pulse --team support` at the frozen time."""
    with session_scope(engine) as s:
        return pulses.open_now(
            s,
            config=config or _config(),
            bank=load_bank(),
            workspace_id=ws,
            team_key="support",
            now=dt.datetime.now(dt.UTC),
        )


def _close(engine: Engine, ws: int) -> Pulse:
    with session_scope(engine) as s:
        return pulses.close_now(
            s,
            config=_config(),
            workspace_id=ws,
            team_key="support",
            now=dt.datetime.now(dt.UTC),
            secret=SECRET,
        )


def _pulses(engine: Engine) -> list[Pulse]:
    with session_scope(engine) as s:
        return list(s.exec(select(Pulse).order_by(Pulse.id)))


@pytest.mark.parametrize("cadence", ["weekly", "biweekly", "monthly"])
def test_first_start_mid_cycle_after_an_ad_hoc_pulse_sends_no_second(
    engine: Engine, cadence: str
) -> None:
    config = parse_config(tomllib.loads(CONFIG + f'[teams.schedule]\ncadence = "{cadence}"\n'))
    ws = _org(engine)
    with freeze_time("2026-12-02 12:00") as clock:  # Wed: 1 Dec is a cycle date of all three
        _send(engine, ws, config)
        clock.tick(dt.timedelta(hours=1))
        _close(engine, ws)  # closed early: the cycle still had its pulse
        clock.tick(dt.timedelta(minutes=1))
        assert _plan(engine, ws, config) == []  # the worker's first start: no catch-up pulse
        clock.tick(dt.timedelta(hours=30))
        assert _plan(engine, ws, config) == []
    assert len(_pulses(engine)) == 1


def test_an_ad_hoc_pulse_open_when_the_cycle_begins_uses_it_up(engine: Engine) -> None:
    ws = _org(engine)
    with freeze_time("2026-11-27 12:00"):
        assert _plan(engine, ws) == []  # the worker runs from Friday on
    with freeze_time("2026-11-30 12:00") as clock:  # Mon, before Tuesday's pulse is planned
        _send(engine, ws)  # open 48 h, across Tuesday
        for _ in range(12):
            clock.tick(dt.timedelta(hours=6))
            assert _plan(engine, ws) == []
    with freeze_time("2026-12-07 08:00"):  # the next cycle is the team's again
        assert len(_plan(engine, ws)) == 1
    assert [p.cycle_date for p in _pulses(engine)] == [None, dt.date(2026, 12, 8)]


def test_the_planner_waits_for_an_open_pulse_that_closes_before_the_cycle(engine: Engine) -> None:
    ws = _org(engine)
    with freeze_time("2026-11-28 18:00"):  # Sat: closes Mon 18:00 UTC, before Tuesday anywhere
        _send(engine, ws)
    with freeze_time("2026-11-30 10:00") as clock:  # Tuesday's pulse is due to be planned
        assert _plan(engine, ws) == []  # never two open at once: wait
        clock.move_to("2026-11-30 18:05")  # it closed (the close job ran)
        with session_scope(engine) as s:
            closing.run(s, now=dt.datetime.now(dt.UTC), secret=SECRET)
        (opened,) = _plan(engine, ws)
    due = _due_times(engine, opened.pulse_id)
    assert due["U0PAR"] == _utc(2026, 12, 1, 9, 0)  # on time: 10:00 in Paris
    assert [p.cycle_date for p in _pulses(engine)] == [None, dt.date(2026, 12, 1)]


def test_a_pulse_closed_early_frees_the_next_cycle(engine: Engine) -> None:
    ws = _org(engine)
    with freeze_time("2026-11-30 08:00"):
        _send(engine, ws)
    with freeze_time("2026-11-30 09:00"):
        closed = _close(engine, ws)
    assert closed.closed_at == _utc(2026, 11, 30, 9, 0) == closed.closes_at
    with freeze_time("2026-11-30 10:00"):
        (opened,) = _plan(engine, ws)
    assert _due_times(engine, opened.pulse_id)["U0PAR"] == _utc(2026, 12, 1, 9, 0)


def test_send_pulse_is_refused_while_a_pulse_is_open_or_planned(engine: Engine) -> None:
    ws = _org(engine)
    with freeze_time("2026-11-30 10:00"):  # Mon: Tuesday's pulse is planned, not started
        (planned,) = _plan(engine, ws)
        with pytest.raises(pulses.AlreadyOpen) as refused:
            _send(engine, ws)
    assert str(refused.value) == (
        "team 'support' already has a pulse opening Mon 30 Nov 2026, 21:00 UTC, "
        f"until Thu 03 Dec 2026, 20:00 UTC (pulse {planned.pulse_id})"
    )
    with freeze_time("2026-12-02 10:00"):
        with pytest.raises(pulses.AlreadyOpen, match="already has a pulse open until Thu 03 Dec"):
            _send(engine, ws)
        _close(engine, ws)
        with pytest.raises(pulses.PulseError, match="has no open pulse to close"):
            _close(engine, ws)
        _send(engine, ws)  # HR may ask again once it is closed
    assert len(_pulses(engine)) == 2


def test_downtime_across_the_send_time_is_caught_up_once(engine: Engine) -> None:
    ws = _org(engine)
    with freeze_time("2026-11-26 12:00"):
        _send(engine, ws)  # last cycle's ad hoc pulse (closed Sat) does not count for this one
    with freeze_time("2026-11-29 12:00"):
        assert _plan(engine, ws) == []  # Sunday: the worker runs, then is down until Tuesday
    with freeze_time("2026-12-01 15:00") as clock:
        (opened,) = _plan(engine, ws)
        clock.tick(dt.timedelta(minutes=5))
        assert _plan(engine, ws) == []  # a restart does not open it again
    due = _due_times(engine, opened.pulse_id)
    assert due["U0PAR"] == due["U0AKL"] == _utc(2026, 12, 1, 15, 0)  # 10:00 passed: now
    assert due["U0LAX"] == _utc(2026, 12, 1, 18, 0)  # still ahead: on time
    assert due["U0HNL"] == _utc(2026, 12, 1, 20, 0)


def test_catch_up_across_a_dst_change_keeps_local_times_and_one_pulse(engine: Engine) -> None:
    ws = _org(engine)
    with freeze_time("2026-10-23 12:00"):  # Fri in CEST: the worker goes down
        assert _plan(engine, ws) == []
    with freeze_time("2026-10-24 07:00"):
        _send(engine, ws)  # Sat: an ad hoc pulse closing Mon 07:00 UTC, before the cycle
    with freeze_time("2026-10-27 08:30") as clock:  # Tue in CET (clocks went back on Sunday)
        (opened,) = _plan(engine, ws)
        clock.tick(dt.timedelta(hours=1))
        assert _plan(engine, ws) == []
    due = _due_times(engine, opened.pulse_id)
    assert due["U0PAR"] == _utc(2026, 10, 27, 9, 0)  # 10:00 CET, no longer 08:00 UTC
    assert due["U0AKL"] == _utc(2026, 10, 27, 8, 30)  # 10:00 NZDT was Mon 21:00 UTC: now
    assert due["U0LAX"] == _utc(2026, 10, 27, 17, 0)  # PDT until 1 Nov
    assert [p.cycle_date for p in _pulses(engine)] == [None, dt.date(2026, 10, 27)]
