"""The periods a CX series is cut into: weeks (starting on a declared weekday), months, quarters.

A period is named by its first day (``period_start``): the declared weekday for a weekly
series, the 1st of a month, the 1st of January, April, July or October. These functions are
the one definition every importer, the HTTP push and the EX↔CX link share.
"""

from __future__ import annotations

import datetime as dt

CADENCES = ("weekly", "monthly", "quarterly")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
UNITS = {"weekly": "week", "monthly": "month", "quarterly": "quarter"}
ALIASES = {"week": "weekly", "month": "monthly", "quarter": "quarterly"}


def cadence_name(raw: str) -> str:
    """``weekly``/``monthly``/``quarterly`` for a name or its unit (``month``); ValueError else."""
    name = ALIASES.get(raw.strip().lower(), raw.strip().lower())
    if name not in CADENCES:
        raise ValueError(f"{raw!r} is not a period: use weekly, monthly or quarterly")
    return name


def period_start(day: dt.date, cadence: str, week_starts: str = "mon") -> dt.date:
    """The first day of the period ``day`` falls in."""
    if cadence == "weekly":
        back = (day.weekday() - WEEKDAYS.index(week_starts)) % 7
        return day - dt.timedelta(days=back)
    if cadence == "monthly":
        return day.replace(day=1)
    if cadence == "quarterly":
        return dt.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    raise ValueError(f"unknown cadence {cadence!r}")


def start_problem(day: dt.date, cadence: str, week_starts: str = "mon") -> str | None:
    """Why ``day`` cannot be a period_start of this cadence (saying which would be), or None.

    A day inside a period is refused, not moved: a source whose weeks start on Sunday would
    otherwise land a whole week early without anyone noticing."""
    first = period_start(day, cadence, week_starts)
    if first == day:
        return None
    if cadence == "weekly":
        weekday = dt.date(2024, 1, 1 + WEEKDAYS.index(week_starts)).strftime("%A")
        return (
            f"{day} is a {day:%A}: period_start must be the {weekday} a week starts on "
            f"(the week containing {day} starts on {first})"
        )
    unit = UNITS[cadence]
    return f"{day} is not the first day of a {unit}: the {unit} containing it starts on {first}"


def label(day: dt.date, cadence: str) -> str:
    """``2026-W47`` is not used: weeks by their first day, ``2026-11`` and ``2026-Q4`` else."""
    if cadence == "monthly":
        return f"{day:%Y-%m}"
    if cadence == "quarterly":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    return day.isoformat()


def index(day: dt.date, cadence: str) -> int:
    """Consecutive periods get consecutive integers (weeks by their first day's ordinal / 7)."""
    if cadence == "monthly":
        return day.year * 12 + day.month - 1
    if cadence == "quarterly":
        return day.year * 4 + (day.month - 1) // 3
    return day.toordinal() // 7


def engagement_period(monday: dt.date, cadence: str, week_starts: str = "mon") -> dt.date:
    """The CX period an engagement week (named by its Monday) counts towards.

    A week counts towards the period holding most of its days: its Thursday's, so a week
    split across two months counts once, in the month with four or more of its days; for a
    week starting on another weekday, the CX week sharing four or more days with it."""
    return period_start(monday + dt.timedelta(days=3), cadence, week_starts)


def shifted(day: dt.date, cadence: str, periods: int) -> dt.date:
    """The first day of the period ``periods`` after (negative: before) the one holding ``day``."""
    if cadence == "weekly":
        return day + dt.timedelta(weeks=periods)
    months = 1 if cadence == "monthly" else 3
    first = period_start(day, cadence)
    count = first.year * 12 + first.month - 1 + periods * months
    return dt.date(count // 12, count % 12 + 1, 1)
