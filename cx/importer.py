"""CX metrics in: read, validate every row, then store them all in one transaction or none.

`pulse cx import FILE` reads a CSV (`read_csv`); `POST /api/cx-metrics` hands over JSON.
Both go through `store`, which validates with cx.validate and upserts, so importing the
same data twice changes nothing and a corrected value replaces the old one.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session, select

from cx.validate import COLUMNS, FIELDS, CxDataError, CxImportError, Locate, Metric, validate
from settings.config import AppConfig
from storage.cx import CxRow, stored_scales, stored_series, upsert_metrics
from storage.db import session_scope
from storage.models import Team, Workspace
from storage.progress import Progress


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
        raise CxDataError([f"{name} line {reader.line_num}: not valid CSV ({exc})"]) from None
    except OSError as exc:
        raise CxImportError(f"{path}: {exc.strerror or exc}") from None
    if not lines:
        raise CxDataError([f"{name} is empty: expected a header line {','.join(COLUMNS)}"])
    header = [h.strip().lower() for h in lines[0][1]]
    wrong = [
        f"{what} {', '.join(repr(c) for c in cols)}"
        for what, cols in (
            ("missing", [c for c in COLUMNS if c not in header]),
            ("unknown", [h for h in header if h not in FIELDS]),
            ("repeated", [h for h, count in Counter(header).items() if count > 1]),
        )
        if cols
    ]
    if wrong:
        expected = f"{','.join(COLUMNS)}[,scale][,period]"
        problem = f"{name} line 1 (header): {'; '.join(wrong)}; expected {expected}"
        raise CxDataError([problem])
    rows, numbers, problems = [], [], []
    for number, cells in lines[1:]:
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            problems.append(f"{name} line {number}: {len(cells)} fields, expected {len(header)}")
            continue
        rows.append(dict(zip(header, (c.strip() for c in cells), strict=True)))
        numbers.append(number)
    if problems:
        raise CxDataError(problems)

    def locate(index: int, field: str | None) -> str:
        return f"{name} line {numbers[index]}" + (f", column {field}" if field else "")

    return rows, locate


def store(
    session: Session,
    *,
    records: Sequence[object],
    config: AppConfig,
    locate: Locate,
    on_batch: Callable[[int], None] | None = None,
) -> Imported:
    """Validate every record, then upsert them in the caller's transaction."""
    workspaces = session.exec(select(Workspace.id).limit(2)).all()
    if len(workspaces) != 1 or workspaces[0] is None:
        raise CxImportError("no workspace has been synced yet: run `pulse teams sync` first")
    workspace_id = workspaces[0]
    known = stored_scales(session, workspace_id=workspace_id)
    metrics = validate(records, config=config, locate=locate, known_scales=known)
    teams = session.exec(select(Team.key, Team.id).where(Team.workspace_id == workspace_id))
    ids = {key: team_id for key, team_id in teams.all() if team_id is not None}
    unsynced = sorted({m.team for m in metrics} - set(ids))
    if unsynced:
        raise CxImportError(f"team {unsynced[0]!r} has not been synced yet: run `pulse teams sync`")
    _check_cadences(metrics, stored_series(session, workspace_id=workspace_id), locate)
    rows = [
        CxRow(
            ids[m.team],
            m.metric,
            m.period_start,
            m.value,
            m.raw_value,
            m.scale,
            m.sample_size,
            m.cadence,
        )
        for m in metrics
    ]
    changed = upsert_metrics(session, workspace_id=workspace_id, rows=rows, on_batch=on_batch)
    return Imported(len(rows), changed, dict(Counter(m.label for m in metrics)))


def _check_cadences(
    metrics: Sequence[Metric], stored: dict[tuple[str, str], str], locate: Locate
) -> None:
    """One series, one cadence: a monthly row cannot join a weekly series, stored or sent."""
    seen = dict(stored)
    problems = []
    for i, m in enumerate(metrics):
        cadence = seen.setdefault((m.team, m.metric), m.cadence)
        if cadence != m.cadence:
            problems.append(
                f"{locate(i, 'period')}: {m.cadence}, but team {m.team!r} {m.metric} is "
                f"{cadence} (one series has one period)"
            )
    if problems:
        raise CxDataError(problems)


def import_file(
    engine: Engine,
    path: Path,
    *,
    config: AppConfig,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> Imported:
    """Import a CSV file all or nothing; ``dry_run`` checks everything, then rolls back."""
    records, locate = read_csv(path)
    if progress is not None:
        progress.start(len(records))
    with session_scope(engine) as session:
        result = store(
            session,
            records=records,
            config=config,
            locate=locate,
            on_batch=progress.advance if progress is not None else None,
        )
        if dry_run:
            session.rollback()
    return result


def summary(name: str, result: Imported, *, dry_run: bool) -> list[str]:
    """What the operator reads after an import: counts, and how each metric was read."""
    verb = "would change" if dry_run else "changed"
    lines = [f"{name}: {result.rows} rows valid, {verb} {result.changed} (new or corrected)"]
    lines += [f"  {label}: {count} rows" for label, count in sorted(result.by_label.items())]
    if dry_run:
        lines.append("dry run: nothing was written")
    return lines
