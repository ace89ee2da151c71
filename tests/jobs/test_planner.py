"""Pulses open on schedule at each person's local time; downtime is caught up exactly once."""

from __future__ import annotations

import datetime as dt
import tomllib

import pytest
from freezegun import freeze_time
from sqlalchemy import Engine
from sqlmodel import select

from insights.questions import load_bank
from jobs import pulses
from jobs.calendar import cycle_dates, schedule_for, send_date
from settings.config import parse_config
from storage.db import session_scope
from storage.models import Delivery, Employee, Pulse
from storage.org import Member, ensure_workspace, set_team_members, upsert_employees, upsert_team

PEOPLE = {
    "U0AKL": "Pacific/Auckland",  # UTC+13 in November: first to reach Tuesday
    "U0TBU": "Pacific/Tongatapu",  # UTC+13, just west of the date line
    "U0PAR": "Europe/Paris",
    "U0LAX": "America/Los_Angeles",  # UTC-8: last to reach Tuesday
    "U0HNL": "Pacific/Honolulu",  # UTC-10
}
CONFIG = """
[pulse]
weekday = "tue"
local_time = "10:00"
open_hours = 48
holidays = [2026-12-29]
[[teams]]
key = "support"
name = "Customer Support"
usergroup = "S0SUPPORT"
"""


def _config():  # type: ignore[no-untyped-def]
    return parse_config(tomllib.loads(CONFIG))


def _org(engine: Engine) -> int:
    with session_scope(engine) as s:
        ws = ensure_workspace(s, slack_team_id="T0SANDBOX")
        team = upsert_team(
            s,
            workspace_id=ws.id,
            key="support",
            name="Customer Support",
            usergroup="S0SUPPORT",
            channel=None,
            parent_id=None,
        )
        team.synced_at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        ids = upsert_employees(
            s, workspace_id=ws.id, members=[Member(u, u, tz) for u, tz in PEOPLE.items()]
        )
        set_team_members(s, team_id=team.id, employee_ids=ids.values())
        return ws.id


def _plan(engine: Engine, ws: int, config=None) -> list[pulses.Opened]:  # type: ignore[no-untyped-def]
    with session_scope(engine) as s:
        return pulses.plan(
            s,
            config=config or _config(),
            bank=load_bank(),
            workspace_id=ws,
            now=dt.datetime.now(dt.UTC),
        )


def _due_times(engine: Engine, pulse_id: int) -> dict[str, dt.datetime]:
    with session_scope(engine) as s:
        rows = s.exec(
            select(Employee.slack_user_id, Delivery.next_attempt_at)
            .join(Delivery, Delivery.employee_id == Employee.id)
            .where(Delivery.pulse_id == pulse_id)
        ).all()
    return dict(rows)


def _utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


def test_each_person_gets_it_at_ten_in_their_own_time_zone(engine: Engine) -> None:
    ws = _org(engine)
    with freeze_time("2026-11-20 12:00"):  # Friday: the planner starts
        assert _plan(engine, ws) == []
    with freeze_time("2026-11-23 08:00"):  # Monday 08:00 UTC: Tuesday is a day away in Auckland
        opened = _plan(engine, ws)
    assert [o.team_key for o in opened] == ["support"]
    due = _due_times(engine, opened[0].pulse_id)
    assert due["U0AKL"] == _utc(2026, 11, 23, 21, 0)  # Tue 10:00 NZDT = Mon 21:00 UTC
    assert due["U0TBU"] == _utc(2026, 11, 23, 21, 0)
    assert due["U0PAR"] == _utc(2026, 11, 24, 9, 0)
    assert due["U0LAX"] == _utc(2026, 11, 24, 18, 0)
    assert due["U0HNL"] == _utc(2026, 11, 24, 20, 0)
    with session_scope(engine) as s:
        pulse = s.get(Pulse, opened[0].pulse_id)
    assert pulse.cycle_date == dt.date(2026, 11, 24)
    assert pulse.closes_at == _utc(2026, 11, 26, 20, 0)  # 48 h after the last local send
    with freeze_time("2026-11-24 12:00"):
        assert _plan(engine, ws) == []  # never twice for one cycle


def test_dst_keeps_the_local_time(engine: Engine) -> None:
    ws = _org(engine)
    seen = []
    for day in ("2026-10-16", "2026-10-19", "2026-10-26"):  # CEST ends on Sun 25 Oct
        with freeze_time(f"{day} 12:00"):
            seen += _plan(engine, ws)
    before, after = (_due_times(engine, o.pulse_id)["U0PAR"] for o in seen)
    assert before == _utc(2026, 10, 20, 8, 0)  # 10:00 CEST
    assert after == _utc(2026, 10, 27, 9, 0)  # 10:00 CET


def test_holidays_move_the_pulse_to_the_next_working_day(engine: Engine) -> None:
    ws = _org(engine)
    with freeze_time("2026-12-25 12:00"):
        _plan(engine, ws)
    with freeze_time("2026-12-29 12:00"):  # the cycle date 29 Dec is a holiday
        (opened,) = _plan(engine, ws)
    assert _due_times(engine, opened.pulse_id)["U0PAR"] == _utc(2026, 12, 30, 9, 0)
    schedule = schedule_for(_config(), "support")
    friday = schedule.__class__(
        **{**schedule.__dict__, "holidays": frozenset({dt.date(2027, 1, 1)})}
    )
    assert send_date(friday, dt.date(2027, 1, 1)) == dt.date(2027, 1, 4)  # past the weekend


def test_missed_run_after_downtime_is_caught_up_once(engine: Engine) -> None:
    ws = _org(engine)
    with freeze_time("2026-11-20 12:00"):
        _plan(engine, ws)  # the worker ran on Friday, then went down for 12 days
    with freeze_time("2026-12-02 12:00") as clock:  # Wed: 24 Nov's and 1 Dec's runs were missed
        (opened,) = _plan(engine, ws)
        clock.tick(dt.timedelta(minutes=5))
        assert _plan(engine, ws) == []
    with session_scope(engine) as s:
        pulse = s.get(Pulse, opened.pulse_id)
    assert pulse.cycle_date == dt.date(2026, 12, 1)  # the latest missed cycle only
    assert pulse.closes_at > _utc(2026, 12, 2, 12, 0)  # a full window from now
    due = _due_times(engine, opened.pulse_id)
    assert due["U0PAR"] == _utc(2026, 12, 2, 12, 0)  # its local time has passed: due now
    assert due["U0HNL"] == _utc(2026, 12, 2, 12, 0)


def test_first_start_does_not_send_a_pulse_whose_window_has_passed(engine: Engine) -> None:
    ws = _org(engine)
    with freeze_time("2026-11-28 12:00"):  # Saturday: this week's pulse would have closed
        assert _plan(engine, ws) == []
    with freeze_time("2026-11-30 12:00"):
        (opened,) = _plan(engine, ws)
    with session_scope(engine) as s:
        assert s.get(Pulse, opened.pulse_id).cycle_date == dt.date(2026, 12, 1)


def test_paused_and_opted_out_people_are_not_invited(engine: Engine) -> None:
    ws = _org(engine)
    with session_scope(engine) as s:
        people = {e.slack_user_id: e for e in s.exec(select(Employee))}
        people["U0PAR"].paused_until = dt.date(2026, 11, 30)
        people["U0LAX"].opted_out = True
        s.add_all(people.values())
    with freeze_time("2026-11-23 08:00"):
        (opened,) = _plan(engine, ws)
    assert set(_due_times(engine, opened.pulse_id)) == {"U0AKL", "U0TBU", "U0HNL"}


@pytest.mark.parametrize(
    ("cadence", "expected"),
    [
        ("weekly", ["2026-11-03", "2026-11-10", "2026-11-17", "2026-11-24", "2026-12-01"]),
        ("biweekly", ["2026-11-03", "2026-11-17", "2026-12-01"]),  # even weeks since 1 Jan 2024
        ("monthly", ["2026-11-03", "2026-12-01"]),
    ],
)
def test_cadences(cadence: str, expected: list[str]) -> None:
    config = parse_config(tomllib.loads(CONFIG + f'[teams.schedule]\ncadence = "{cadence}"\n'))
    dates = cycle_dates(schedule_for(config, "support"), dt.date(2026, 11, 1), dt.date(2026, 12, 5))
    assert [d.isoformat() for d in dates] == expected
