"""Raw CX responses in: stream, count each response once, add to its team-period, all or nothing.

`pulse cx import --responses FILE --source NAME` and the HTTP push's ``responses`` both end
in ``store_responses``. Each chunk's response keys are claimed in storage (``cx_response_seen``,
hashes only) inside the caller's transaction: a key claimed before, by an earlier import or
earlier in this one, is a repeat and is not counted again. New responses add to what a period
already holds (mean × sample size), so overlapping exports give the figures one clean export
would. Any problem raises CxDataError after the whole input was read, and the transaction
rolls back: nothing is stored, no key is remembered.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from sqlalchemy import Engine
from sqlmodel import Session, select

from cx.responses import PRESETS, Reading, Response, Total, add, read, text_stream
from cx.validate import CxDataError, CxImportError
from insights.cxscales import label, normalise
from settings.config import AppConfig, CxSourceConfig
from storage import cx_periods
from storage.cx import CxRow, claim_responses, stored_series, stored_values, upsert_metrics
from storage.db import session_scope
from storage.models import Team, Workspace


@dataclass(frozen=True)
class Aggregate:
    """One team-period as it would be stored: its 0–100 value and how many responses."""

    team: str
    metric: str
    cadence: str
    period_start: dt.date
    value: float  # 0–100
    raw_value: float  # on ``scale``
    scale: str
    new: int  # responses counted by this import
    sample_size: int  # with those counted before


@dataclass(frozen=True)
class ResponsesImported:
    source: str
    rows: int  # data rows read
    counted: int  # new responses counted
    repeated: int  # responses counted before (earlier import, or earlier in this input)
    not_rated: int
    unmapped: list[str]  # "file line N: team value 'X' (k rows) is not mapped to a team"
    aggregates: list[Aggregate]
    changed: int


def source_of(config: AppConfig, name: str) -> CxSourceConfig:
    found = config.cx.source(name)
    if found is None:
        names = ", ".join(s.name for s in config.cx.sources) or "none are configured"
        raise CxImportError(f"no CX source {name!r} in config.toml [[cx.sources]] ({names})")
    return found


def _workspace(session: Session) -> int:
    workspaces = session.exec(select(Workspace.id).limit(2)).all()
    if len(workspaces) != 1 or workspaces[0] is None:
        raise CxImportError("no workspace has been synced yet: run `pulse teams sync` first")
    return workspaces[0]


def store_responses(
    session: Session,
    *,
    chunks: Iterable[list[Response]],
    reading: Reading,
    source: CxSourceConfig,
    config: AppConfig,
) -> ResponsesImported:
    """Count the new responses of ``chunks`` into their team-periods, in the caller's
    transaction; CxDataError (every problem, each saying where) when anything is wrong."""
    workspace_id = _workspace(session)
    metric, scale = source.metric_name, PRESETS[source.preset].scale
    period = config.cx.period_of(metric)
    try:
        label(metric, scale)
    except ValueError as exc:
        raise CxImportError(f"source {source.name!r}: {exc} (the preset gives {scale})") from None
    teams = session.exec(select(Team.key, Team.id).where(Team.workspace_id == workspace_id))
    ids = {key: team_id for key, team_id in teams.all() if team_id is not None}
    unsynced = sorted(set(source.teams.values()) - set(ids))
    if unsynced:
        raise CxImportError(f"team {unsynced[0]!r} has not been synced yet: run `pulse teams sync`")
    problems = [
        f"team {team!r} has {metric} stored {cadence}; config.toml cuts it {period.period}"
        for (team, name), cadence in sorted(
            stored_series(session, workspace_id=workspace_id).items()
        )
        if name == metric and team in set(source.teams.values()) and cadence != period.period
    ]
    totals: dict[tuple[str, dt.date], Total] = {}
    repeated = 0
    for chunk in chunks:
        doomed = source.unmapped == "refuse" and reading.unmapped
        if reading.problems or problems or doomed:
            continue  # keep reading to report every problem; nothing will be stored
        new = claim_responses(
            session, workspace_id=workspace_id, source=source.name, keys=[r.key for r in chunk]
        )
        fresh = []
        for r in chunk:
            if r.key in new:
                new.discard(r.key)
                fresh.append(r)
            else:
                repeated += 1
        add(totals, fresh)
    if source.unmapped == "refuse":
        problems += [
            f'{line} (map it in [[cx.sources]] teams, or set unmapped = "skip")'
            for line in reading.unmapped_lines()
        ]
    problems = reading.problems + problems
    if reading.more_problems:
        problems.append(f"… and {reading.more_problems} more problems")
    if problems:
        raise CxDataError(problems)
    aggregates = _merge(session, workspace_id, totals, metric, scale, period.period, ids)
    rows = [
        CxRow(
            ids[a.team],
            metric,
            a.period_start,
            a.value,
            a.raw_value,
            a.scale,
            a.sample_size,
            a.cadence,
        )
        for a in aggregates
    ]
    changed = upsert_metrics(session, workspace_id=workspace_id, rows=rows)
    return ResponsesImported(
        source.name,
        reading.rows,
        sum(a.new for a in aggregates),
        repeated,
        reading.not_rated,
        reading.unmapped_lines(),
        aggregates,
        changed,
    )


def _merge(
    session: Session,
    workspace_id: int,
    totals: dict[tuple[str, dt.date], Total],
    metric: str,
    scale: str,
    cadence: str,
    ids: dict[str, int],
) -> list[Aggregate]:
    """New totals added to what each period holds; CxDataError for a period they cannot join."""
    keys = sorted(totals)
    stored = stored_values(
        session,
        workspace_id=workspace_id,
        metric=metric,
        periods=[(ids[team], start) for team, start in keys],
    )
    problems, out = [], []
    for team, start in keys:
        cell, before = totals[team, start], stored.get((ids[team], start))
        n, total = cell.n, cell.total
        when = cx_periods.label(start, cadence)
        if before is not None:
            if before.sample_size is None or before.scale != scale:
                why = (
                    "has no sample size"
                    if before.sample_size is None
                    else f"is on the {before.scale} scale"
                )
                problems.append(
                    f"team {team!r} {metric} {when}: the stored value {why} (an aggregated "
                    "import), so responses cannot be added to it"
                )
                continue
            total += before.raw_value * before.sample_size
            n += before.sample_size
        raw = total / n
        value, _ = normalise(metric, raw, scale)
        out.append(Aggregate(team, metric, cadence, start, value, raw, scale, cell.n, n))
    if problems:
        raise CxDataError(problems)
    return out


class _Counting:
    """A binary file that counts the bytes read, for a progress bar by size."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw, self.done = raw, 0

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.done += len(data)
        return data

    def read1(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.done += len(data)
        return data

    def readable(self) -> bool:
        return True

    def __getattr__(self, name: str) -> object:
        return getattr(self.raw, name)


@contextmanager
def _progress(path: Path, counting: _Counting, show: bool) -> Iterator[Callable[[], None]]:
    """A rich progress bar by bytes on stderr when ``show``; a no-op otherwise."""
    if not show:
        yield lambda: None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    columns = (TextColumn("importing {task.description}"), BarColumn(), DownloadColumn())
    with Progress(*columns, TimeRemainingColumn(), console=Console(stderr=True)) as bar:
        task = bar.add_task(path.name, total=path.stat().st_size)
        yield lambda: bar.update(task, completed=counting.done)


def import_responses(
    engine: Engine,
    path: Path,
    *,
    config: AppConfig,
    source: str,
    dry_run: bool = False,
    progress: bool | None = None,
) -> ResponsesImported:
    """Import one export file all or nothing, streaming; ``dry_run`` checks and rolls back.

    ``progress``: True draws a bar on stderr, False never; None draws one on a terminal."""
    chosen = source_of(config, source)
    show = sys.stderr.isatty() if progress is None else progress
    reading = Reading(path.name)
    try:
        raw = path.open("rb")
    except OSError as exc:
        raise CxImportError(f"{path}: {exc.strerror or exc}") from None
    counting = _Counting(raw)
    with raw, _progress(path, counting, show) as tick, session_scope(engine) as session:
        handle = text_stream(counting)  # type: ignore[arg-type]
        try:
            chunks = _ticking(
                read(handle, name=path.name, source=chosen, cx=config.cx, reading=reading), tick
            )
            result = store_responses(
                session, chunks=chunks, reading=reading, source=chosen, config=config
            )
        except UnicodeDecodeError:
            raise CxDataError([f"{path.name} is not UTF-8 text"]) from None
        except ValueError as exc:
            if isinstance(exc, CxImportError):
                raise
            raise CxDataError([str(exc)]) from None
        if dry_run:
            session.rollback()
    return result


def _ticking(
    chunks: Iterator[list[Response]], tick: Callable[[], None]
) -> Iterator[list[Response]]:
    for chunk in chunks:
        tick()
        yield chunk
    tick()


def summary(name: str, result: ResponsesImported, *, dry_run: bool) -> list[str]:
    """What the operator reads: counts, unmapped groups, and each team-period with its n."""
    verb = "would store" if dry_run else "stored"
    lines = [
        f"{name} (source {result.source}): {result.rows} rows, {result.counted} responses "
        f"counted, {result.repeated} counted before (skipped), {result.not_rated} not rated"
    ]
    lines += [f"  skipped: {line}" for line in result.unmapped]
    lines.append(f"{verb} {len(result.aggregates)} team-periods ({result.changed} new or changed):")
    for a in result.aggregates:
        when = cx_periods.label(a.period_start, a.cadence)
        lines.append(
            f"  {a.team} {a.metric} {when} ({a.cadence}): {a.raw_value:.1f} on {a.scale}, "
            f"n = {a.sample_size} (+{a.new} new)"
        )
    if dry_run:
        lines.append("dry run: nothing was written")
    return lines
