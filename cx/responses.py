"""A CX tool's per-response export, read as a stream and cut into team-period aggregates.

`[[cx.sources]]` in config.toml names the file's columns and maps its team column (a queue,
group, region) to team keys; its ``preset`` says how one response's score reads:

- ``ticket_satisfaction``: ``good``/``bad`` per ticket (``offered``, ``unoffered`` or empty:
  not rated, skipped) → CSAT, % good (0–100);
- ``nps_survey``: 0–10 per response → NPS (−100…100: % promoters 9–10 minus % detractors 0–6);
- ``csat_survey``: 1–5 per response → CSAT, % satisfied (4 or 5, 0–100).

Every preset's figure is the mean of one value per response (100/0, +100/0/−100), so responses
counted in a later import add to a stored period exactly: total = mean × sample size.

Reading never holds the file: ``read`` yields chunks of parsed responses (a key hash, team,
period, value), with every problem found so far naming file, line and column. Which responses
are new is the caller's (cx.importer, against storage), so this module stays pure.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import math
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO
from zoneinfo import ZoneInfo

from settings.config import CxConfig, CxSourceConfig
from storage.cx_periods import period_start

CHUNK = 5000  # responses per chunk handed to the caller (one round of key claims)
MAX_PROBLEMS = 200  # problems kept word for word; the rest are counted
NOT_RATED = frozenset({"", "offered", "unoffered", "not rated", "n/a"})


@dataclass(frozen=True)
class Preset:
    metric: str
    scale: str  # the scale the per-period mean is on (insights.cxscales)
    expects: str
    read: Callable[[str], float | None]  # cell -> per-response value; None: not a rating


def _whole(cell: str, low: int, high: int) -> int:
    text = cell.strip().replace(",", ".")
    try:
        number = float(text)
    except ValueError:
        raise ValueError(f"{cell!r} is not a number") from None
    if not math.isfinite(number) or number != int(number) or not low <= number <= high:
        raise ValueError(f"{cell!r} is not a whole number from {low} to {high}")
    return int(number)


def _good_bad(cell: str) -> float | None:
    word = cell.strip().lower()
    if word in NOT_RATED:
        return None
    if word in ("good", "satisfied", "positive"):
        return 100.0
    if word in ("bad", "unsatisfied", "dissatisfied", "negative"):
        return 0.0
    raise ValueError(f"{cell!r} is not a rating (good or bad; offered/unoffered = not rated)")


def _nps(cell: str) -> float | None:
    if not cell.strip():
        return None
    score = _whole(cell, 0, 10)
    return 100.0 if score >= 9 else -100.0 if score <= 6 else 0.0


def _csat5(cell: str) -> float | None:
    if not cell.strip():
        return None
    return 100.0 if _whole(cell, 1, 5) >= 4 else 0.0


PRESETS = {
    "ticket_satisfaction": Preset("csat", "0-100", "good or bad", _good_bad),
    "nps_survey": Preset("nps", "-100-100", "a whole number 0–10", _nps),
    "csat_survey": Preset("csat", "0-100", "a whole number 1–5", _csat5),
}


@dataclass(frozen=True)
class Response:
    key: int  # signed 64-bit hash of the response id, or of the whole row without one
    team: str
    period_start: dt.date
    value: float
    line: int


@dataclass
class Reading:
    """What reading found besides responses: problems, skips, unmapped groups, sizes."""

    name: str
    problems: list[str] = field(default_factory=list)
    more_problems: int = 0
    rows: int = 0
    not_rated: int = 0
    unmapped: Counter[str] = field(default_factory=Counter)
    unmapped_at: dict[str, str] = field(default_factory=dict)  # first place each was seen

    def problem(self, text: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(text)
        else:
            self.more_problems += 1

    def unmapped_lines(self) -> list[str]:
        return [
            f"{self.unmapped_at[group]}: team value {group!r} "
            f"({count} row{'s' if count > 1 else ''}) is not mapped to a team"
            for group, count in self.unmapped.most_common()
        ]


def key_of(text: str) -> int:
    """A stable signed 64-bit hash (BLAKE2b): the only trace of a response that is stored."""
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), signed=True)


def _delimiter(header: str) -> str:
    counts = {sep: header.count(sep) for sep in (",", ";", "\t")}
    return max(counts, key=lambda sep: counts[sep])


class _Columns:
    """Header cells to indexes, matched without regard to case or surrounding spaces."""

    def __init__(self, header: list[str], source: CxSourceConfig, name: str) -> None:
        cells = [h.strip().lower() for h in header]
        wanted = {
            "date_column": source.date_column,
            "score_column": source.score_column,
            "team_column": source.team_column,
        }
        if source.id_column:
            wanted["id_column"] = source.id_column
        missing = [f"{key} {col!r}" for key, col in wanted.items() if col.lower() not in cells]
        if missing:
            found = ", ".join(repr(h) for h in header)
            raise ValueError(
                f"{name} line 1 (header): no column {'; no column '.join(missing)} "
                f"(as configured for source {source.name!r}); the header has {found}"
            )
        self.date, self.score, self.team = (
            cells.index(wanted[k].lower()) for k in ("date_column", "score_column", "team_column")
        )
        self.id = cells.index(source.id_column.lower()) if source.id_column else None
        self.width = len(header)


def _day_reader(source: CxSourceConfig) -> Callable[[str], dt.date]:
    zone = ZoneInfo(source.timezone)
    fmt = source.date_format

    def day(cell: str) -> dt.date:
        text = cell.strip()
        try:
            when = dt.datetime.strptime(text, fmt) if fmt else dt.datetime.fromisoformat(text)
        except ValueError:
            expected = f"the format {fmt!r}" if fmt else "ISO 8601, e.g. 2026-11-16T09:30:00+01:00"
            raise ValueError(f"{cell!r} is not a date or timestamp ({expected})") from None
        if when.tzinfo is not None:
            when = when.astimezone(zone)
        return when.date()

    return day


class Parser:
    """One response's cells to a ``Response``, or None after noting why in the Reading."""

    def __init__(self, source: CxSourceConfig, cx: CxConfig, reading: Reading) -> None:
        period = cx.period_of(source.metric_name)
        self.source, self.reading = source, reading
        self.preset = PRESETS[source.preset]
        self.day_of = _day_reader(source)
        self.cadence, self.week_starts = period.period, period.week_starts
        self.starts: dict[dt.date, dt.date] = {}
        # Without ids, identical rows are distinct responses (two 10s from EMEA on one day):
        # the k-th copy of a row is keyed with k, so the same copies in an overlapping export
        # match and only copies beyond them count. One small int per distinct row.
        self.copies: dict[int, int] = {}

    def one(
        self,
        *,
        group: str,
        score: str,
        date: str,
        ident: str | None,
        whole: Callable[[], str],
        where: Callable[[str], str],
        line: int,
    ) -> Response | None:
        source, reading = self.source, self.reading
        group = group.strip()
        team = source.teams.get(group)
        if team is None:
            reading.unmapped[group] += 1
            if group not in reading.unmapped_at:
                reading.unmapped_at[group] = where(source.team_column)
            return None
        try:
            column = source.score_column
            value = self.preset.read(score)
            if value is None:
                reading.not_rated += 1
                return None
            column = source.date_column
            day = self.day_of(date)
        except ValueError as exc:
            reading.problem(f"{where(column)}: {exc}")
            return None
        if ident is not None:
            ident = ident.strip()
            if not ident:
                reading.problem(f"{where(source.id_column or '')}: the response id is empty")
                return None
            key = key_of(ident)
        else:
            row = key_of(whole())
            seen = self.copies.get(row, 0)
            self.copies[row] = seen + 1
            key = row if not seen else key_of(f"{whole()}\x1f#{seen}")
        start = self.starts.get(day)
        if start is None:
            start = self.starts[day] = period_start(day, self.cadence, self.week_starts)
        return Response(key, team, start, value, line)


def read(
    handle: IO[str],
    *,
    name: str,
    source: CxSourceConfig,
    cx: CxConfig,
    reading: Reading,
) -> Iterator[list[Response]]:
    """Chunks of parsed responses of one CSV export; problems and skips land in ``reading``.

    ``handle`` is text (``text_stream``: a BOM is dropped); the separator (``,``, ``;`` or tab)
    is the header's most frequent. Raises ValueError for a header that lacks a configured
    column (nothing else can be read then).
    """
    header_line = handle.readline()
    if not header_line.strip():
        raise ValueError(f"{name} is empty: expected a header line")
    sep = _delimiter(header_line)
    cols = _Columns(next(csv.reader([header_line], delimiter=sep)), source, name)
    parser = Parser(source, cx, reading)
    chunk: list[Response] = []
    reader = csv.reader(handle, delimiter=sep)
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            reading.problem(f"{name} line {1 + reader.line_num}: not valid CSV ({exc})")
            continue
        number = 1 + reader.line_num
        if not any(c.strip() for c in cells):
            continue
        reading.rows += 1
        if len(cells) != cols.width:
            reading.problem(f"{name} line {number}: {len(cells)} fields, expected {cols.width}")
            continue
        found = parser.one(
            group=cells[cols.team],
            score=cells[cols.score],
            date=cells[cols.date],
            ident=None if cols.id is None else cells[cols.id],
            whole=lambda: "\x1f".join(c.strip() for c in cells),  # noqa: B023 (called now)
            where=lambda column: f"{name} line {number}, column {column!r}",  # noqa: B023
            line=number,
        )
        if found is not None:
            chunk.append(found)
            if len(chunk) >= CHUNK:
                yield chunk
                chunk = []
    if chunk:
        yield chunk


def read_records(
    records: list[object], *, source: CxSourceConfig, cx: CxConfig, reading: Reading
) -> list[Response]:
    """Responses pushed as JSON objects keyed by the source's column names (the HTTP push)."""
    parser = Parser(source, cx, reading)
    wanted = [source.team_column, source.score_column, source.date_column]
    if source.id_column:
        wanted.append(source.id_column)
    out = []
    for i, record in enumerate(records):
        at = f"responses[{i}]"
        reading.rows += 1
        if not isinstance(record, dict):
            reading.problem(f"{at}: expected an object with {', '.join(map(repr, wanted))}")
            continue
        missing = [c for c in wanted if not isinstance(record.get(c), str | int | float)]
        if missing:
            reading.problem(f"{at}.{missing[0]}: missing (a string or number is expected)")
            continue
        cells = {k: str(v) for k, v in record.items()}
        found = parser.one(
            group=cells[source.team_column],
            score=cells[source.score_column],
            date=cells[source.date_column],
            ident=cells[source.id_column] if source.id_column else None,
            whole=lambda: "\x1f".join(f"{k}={v}" for k, v in sorted(cells.items())),  # noqa: B023
            where=lambda column: f"{at}.{column}",  # noqa: B023
            line=i,
        )
        if found is not None:
            out.append(found)
    return out


@dataclass
class Total:
    """One team-period's newly counted responses: how many, and the sum of their values."""

    n: int = 0
    total: float = 0.0


def add(totals: dict[tuple[str, dt.date], Total], responses: Iterable[Response]) -> None:
    for r in responses:
        cell = totals.get((r.team, r.period_start))
        if cell is None:
            cell = totals[r.team, r.period_start] = Total()
        cell.n += 1
        cell.total += r.value


def text_stream(raw: IO[bytes]) -> IO[str]:
    """A binary stream as text for ``read``: UTF-8 with or without a BOM, newlines untouched."""
    return io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
