"""One validation for CX metrics, whether they come from a CSV file or the JSON push.

Every problem names where it is (``cx.csv line 14, column value`` or ``metrics[3].value``,
through the caller's ``locate``) and what would have been accepted; all problems are collected
before anything is written, so a bad input imports nothing.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TypeVar

from insights.cxscales import infer_scale, label, normalise
from settings.config import AppConfig
from storage.cx_periods import cadence_name, start_problem

COLUMNS = ("team", "metric", "period_start", "value", "sample_size")
FIELDS = (*COLUMNS, "scale", "period")  # optional: scale inferred per series when absent;
# period (weekly, monthly, quarterly) defaults to the metric's in config.toml [cx.metrics]
REQUIRED = ("team", "metric", "period_start", "value")  # sample_size may be left empty
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
Locate = Callable[[int, str | None], str]  # (record index, field or None) -> where, for errors
T = TypeVar("T")


class CxImportError(Exception):
    """The import cannot run; nothing was written."""


class CxDataError(CxImportError):
    """The data is wrong; ``problems`` lists every one, each saying where."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        more = len(problems) - 1
        more_text = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
        super().__init__(f"{problems[0]}{more_text}; nothing was imported")


@dataclass(frozen=True)
class Metric:
    """One valid row: team key, metric, week, the value as sent and on 0–100, and its label."""

    team: str
    metric: str
    period_start: dt.date
    raw_value: float
    value: float
    scale: str
    label: str
    sample_size: int | None
    cadence: str = "weekly"


def _number(raw: object) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise ValueError(f"{raw!r} is not a number")
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{raw!r} is not a number") from None
    except OverflowError:  # a JSON integer past any float
        raise ValueError(f"{str(raw)[:12]}… is not a finite number") from None
    if not math.isfinite(value):
        raise ValueError(f"{raw!r} is not a finite number")
    return value


def _count(raw: object) -> int:
    text = str(raw) if isinstance(raw, int | str) and not isinstance(raw, bool) else ""
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"{raw!r} is not a whole number of responses (1 or more)")
    return int(text)


def _start(raw: object, *, cadence: str, week_starts: str) -> dt.date:
    """The first day of a period (a week's declared weekday, Monday by default; a month's or a
    quarter's 1st); another day is refused, not moved (storage.cx_periods.start_problem)."""
    if not isinstance(raw, str) or not ISO_DATE.fullmatch(raw):
        raise ValueError(f"{raw!r} is not an ISO date (YYYY-MM-DD)")
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"{raw!r} is not a calendar date") from None
    problem = start_problem(day, cadence, week_starts)
    if problem:
        raise ValueError(problem)
    return day


def _cadence(raw: object, *, metric: str, config: AppConfig) -> str:
    if not isinstance(raw, str):
        raise ValueError(f"{raw!r} is not a period: use weekly, monthly or quarterly")
    name = cadence_name(raw)
    declared = config.cx.metrics.get(metric)
    if declared is not None and declared.period != name:
        raise ValueError(f"{raw!r}, but config.toml [cx.metrics.{metric}] says {declared.period}")
    return name


def _team(raw: object, *, config: AppConfig) -> str:
    if not isinstance(raw, str) or config.team(raw) is None:
        keys = [t.key for t in config.teams]
        close = difflib.get_close_matches(str(raw), keys, n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"{len(keys)} teams are configured"
        raise ValueError(f"no team {raw!r} in config.toml ({hint})")
    return raw


def _metric(raw: object, *, team: str, config: AppConfig) -> str:
    linked = config.team(team).cx_metrics  # type: ignore[union-attr]
    if raw not in linked:
        which = f"its cx_metrics are {', '.join(linked)}" if linked else "it has no cx_metrics"
        raise ValueError(f"{raw!r} is not linked to team {team!r} in config.toml ({which})")
    return str(raw)


def _scale(raw: object, *, metric: str) -> str:
    label(metric, str(raw))  # raises for a metric or scale that cxscales does not know
    return str(raw)


class _Bad(ValueError):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field


def _field(record: Mapping[str, object], name: str, parse: Callable[[object], T]) -> T | None:
    """The parsed field, or None when empty and optional; a _Bad naming the field otherwise."""
    raw = record.get(name)
    if raw is None or raw == "":
        if name in REQUIRED:
            raise _Bad(name, "missing")
        return None
    try:
        return parse(raw)
    except ValueError as exc:
        raise _Bad(name, str(exc)) from None


Parsed = tuple[int, str, str, dt.date, float, int | None, str | None, str]


def _parse(records: Sequence[object], config: AppConfig, locate: Locate) -> list[Parsed]:
    problems, parsed = [], []
    first: dict[tuple[str, str, dt.date], int] = {}
    for i, record in enumerate(records):
        if not isinstance(record, Mapping):
            problems.append(f"{locate(i, None)}: expected an object with {', '.join(FIELDS)}")
            continue
        for field in sorted(set(record) - set(FIELDS)):
            problems.append(f"{locate(i, None)}: unknown field {field!r} ({', '.join(FIELDS)})")
        try:
            team = _field(record, "team", partial(_team, config=config))
            metric = _field(record, "metric", partial(_metric, team=str(team), config=config))
            cadence = (
                _field(record, "period", partial(_cadence, metric=str(metric), config=config))
                or config.cx.period_of(str(metric)).period
            )
            week_starts = config.cx.period_of(str(metric)).week_starts
            week = _field(
                record, "period_start", partial(_start, cadence=cadence, week_starts=week_starts)
            )
            raw = _field(record, "value", _number)
            size = _field(record, "sample_size", _count)
            scale = _field(record, "scale", partial(_scale, metric=str(metric)))
        except _Bad as bad:
            problems.append(f"{locate(i, bad.field)}: {bad}")
            continue
        assert team and metric and week and raw is not None  # required fields
        if (team, metric, week) in first:
            again = locate(first[team, metric, week], None)
            problems.append(f"{locate(i, None)}: same team, metric and period_start as {again}")
        first.setdefault((team, metric, week), i)
        parsed.append((i, team, metric, week, raw, size, scale, cadence))
    if problems:
        raise CxDataError(problems)
    return parsed


def _series_scales(
    parsed: Sequence[Parsed], known: Mapping[tuple[str, str], str]
) -> dict[tuple[str, str], str | ValueError]:
    """Per (team, metric) without an explicit scale: the stored one if every value fits it,
    else the one inferred from the whole series; the error for a metric nobody can read."""
    series: dict[tuple[str, str], list[float]] = {}
    for _, team, metric, _, raw, _, scale, _ in parsed:
        if scale is None:
            series.setdefault((team, metric), []).append(raw)
    chosen: dict[tuple[str, str], str | ValueError] = {}
    for (team, metric), values in series.items():
        stored = known.get((team, metric))
        try:
            if stored is not None and all(_fits(metric, v, stored) for v in values):
                chosen[team, metric] = stored
            else:
                chosen[team, metric] = infer_scale(metric, values)
        except ValueError as exc:
            chosen[team, metric] = exc
    return chosen


def _fits(metric: str, value: float, scale: str) -> bool:
    try:
        normalise(metric, value, scale)
    except ValueError:
        return False
    return True


def validate(
    records: Sequence[object],
    *,
    config: AppConfig,
    locate: Locate,
    known_scales: Mapping[tuple[str, str], str] | None = None,
) -> list[Metric]:
    """Every record checked and normalised, or CxDataError listing each problem.

    ``known_scales`` maps (team, metric) to the scale already stored, so a series keeps its
    scale from one import to the next when the new values fit it.
    """
    parsed = _parse(records, config, locate)
    scales = _series_scales(parsed, known_scales or {})
    problems, out = [], []
    for i, team, metric, week, raw, size, scale, cadence in parsed:
        name = scale or scales[team, metric]
        if isinstance(name, ValueError):
            problems.append(f"{locate(i, 'metric')}: {name}")
            continue
        try:
            value, text = normalise(metric, raw, name)
        except ValueError as exc:
            problems.append(f"{locate(i, 'value')}: {exc} (read as {name})")
            continue
        out.append(Metric(team, metric, week, raw, value, name, text, size, cadence))
    if problems:
        raise CxDataError(problems)
    return out
