"""`pulse people import FILE`: HR's CSV of segment values, all or nothing, idempotent.

Every problem names its line and column; a file with any problem changes nothing; the
same file twice changes nothing the second time; an email is looked up in Slack."""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from cli.main import main
from cli.people import PeopleImportError, by_user_id, read_people
from settings.config import ConfigError, parse_config
from storage.db import make_engine, session_scope
from storage.migrate import upgrade
from storage.models import PersonSegment
from storage.org import ensure_workspace

CONFIG = """
[[segments]]
key = "layer"
name = "Proximity to the customer"
values = ["frontline", "support", "back-office"]

[[segments]]
key = "persona"
name = "Persona"
values = ["advisor", "specialist", "builder"]

[[segments]]
key = "tenure"
name = "Tenure"
bands = [6, 12, 36]
"""
TODAY = dt.date(2026, 12, 3)


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Engine:
    url = f"sqlite:///{tmp_path / 'pulse.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with session_scope(engine) as s:
        ensure_workspace(s, slack_team_id="T0SANDBOX")
    (tmp_path / "config.toml").write_text(CONFIG, encoding="utf-8")
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("PULSE_CONFIG", str(tmp_path / "config.toml"))
    return engine


def _stored(engine: Engine) -> dict[tuple[str, str], str]:
    with session_scope(engine) as s:
        return {(r.slack_user_id, r.attribute): r.value for r in s.exec(select(PersonSegment))}


def test_a_good_file_lands_and_importing_it_again_changes_nothing(
    env: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "people.csv"
    path.write_text(
        "slack_user_id,layer,persona,tenure\n"
        "U0ALICE,Frontline,advisor,2024-03-18\n"
        "U0BOB,back-office,,2019-11\n",
        encoding="utf-8",
    )
    assert main(["people", "import", str(path), "--dry-run"]) == 0
    assert capsys.readouterr().out == "people.csv: 2 people, would change 5 values\n"
    assert _stored(env) == {}
    assert main(["people", "import", str(path)]) == 0
    assert capsys.readouterr().out == "people.csv: 2 people, changed 5 values\n"
    assert _stored(env) == {
        ("U0ALICE", "layer"): "frontline",
        ("U0ALICE", "persona"): "advisor",
        ("U0ALICE", "tenure"): "2024-03",  # the month only: the day is more than bands need
        ("U0BOB", "layer"): "back-office",
        ("U0BOB", "tenure"): "2019-11",
    }
    assert main(["people", "import", str(path)]) == 0
    assert capsys.readouterr().out == "people.csv: 2 people, changed 0 values\n"
    path.write_text("slack_user_id,persona\nU0ALICE,\n", encoding="utf-8")  # empty clears
    assert main(["people", "import", str(path)]) == 0
    assert ("U0ALICE", "persona") not in _stored(env)
    assert ("U0ALICE", "layer") in _stored(env)  # columns not in the file are kept


def test_every_problem_names_line_and_column_and_nothing_is_imported(
    env: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        "slack_user_id,layer,tenure\n"
        "U0ALICE,frontline,2024-03-18\n"
        "U0BOB,front office,2019-11\n"
        "alice,support,2020-01-01\n"
        "U0CAROL,support,2027-01-01\n"
        "U0ALICE,support,2020-13-01\n",
        encoding="utf-8",
    )
    assert main(["people", "import", str(path)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "pulse: bad.csv line 3, column 2 (layer): 'front office' is not a value of layer "
        "(frontline, support, back-office)",
        "bad.csv line 4, column 1 (slack_user_id): 'alice' is not a Slack user id (like U0123ABC)",
        "bad.csv line 5, column 3 (tenure): '2027-01-01' is in the future",
        "bad.csv line 6, column 1 (slack_user_id): 'U0ALICE' is already on line 2",
        "nothing was imported",
    ]
    assert _stored(env) == {}


def test_an_unknown_column_is_named_with_the_known_ones() -> None:
    config = parse_config(tomllib.loads(CONFIG))
    with pytest.raises(PeopleImportError) as err:
        read_people("email,layer,team\n", config, source="p.csv", today=TODAY)
    assert str(err.value).splitlines() == [
        "p.csv line 1, column 3: no segment 'team' in config.toml (known: layer, persona, tenure)",
        "nothing was imported",
    ]


def test_emails_are_looked_up_and_an_unknown_one_is_refused() -> None:
    config = parse_config(tomllib.loads(CONFIG))
    people = read_people(
        "email,layer\nAda@Example.com,support\nnobody@example.com,frontline\n",
        config,
        source="p.csv",
        today=TODAY,
    )
    with pytest.raises(PeopleImportError) as err:
        by_user_id(people, source="p.csv", lookup={"ada@example.com": "U0ADA"}.get)
    assert str(err.value).splitlines()[0] == (
        "p.csv line 3, column 1 (email): no Slack user has 'nobody@example.com'"
    )
    people.values.pop("nobody@example.com")
    assert by_user_id(people, source="p.csv", lookup={"ada@example.com": "U0ADA"}.get) == {
        "U0ADA": {"layer": "support"}
    }


@pytest.mark.parametrize(
    ("segments", "said"),
    [
        ([{"key": "layer", "name": "L"}], "set either 'values'"),
        ([{"key": "layer", "name": "L", "values": ["a", "other"]}], "'other' is kept"),
        ([{"key": "t", "name": "T", "bands": [12, 6]}], "months must rise"),
        (
            [
                {"key": "a", "name": "A", "values": ["x"]},
                {"key": "a", "name": "B", "values": ["y"]},
            ],
            "duplicate segment key",
        ),
        ([{"key": "layer", "name": "L", "values": ["Front Line"]}], "segments[0].values[0]"),
    ],
)
def test_segment_config_is_validated(segments: list[dict], said: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(said)):
        parse_config({"segments": segments})
