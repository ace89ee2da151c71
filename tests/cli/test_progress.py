"""Long work shows a rich progress bar (done/total, %, rate, time) on a terminal only:
`cx import`, `seed`, `restore` and `export` (its weeks read or computed), bytes written for
`backup`.
Through a pipe they print what they always printed, and nothing on stderr."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import cli.main
from cli.main import main
from storage.db import make_engine
from storage.migrate import upgrade
from tests.bot.test_cx_import import CONFIG_TOML, GOOD, sync, write


@pytest.fixture
def installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A migrated SQLite database with synced teams, and the config naming them."""
    db = tmp_path / "pulse.db"
    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine)
    sync(engine)
    engine.dispose()
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{db}")
    monkeypatch.setenv("PULSE_CONFIG", str(write(tmp_path, CONFIG_TOML, "config.toml")))
    return db


def test_cx_import_draws_a_bar_on_a_terminal_for_a_large_file(
    installed: Path,
    tmp_path: Path,
    terminal: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(cli.main, "PROGRESS_FROM_BYTES", 0)  # every file counts as large
    assert main(["cx", "import", str(write(tmp_path, GOOD))]) == 0
    out, err = capsys.readouterr()
    assert "importing cx.csv" in err and "6/6 rows" in err and "100%" in err
    assert "done in 0:0" in err  # the time it took
    assert out.startswith("cx.csv: 6 rows valid, changed 6")


def test_cx_import_draws_nothing_through_a_pipe(
    installed: Path,
    tmp_path: Path,
    pipe: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(cli.main, "PROGRESS_FROM_BYTES", 0)
    assert main(["cx", "import", str(write(tmp_path, GOOD))]) == 0
    assert capsys.readouterr().err == ""


def test_no_bar_for_a_small_file_even_on_a_terminal(
    installed: Path, tmp_path: Path, terminal: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["cx", "import", str(write(tmp_path, GOOD)), "--dry-run"]) == 0
    assert capsys.readouterr().err == ""
    assert main(["cx", "import", str(write(tmp_path, GOOD)), "--dry-run", "--progress"]) == 0
    assert "6/6 rows" in capsys.readouterr().err  # asked for


def _seed(tmp_path: Path, name: str) -> int:
    url = f"sqlite:///{tmp_path / name}"
    return main(["seed", "--employees", "12", "--teams", "2", "--weeks", "2", "--database", url])


def test_seed_shows_weeks_and_answers_on_a_terminal(
    tmp_path: Path, terminal: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _seed(tmp_path, "seed.db") == 0
    out, err = capsys.readouterr()
    shown = out + err  # on a terminal, lines printed meanwhile go above the bar
    assert "seeding" in err and "2/2 weeks" in err and "answers" in err and "weeks/s" in err
    assert "org: 2 teams, 12 people" in shown and "done:" in shown
    assert "week 2/2:" not in shown  # the bar says it


def test_seed_through_a_pipe_logs_its_weeks_as_before(
    tmp_path: Path, pipe: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _seed(tmp_path, "seed.db") == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert "org: 2 teams, 12 people" in out and "week 2/2:" in out and "done:" in out


def test_backup_shows_its_bytes_and_restore_its_pages_on_a_terminal_only(
    installed: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    copy = tmp_path / "copy.db"
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert main(["backup", str(copy)]) == 0
    out, err = capsys.readouterr()
    assert out == f"backup written to {copy}\n"
    assert (
        "✓ backing up to copy.db" in err
        and "kB" in err
        and "done in 0:0" in err
        and copy.stat().st_size > 0
    )
    assert main(["restore", str(copy)]) == 0
    restored = capsys.readouterr().err
    assert "restoring from copy.db" in restored and " pages" in restored and "100%" in restored
    monkeypatch.delenv("FORCE_COLOR")
    assert main(["backup", str(copy)]) == 0
    assert capsys.readouterr().err == ""
    assert main(["restore", str(tmp_path / "missing.db")]) == 2
    assert capsys.readouterr().err == f"pulse: {tmp_path / 'missing.db'}: no such backup file\n"


SEEDED_TOML = """
[[teams]]
key = "dept-00"
name = "Department 0"

[[teams]]
key = "team-000"
name = "Team 0"
usergroup = "S000000"
parent = "dept-00"

[[teams]]
key = "team-001"
name = "Team 1"
usergroup = "S000001"
parent = "dept-00"
"""


def test_export_shows_its_weeks_on_a_terminal_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The weeks with pulses are read (kept ready by `pulse seed`) or computed, on a bar."""
    url = f"sqlite:///{tmp_path / 'seed.db'}"
    assert (
        main(["seed", "--employees", "12", "--teams", "2", "--weeks", "3", "--database", url]) == 0
    )
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("PULSE_CONFIG", str(write(tmp_path, SEEDED_TOML, "config.toml")))
    capsys.readouterr()
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert main(["export", "--out", str(tmp_path / "out"), "--weeks", "6"]) == 0
    out, err = capsys.readouterr()
    assert "teams.csv: " in out and "exporting 6 weeks" in err and "100%" in err
    done = re.findall(r"(\d+)/(\d+) weeks", err)[-1]
    assert done[0] == done[1] and int(done[0]) >= 2, err
    monkeypatch.delenv("FORCE_COLOR")
    assert main(["export", "--out", str(tmp_path / "out"), "--weeks", "6"]) == 0
    assert capsys.readouterr().err == ""
