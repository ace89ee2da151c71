"""Consistent backups while the product runs, and restores.

SQLite uses its online backup API (a consistent copy even mid-write); PostgreSQL uses
`pg_dump --format=custom` and `pg_restore --clean`. Stop `web` and `worker` before a restore.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from collections import deque
from pathlib import Path

from sqlalchemy.engine import make_url

from storage.progress import Progress


class BackupError(RuntimeError):
    """A backup or restore could not be done; the message says why."""


PAGES_PER_STEP = 256  # a restore copies SQLite pages in steps, to report them


def backup(database_url: str, target: Path) -> None:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        _sqlite_copy(Path(url.database or ""), target)
    else:
        _run(["pg_dump", "--format=custom", "--no-owner", f"--file={target}", _libpq(database_url)])


def restore(database_url: str, source: Path, *, progress: Progress | None = None) -> None:
    """Replace the database with ``source`` (web and worker stopped). ``progress`` hears of
    SQLite pages copied, or of PostgreSQL archive items restored."""
    if not source.exists():
        raise BackupError(f"{source}: no such backup file")
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        _sqlite_copy(source, Path(url.database or ""), progress=progress, pages=PAGES_PER_STEP)
    else:
        command = [
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            f"--dbname={_libpq(database_url)}",
            str(source),
        ]
        if progress is None:
            _run(command)
        else:
            _run_counted(command, source, progress)


def _sqlite_copy(
    source: Path, target: Path, *, progress: Progress | None = None, pages: int = -1
) -> None:
    """SQLite's backup API. A backup copies in one step (``pages`` -1): copied in steps, a
    write by the running product between two would restart the copy, maybe forever; a
    restore (nothing else writing) copies in steps and reports them."""
    if not source.exists():
        raise BackupError(f"{source}: no such database file")
    done = -1

    def step(status: int, remaining: int, total: int) -> None:
        nonlocal done
        if progress is None:
            return
        if done < 0:
            progress.start(total)
            done = 0
        progress.advance(total - remaining - done)
        done = total - remaining

    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst, pages=pages, progress=step)
    src.close()
    dst.close()


def _libpq(database_url: str) -> str:
    """The URL as libpq tools want it (no SQLAlchemy driver suffix)."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


def _run_counted(command: list[str], source: Path, progress: Progress) -> None:
    """pg_restore, told the archive's items (`--list`) and counting those it restores."""
    if shutil.which("pg_restore") is None:
        _run(command)  # says the tools are missing, the usual way
        return
    listed = subprocess.run(
        ["pg_restore", "--list", str(source)], capture_output=True, text=True, check=False
    )
    if listed.returncode != 0:
        _run(command)  # not an archive: pg_restore's own reason, the usual way
        return
    progress.start(sum(1 for line in listed.stdout.splitlines() if line[:1].isdigit()))
    last: deque[str] = deque(maxlen=1)
    with subprocess.Popen(
        [*command, "--verbose"], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True
    ) as proc:
        assert proc.stderr is not None
        for line in proc.stderr:
            if line.startswith(("pg_restore: creating ", "pg_restore: processing data")):
                progress.advance(1)
            elif line.strip():
                last.append(line.strip())
    if proc.returncode != 0:
        raise BackupError(f"pg_restore: {last[0] if last else 'failed'}")


def _run(command: list[str]) -> None:
    if shutil.which(command[0]) is None:
        raise BackupError(f"{command[0]} not found: install the PostgreSQL client tools")
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["failed"])[-1]
        raise BackupError(f"{command[0]}: {last}")
