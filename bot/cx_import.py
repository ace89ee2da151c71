"""CX metrics in: validate every row first, then store all of them in one transaction or none.

The CSV file (`pulse cx import`) and the JSON push (`POST /api/cx-metrics`) share `validate`
and `store`, so both accept and refuse exactly the same things. Every problem names where it
is (`cx.csv line 14, column value` or `metrics[3].value`) and what would be accepted.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import math
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from sqlmodel import Session, select

from bot.config import AppConfig
from insights.cxscales import infer_scale, label, normalise
from storage.cx import CxRow, stored_scales, upsert_metrics
from storage.models import Team, Workspace

COLUMNS = ("team", "metric", "period_start", "value", "sample_size")
FIELDS = (*COLUMNS, "scale")  # scale is optional: inferred per team and metric when absent
REQUIRED = ("team", "metric", "period_start", "value")  # sample_size may be left empty
T = TypeVar("T")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
Locate = Callable[[int, str | None], str]  # (record index, field or None) -> where, for errors


class CxImportError(Exception):
    """The import cannot run (nothing synced yet); nothing was written."""


class CxDataError(CxImportError):
    """The data is wrong; ``problems`` lists every one, each saying where."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
        super().__init__(f"{problems[0]}{more}; nothing was imported")


@dataclass(frozen=True)
class Metric:
    """One validated row: team key, metric, week, the value as sent and on 0–100."""

    team: str
    metric: str
    period_start: dt.date
    raw_value: float
    value: float
    scale: str
    label: str
    sample_size: int | None


@dataclass(frozen=True)
class Imported:
    rows: int
    changed: int  # new or different from what was stored; 0 when the same data comes twice
    by_label: dict[str, int]  # rows per metric and scale, as the values were read


def read_csv(path: Path) -> tuple[list[dict[str, str]], Locate]:
    """Rows of a CX CSV as dicts, and how to name a row's line and column in a message."""
    name = path.name
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            lines = [(reader.line_num, row) for row in reader]
    except UnicodeDecodeError:
        raise CxDataError([f"{name} is not UTF-8 text"]) from None
    except csv.Error as exc:
        raise CxDataError([f"{name}: not a readable CSV file ({exc})"]) from None
    if not lines:
        raise CxDataError([f"{name} is empty: expected a header line {','.join(COLUMNS)}"])
    header = [h.strip().lower() for h in lines[0][1]]
    missing = [c for c in COLUMNS if c not in header]
    extra = [h for h in header if h not in FIELDS]
    repeated = [h for h, count in Counter(header).items() if count > 1]
    if missing or extra or repeated:
        wrong = ", ".join(
            f"{what} {', '.join(repr(c) for c in cols)}"
            for what, cols in (("missing", missing), ("unknown", extra), ("repeated", repeated))
            if cols
        )
        expected = f"{','.join(COLUMNS)}[,scale]"
        raise CxDataError([f"{name} line 1 (header): {wrong} column(s); expected {expected}"])
    rows, numbers, problems = [], [], []
    for number, cells in lines[1:]:
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            problems.append(f"{name} line {number}: {len(cells)} fields, expected {len(header)}")
            continue
        rows.append(dict(zip(header, (c.strip() for c in cells), strict=False)))
        numbers.append(number)
    if problems:
        raise CxDataError(problems)

    def locate(index: int, field: str | None) -> str:
        return f"{name} line {numbers[index]}" + (f", column {field}" if field else "")

    return rows, locate


def _number(raw: object) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise ValueError(f"{raw!r} is not a number")
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{raw!r} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"{raw!r} is not a finite number")
    return value


def _count(raw: object) -> int:
    text = str(raw) if isinstance(raw, int | str) and not isinstance(raw, bool) else ""
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"{raw!r} is not a whole number of responses (1 or more)")
    return int(text)


def _week(raw: object) -> dt.date:
    if not isinstance(raw, str) or not ISO_DATE.fullmatch(raw):
        raise ValueError(f"{raw!r} is not an ISO date (YYYY-MM-DD)")
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"{raw!r} is not a calendar date") from None
    if day.weekday():
        monday = day - dt.timedelta(days=day.weekday())
        raise ValueError(
            f"{raw} is a {day:%A}: period_start must be the Monday a week starts on "
            f"(the week containing {raw} starts on {monday})"
        )
    return day


def _team(raw: object, config: AppConfig) -> str:
    if not isinstance(raw, str) or config.team(raw) is None:
        keys = [t.key for t in config.teams]
        close = difflib.get_close_matches(str(raw), keys, n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"{len(keys)} teams are configured"
        raise ValueError(f"no team {raw!r} in config.toml ({hint})")
    return raw


def _metric(raw: object, team: str, config: AppConfig) -> str:
    linked = config.team(team).cx_metrics  # type: ignore[union-attr]
    if raw not in linked:
        which = f"its cx_metrics are {', '.join(linked)}" if linked else "it has no cx_metrics"
        raise ValueError(f"{raw!r} is not linked to team {team!r} in config.toml ({which})")
    return str(raw)


class _Bad(ValueError):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field


def _field(record: Mapping[str, object], name: str, parse: Callable[[object], T]) -> T | None:
    """The parsed field, None when empty; a _Bad naming the field otherwise."""
    raw = record.get(name)
    if raw is None or raw == "":
        if name in REQUIRED:
            raise _Bad(name, "missing")
        return None
    try:
        return parse(raw)
    except ValueError as exc:
        raise _Bad(name, str(exc)) from None


Parsed = tuple[int, str, str, dt.date, float, int | None, str | None]


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
            team = _field(record, "team", lambda v: _team(v, config))
            metric = _field(record, "metric", lambda v: _metric(v, team, config))
            week = _field(record, "period_start", _week)
            raw = _field(record, "value", _number)
            size = _field(record, "sample_size", _count)
            scale = _field(record, "scale", lambda v: _scale(metric, v))
        except _Bad as bad:
            problems.append(f"{locate(i, bad.field)}: {bad}")
            continue
        key = (team, metric, week)
        if key in first:
            again = locate(first[key], None)
            problems.append(f"{locate(i, None)}: same team, metric and period_start as {again}")
        first.setdefault(key, i)
        parsed.append((i, team, metric, week, raw, size, scale))
    if problems:
        raise CxDataError(problems)
    return parsed  # type: ignore[return-value]


def _scale(metric: str, raw: object) -> str:
    label(metric, str(raw))  # raises for a metric or scale cxscales does not know
    return str(raw)


def validate(
    records: Sequence[object],
    *,
    config: AppConfig,
    locate: Locate,
    known_scales: Mapping[tuple[str, str], str] | None = None,
) -> list[Metric]:
    """Check every record; return them normalised or raise CxDataError listing each problem.

    Without a scale, a (team, metric) series keeps the scale it was stored on when all its
    new values fit it, else the scale is inferred from the whole series in this input.
    """
    parsed = _parse(records, config, locate)
    scales = _series_scales(parsed, known_scales or {})
    problems, out = [], []
    for i, team, metric, week, raw, size, scale in parsed:
        name = scale or scales[team, metric]
        if isinstance(name, ValueError):
            problems.append(f"{locate(i, 'metric')}: {name}")
            continue
        try:
            value, text = normalise(metric, raw, name)
        except ValueError as exc:
            problems.append(f"{locate(i, 'value')}: {exc} (read as {name})")
            continue
        out.append(Metric(team, metric, week, raw, value, name, text, size))
    if problems:
        raise CxDataError(problems)
    return out


def _series_scales(
    parsed: Sequence[Parsed], known: Mapping[tuple[str, str], str]
) -> dict[tuple[str, str], str | ValueError]:
    series: dict[tuple[str, str], list[float]] = {}
    for _, team, metric, _, raw, _, scale in parsed:
        if scale is None:
            series.setdefault((team, metric), []).append(raw)
    chosen: dict[tuple[str, str], str | ValueError] = {}
    for (team, metric), values in series.items():
        stored = known.get((team, metric))
        try:
            fits = stored is not None and all(_fits(metric, v, stored) for v in values)
            chosen[team, metric] = stored if fits else infer_scale(metric, values)  # type: ignore[assignment]
        except ValueError as exc:  # a metric cxscales does not know
            chosen[team, metric] = exc
    return chosen


def _fits(metric: str, value: float, scale: str) -> bool:
    try:
        normalise(metric, value, scale)
    except ValueError:
        return False
    return True


def store(
    session: Session,
    *,
    records: Sequence[Mapping[str, object]],
    config: AppConfig,
    locate: Locate,
    on_batch: Callable[[int], None] | None = None,
) -> Imported:
    """Validate, then upsert every row in the caller's transaction (all or nothing)."""
    workspaces = session.exec(select(Workspace.id).limit(2)).all()
    if len(workspaces) != 1:
        raise CxImportError("no workspace has been synced yet: run `pulse teams sync` first")
    workspace_id = workspaces[0]
    metrics = validate(
        records,
        config=config,
        locate=locate,
        known_scales=stored_scales(session, workspace_id=workspace_id),
    )
    ids = dict(session.exec(select(Team.key, Team.id).where(Team.workspace_id == workspace_id)))
    unsynced = sorted({m.team for m in metrics} - set(ids))
    if unsynced:
        raise CxImportError(f"team {unsynced[0]!r} has not been synced yet: run `pulse teams sync`")
    rows = [
        CxRow(ids[m.team], m.metric, m.period_start, m.value, m.raw_value, m.scale, m.sample_size)
        for m in metrics
    ]
    changed = upsert_metrics(session, workspace_id=workspace_id, rows=rows, on_batch=on_batch)
    return Imported(len(rows), changed, dict(Counter(m.label for m in metrics)))
