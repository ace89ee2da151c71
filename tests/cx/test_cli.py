"""`pulse cx import --responses FILE --source NAME`: the dry run prints what would be stored,
with sample sizes; a bad file lists every problem on stderr and exits non-zero."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli.main import main
from storage.db import make_engine
from storage.migrate import upgrade
from tests.cx.conftest import DATA, seen, stored, sync


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'pulse.db'}"
    engine = make_engine(url)
    upgrade(engine)
    sync(engine)
    engine.dispose()
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("PULSE_CONFIG", str(DATA / "config.toml"))
    return url


def test_dry_run_prints_each_team_period_with_its_sample_size(
    cli_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["cx", "import", "--responses", str(DATA / "nps-oct-nov.csv"), "--source"]
    assert main([*args, "nps-survey", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines() == [
        "nps-oct-nov.csv (source nps-survey): 7 rows, 5 responses counted, 0 counted before "
        "(skipped), 0 not rated",
        "  skipped: nps-oct-nov.csv line 5, column 'Région': team value 'APAC' (1 row) is not "
        "mapped to a team",
        "  skipped: nps-oct-nov.csv line 8, column 'Région': team value 'LATAM' (1 row) is not "
        "mapped to a team",
        "would store 2 team-periods (2 new or changed):",
        "  success nps 2026-10 (monthly): 33.3 on -100-100, n = 3 (+3 new)",
        "  success nps 2026-11 (monthly): 0.0 on -100-100, n = 2 (+2 new)",
        "dry run: nothing was written",
    ]
    engine = make_engine(cli_env)
    assert stored(engine) == {} and seen(engine) == 0
    engine.dispose()


def test_a_bad_export_lists_every_problem_and_exits_2(
    cli_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = str(DATA / "chat-survey-bad.csv")
    assert main(["cx", "import", "--responses", bad, "--source", "chat-survey"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 7 and err[0].startswith("  chat-survey-bad.csv line 3, column 'Submitted'")
    assert err[-1] == "pulse: 6 problems in chat-survey-bad.csv (listed above)"
    assert main(["cx", "import", "--responses", bad]) == 2
    assert capsys.readouterr().err == ("pulse: --responses FILE and --source NAME go together\n")


def test_progress_goes_to_stderr_when_asked(
    cli_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = str(DATA / "helpdesk.csv")
    assert main(["cx", "import", "--responses", path, "--source", "helpdesk", "--progress"]) == 0
    out, err = capsys.readouterr()
    assert "importing helpdesk.csv" in err and "importing" not in out
