"""`pulse cx import`: a good file lands normalised; a bad one says where and imports nothing."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from bot.context import Context
from bot.cx_api import handle
from cli.main import main
from cx.importer import import_file
from cx.validate import CxImportError
from insights.questions import load_bank
from settings.config import parse_config
from settings.runtime import Settings
from storage.db import make_engine, session_scope
from storage.migrate import upgrade
from storage.models import CxMetric
from storage.org import ensure_workspace, upsert_team

CONFIG_TOML = """
[[teams]]
key = "support"
name = "Support"
usergroup = "S0SUPPORT"
cx_metrics = ["csat", "fcr"]

[[teams]]
key = "success"
name = "Success"
usergroup = "S0SUCCESS"
cx_metrics = ["csat", "nps"]

[[teams]]
key = "onboarding"
name = "Onboarding"
channel = "C0ONBOARD"
cx_metrics = ["ces"]

[[teams]]
key = "legal"
name = "Legal"
channel = "C0LEGAL"
"""
CONFIG = parse_config(tomllib.loads(CONFIG_TOML))
HEADER = "team,metric,period_start,value,sample_size\n"
GOOD = HEADER + (
    "support,csat,2026-11-09,4.2,120\n"
    "support,csat,2026-11-16,4.6,\n"
    "success,csat,2026-11-16,87.5,80\n"
    "success,nps,2026-11-16,-20,50\n"
    "onboarding,ces,2026-11-16,2.5,40\n"
    "support,fcr,2026-11-16,0.75,120\n"
)


def sync(engine: Engine, keys: tuple[str, ...] = ("support", "success", "onboarding")) -> None:
    with session_scope(engine) as s:
        ws = ensure_workspace(s, slack_team_id="T0SANDBOX")
        for key in keys:
            upsert_team(
                s,
                workspace_id=ws.id,
                key=key,
                name=key,
                usergroup=None,
                channel=None,
                parent_id=None,
            )


def write(tmp_path: Path, text: str, name: str = "cx.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def stored(engine: Engine) -> dict[tuple[int, str, str], tuple[float, float, str, int | None]]:
    with session_scope(engine) as s:
        return {
            (m.team_id, m.metric, m.period_start.isoformat()): (
                round(m.value, 6),
                m.raw_value,
                m.scale,
                m.sample_size,
            )
            for m in s.exec(select(CxMetric))
        }


def test_a_good_file_imports_normalised_and_labelled(engine: Engine, tmp_path: Path) -> None:
    sync(engine)
    result = import_file(engine, write(tmp_path, GOOD), config=CONFIG)
    assert (result.rows, result.changed) == (6, 6)
    assert result.by_label == {
        "CSAT (1–5 average, shown as 0–100)": 2,
        "CSAT (0–100)": 1,
        "NPS (−100…100, shown as 0–100; 50 = as many promoters as detractors)": 1,
        "Customer effort (1–7, inverted to 0–100: higher means less effort)": 1,
        "First-contact resolution (%)": 1,
    }
    got = sorted(stored(engine).values())
    assert got == sorted(
        [
            (80.0, 4.2, "1-5", 120),
            (90.0, 4.6, "1-5", None),
            (87.5, 87.5, "0-100", 80),
            (40.0, -20.0, "-100-100", 50),
            (75.0, 2.5, "1-7", 40),
            (75.0, 0.75, "0-1", 120),
        ]
    )


def test_reimporting_changes_nothing_and_a_correction_updates(
    engine: Engine, tmp_path: Path
) -> None:
    sync(engine)
    import_file(engine, write(tmp_path, GOOD), config=CONFIG)
    before = stored(engine)
    again = import_file(engine, write(tmp_path, GOOD), config=CONFIG)
    assert (again.rows, again.changed) == (6, 0) and stored(engine) == before
    fixed = GOOD.replace("support,csat,2026-11-16,4.6,", "support,csat,2026-11-16,4.8,130")
    corrected = import_file(engine, write(tmp_path, fixed), config=CONFIG)
    assert corrected.changed == 1
    changed = {k: v for k, v in stored(engine).items() if before[k] != v}
    assert list(changed.values()) == [(95.0, 4.8, "1-5", 130)]


def test_a_series_keeps_its_stored_scale_unless_the_file_names_one(
    engine: Engine, tmp_path: Path
) -> None:
    sync(engine)
    first = HEADER + "success,csat,2026-11-02,80,1\nsuccess,csat,2026-11-09,90,1\n"
    import_file(engine, write(tmp_path, first), config=CONFIG)
    low_week = HEADER + "success,csat,2026-11-16,4.5,1\n"  # alone, it would read as 1–5
    import_file(engine, write(tmp_path, low_week), config=CONFIG)
    explicit = HEADER.strip() + ",scale\nsuccess,csat,2026-11-23,4.5,1,1-5\n"
    import_file(engine, write(tmp_path, explicit), config=CONFIG)
    values = {week: (v, scale) for (_, _, week), (v, _, scale, _) in stored(engine).items()}
    assert values["2026-11-16"] == (4.5, "0-100") and values["2026-11-23"] == (87.5, "1-5")


ROW = "support,csat,2026-10-05,4.5,120\n"  # weeks before GOOD's, which follow the bad rows
BAD = [
    ("support,csat,2026-10-05,abc,120", "cx.csv line 2, column value: 'abc' is not a number"),
    ("support,csat,2026-10-05,,120", "cx.csv line 2, column value: missing"),
    (
        "suport,csat,2026-10-05,4,1",
        "line 2, column team: no team 'suport' in config.toml (did you mean 'support'?)",
    ),
    (
        "support,nps,2026-10-05,4,1",
        "line 2, column metric: 'nps' is not linked to team 'support' in config.toml "
        "(its cx_metrics are csat, fcr)",
    ),
    (
        "legal,csat,2026-10-05,4,1",
        "line 2, column metric: 'csat' is not linked to team 'legal' in config.toml "
        "(it has no cx_metrics)",
    ),
    (
        "support,csat,05/10/2026,4,1",
        "line 2, column period_start: '05/10/2026' is not an ISO date (YYYY-MM-DD)",
    ),
    ("support,csat,2026-02-30,4,1", "column period_start: '2026-02-30' is not a calendar date"),
    (
        "support,csat,2026-10-06,4,1",
        "line 2, column period_start: 2026-10-06 is a Tuesday: period_start must be the Monday "
        "a week starts on (the week containing 2026-10-06 starts on 2026-10-05)",
    ),
    (
        "success,nps,2026-10-05,150,1",
        "line 2, column value: nps value 150 is outside −100…100 (read as -100-100)",
    ),
    (
        "support,csat,2026-10-05,4,12.5",
        "column sample_size: '12.5' is not a whole number of responses (1 or more)",
    ),
    ("support,csat,2026-10-05,80", "cx.csv line 2: 4 fields, expected 5"),
    (
        ROW + "\n" + ROW.replace("4.5", "4.6"),
        "cx.csv line 4: same team, metric and period_start as cx.csv line 2",
    ),
    (
        ROW + "support,csat,2026-10-12,x,1\nsupport,csat,2026-10-19,y,1",
        "line 3, column value: 'x' is not a number (and 1 more problem);",
    ),
]


@pytest.mark.parametrize(("rows", "message"), BAD)
def test_each_bad_row_names_its_line_and_column_and_nothing_is_imported(
    engine: Engine, tmp_path: Path, rows: str, message: str
) -> None:
    sync(engine)
    text = HEADER + rows + "\n" + GOOD.removeprefix(HEADER)  # good rows do not save a bad file
    with pytest.raises(CxImportError) as raised:
        import_file(engine, write(tmp_path, text), config=CONFIG)
    assert message in str(raised.value) and str(raised.value).endswith("nothing was imported")
    assert stored(engine) == {}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "cx.csv is empty: expected a header line team,metric,period_start,value,sample_size"),
        ("team,metric,period_start,value\n", "cx.csv line 1 (header): missing 'sample_size'"),
        (HEADER.strip() + ",notes\n", "line 1 (header): unknown 'notes'; expected team,metric,"),
        (
            HEADER.strip() + ",scale\n" + ROW.strip() + ",0-10\n",
            "line 2, column scale: csat has no scale '0-10': use 1-5 or 0-100",
        ),
        ("\xff\xfe", "cx.csv is not UTF-8 text"),
    ],
)
def test_header_and_file_problems(engine: Engine, tmp_path: Path, text: str, message: str) -> None:
    sync(engine)
    path = tmp_path / "cx.csv"
    path.write_bytes(text.encode("latin-1") if text.startswith("\xff") else text.encode())
    with pytest.raises(CxImportError) as raised:
        import_file(engine, path, config=CONFIG)
    assert message in str(raised.value)
    assert stored(engine) == {}


def test_unsynced_teams_dry_runs_and_progress(engine: Engine, tmp_path: Path) -> None:
    with pytest.raises(CxImportError, match="no workspace has been synced yet"):
        import_file(engine, write(tmp_path, GOOD), config=CONFIG)
    sync(engine, keys=("support", "success"))
    with pytest.raises(CxImportError, match="team 'onboarding' has not been synced yet"):
        import_file(engine, write(tmp_path, GOOD), config=CONFIG)
    sync(engine)
    told: list[int] = []

    class Told:
        start = advance = told.append

    dry = import_file(engine, write(tmp_path, GOOD), config=CONFIG, dry_run=True, progress=Told())
    assert dry.changed == 6 and stored(engine) == {}
    assert told[0] == 6 and sum(told[1:]) == 6  # the total, then every stored row once


def test_the_cli_prints_a_summary_or_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'pulse.db'}"
    engine = make_engine(url)
    upgrade(engine)
    sync(engine)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("PULSE_CONFIG", str(write(tmp_path, CONFIG_TOML, "config.toml")))
    assert main(["cx", "import", str(write(tmp_path, GOOD)), "--progress"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("cx.csv: 6 rows valid, changed 6 (new or corrected)\n")
    assert "  CSAT (1–5 average, shown as 0–100): 2 rows\n" in out
    assert "importing cx.csv" in err and "6/6 rows" in err and "100%" in err  # also off a tty
    bad = write(tmp_path, HEADER + "support,csat,2026-11-16,abc,1\n", "bad.csv")
    assert main(["cx", "import", str(bad)]) == 2
    out, err = capsys.readouterr()
    assert err == (
        "pulse: bad.csv line 2, column value: 'abc' is not a number; nothing was imported\n"
    )
    assert main(["cx", "import", str(tmp_path / "missing.csv")]) == 2
    assert "missing.csv: No such file or directory" in capsys.readouterr().err
    engine.dispose()


def test_the_api_is_off_until_the_operator_sets_a_token(engine: Engine) -> None:
    settings = Settings(
        config=CONFIG,
        config_path=Path("config.toml"),
        bank=load_bank(),
        database_url="sqlite://",
        slack_api_url="http://slack.invalid/",
    )
    replies: list[str] = []
    environ = {"REQUEST_METHOD": "POST", "HTTP_AUTHORIZATION": "Bearer anything"}
    body = b"".join(handle(Context(settings, engine), environ, lambda s, h: replies.append(s)))
    assert replies == ["503 Service Unavailable"]
    assert b"set PULSE_CX_TOKEN on the server" in body
