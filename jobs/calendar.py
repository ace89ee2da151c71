"""Pure schedule arithmetic: which dates a team's pulse falls on, and when, locally.

`local_label` names a moment in a reader's own time zone, for the edge and the jobs alike.

A pulse for cycle date D reaches each person at the configured local time on D in their own
Slack time zone; D moves to the next working day when it is a configured holiday. All
results are timezone-aware UTC; DST is handled by zoneinfo.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from settings.config import AppConfig
from settings.i18n import when_label

WEEKDAY_INDEX = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4}
BIWEEKLY_ANCHOR = dt.date(2024, 1, 1)  # a Monday: even weeks since it are pulse weeks
EARLIEST_OFFSET = dt.timedelta(hours=14)  # UTC+14 (Kiribati) is the first to reach a time
LATEST_OFFSET = dt.timedelta(hours=12)  # UTC-12 is the last


@dataclass(frozen=True)
class Schedule:
    cadence: str
    weekday: int
    clock: dt.time
    open_hours: int
    reminder_hours: int
    holidays: frozenset[dt.date]


def schedule_for(config: AppConfig, team_key: str) -> Schedule:
    base = config.pulse
    team = config.team(team_key)
    over = team.schedule if team is not None else None

    def pick(name: str):  # type: ignore[no-untyped-def]
        value = getattr(over, name, None) if over is not None else None
        return getattr(base, name) if value is None else value

    hour, minute = pick("local_time").split(":")
    return Schedule(
        cadence=pick("cadence"),
        weekday=WEEKDAY_INDEX[pick("weekday")],
        clock=dt.time(int(hour), int(minute)),
        open_hours=pick("open_hours"),
        reminder_hours=pick("reminder_hours"),
        holidays=frozenset(base.holidays),
    )


def cycle_dates(schedule: Schedule, start: dt.date, end: dt.date) -> list[dt.date]:
    """Cycle dates in [start, end], before any holiday shift."""
    first = start + dt.timedelta(days=(schedule.weekday - start.weekday()) % 7)
    dates = []
    day = first
    while day <= end:
        if schedule.cadence == "weekly":
            dates.append(day)
        elif schedule.cadence == "biweekly":
            if ((day - BIWEEKLY_ANCHOR).days // 7) % 2 == 0:
                dates.append(day)
        elif day.day <= 7:  # monthly: the first such weekday of the month
            dates.append(day)
        day += dt.timedelta(days=7)
    return dates


def send_date(schedule: Schedule, cycle: dt.date) -> dt.date:
    """The cycle date, moved past weekends and holidays to the next working day."""
    day = cycle
    while day.weekday() >= 5 or day in schedule.holidays:
        day += dt.timedelta(days=1)
    return day


def local_instant(day: dt.date, clock: dt.time, tz: str) -> dt.datetime:
    """`clock` on `day` in `tz`, as UTC (an unknown zone falls back to UTC)."""
    return dt.datetime.combine(day, clock, tzinfo=_zone(tz)).astimezone(dt.UTC)


def window(schedule: Schedule, cycle: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """(first possible local send anywhere on Earth, latest close) for a cycle, in UTC."""
    naive = dt.datetime.combine(send_date(schedule, cycle), schedule.clock, tzinfo=dt.UTC)
    return naive - EARLIEST_OFFSET, naive + LATEST_OFFSET + dt.timedelta(hours=schedule.open_hours)


def local_label(when: dt.datetime, tz: str) -> str:
    """'Thu 26 Nov, 10:00 CET' in the reader's own time zone (UTC when `tz` is unknown)."""
    return when_label(when, tz)  # in the reader's language (settings.i18n.using)


def _zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")
