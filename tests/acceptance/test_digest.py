"""HR's digest and export from the `pulse` CLI, on the sandbox company with 12 weeks of history."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pytest
from matplotlib.image import imread

from cli import demo_history
from figures.segments import seal_stale
from sandbox import company
from settings.runtime import Settings
from storage.db import session_scope
from storage.org import workspace_by_slack_id
from tests.acceptance.conftest import Stack


@pytest.fixture(scope="module")
def history(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Stack:
    """Teams synced from the sandbox, HR's file of layers, personas and start dates imported,
    then the demo company's past twelve weeks (sealed with those values, as `pulse demo`)."""
    assert stack.pulse("teams", "sync").returncode == 0
    people = tmp_path_factory.mktemp("people") / "people.csv"
    people.write_text(company.people_csv(), encoding="utf-8")
    imported = stack.pulse("people", "import", str(people))
    assert imported.returncode == 0, imported.stderr
    settings = Settings.from_env(stack.env)
    with session_scope(stack.engine) as s:
        ws = workspace_by_slack_id(s, slack_team_id="T0SANDBOX")
        assert ws is not None and ws.id is not None
        demo_history.seed(
            s,
            config=settings.config,
            bank=settings.bank,
            workspace_id=ws.id,
            slack_team_id="T0SANDBOX",
            secret=settings.secret(),
            now=dt.datetime.now(dt.UTC),
        )
        seal_stale(s, config=settings.config, secret=settings.secret())  # as jobs.closing
    return stack


def sqlite_only(stack: Stack) -> None:
    """Commands that only read the database: one backend is enough to prove the CLI."""
    if not stack.env["DATABASE_URL"].startswith("sqlite"):
        pytest.skip("reads only; the PostgreSQL queries are covered by the posting test")


def _png(data: bytes) -> tuple[int, ...]:
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    return imread(io.BytesIO(data), format="png").shape


def test_pulse_digest_posts_to_the_people_channel_with_its_charts_once_a_week(
    history: Stack,
) -> None:
    result = history.pulse("digest")
    assert result.returncode == 0, result.stderr
    assert "digest posted to C0PEOPLE: 1 message(s)" in result.stdout

    (post,) = history.ws.messages("C0PEOPLE")[:1]
    text = str(post["blocks"])
    assert "weekly HR digest" in text and "*Engagement*" in text and "Teams at risk" in text
    assert "EX ↔ CX" in text and "figures only from 5+ people" in text
    files = [f for f in history.ws.files() if f["channel_id"] == "C0PEOPLE"]
    charts = {f["name"].split("-2")[0] for f in files}
    assert charts == {"engagement-cx", "drivers", "segments"}  # the org's layers, personas…
    assert all(f["mimetype"] == "image/png" and _png(f["bytes"])[1] >= 800 for f in files)

    assert len(history.ws.messages("C0PEOPLE")) == 2  # the digest, then its charts
    if history.env["DATABASE_URL"].startswith("sqlite"):  # the CLI's answer; once is enough
        again = history.pulse("digest")
        assert again.returncode == 2 and "already posted to C0PEOPLE" in again.stderr


def test_pulse_digest_dry_run_prints_it_and_saves_the_charts(
    history: Stack, tmp_path: Path
) -> None:
    sqlite_only(history)
    posted_before = len(history.ws.messages("C0PEOPLE"))
    result = history.pulse("digest", "--dry-run", "--out", str(tmp_path / "charts"))
    assert result.returncode == 0, result.stderr
    assert "OXYGEN PULSE · WEEKLY HR DIGEST" in result.stdout and "Participation" in result.stdout
    saved = [line.split(": ", 1)[1] for line in result.stdout.splitlines() if "chart saved" in line]
    assert len(saved) == 3  # EX↔CX, drivers by team, drivers by segment
    for path in saved:
        height, width, _ = _png(Path(path).read_bytes())
        assert width in (800, 900) and height >= 250
    assert len(history.ws.messages("C0PEOPLE")) == posted_before  # a dry run posts nothing


def test_pulse_export_writes_team_driver_and_cx_aggregates(history: Stack, tmp_path: Path) -> None:
    sqlite_only(history)
    result = history.pulse("export", "--out", str(tmp_path), "--weeks", "12")
    assert result.returncode == 0, result.stderr
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == ["cx.csv", "drivers.csv", "segments.csv", "teams.csv"]  # config: segments
    with (tmp_path / "segments.csv").open() as f:
        cells = [row for row in csv.DictReader(f) if row["respondents"]]
    assert all(int(row["respondents"]) >= 5 for row in cells)
    with (tmp_path / "teams.csv").open() as f:
        teams = list(csv.DictReader(f))
    shown = [row for row in teams if row["respondents"]]
    assert {"(org)", "cx-org", "support", "billing"} <= {row["team"] for row in shown}
    assert all(int(row["respondents"]) >= 5 for row in shown)
    with (tmp_path / "drivers.csv").open() as f:
        drivers = [row for row in csv.DictReader(f) if row["answers"]]
    assert drivers and all(int(row["answers"]) >= 5 for row in drivers)
    with (tmp_path / "cx.csv").open() as f:
        assert {row["metric"] for row in csv.DictReader(f)} == {"csat", "fcr", "nps", "ces"}


def test_segment_cuts_over_http_show_the_exports_figures(history: Stack, tmp_path: Path) -> None:
    """HR's `/pulse report org by layer` and a manager's `/pulse report support by layer`, as
    Slack sends them, show the figures `pulse export` writes for the same week (one figure,
    one computation), and nothing below k."""
    result = history.pulse("export", "--out", str(tmp_path), "--weeks", "4")
    assert result.returncode == 0, result.stderr
    with (tmp_path / "segments.csv").open() as f:
        exported = {(r["team"], r["week"], r["segment"], r["value"]): r for r in csv.DictReader(f)}
    assert all(int(r["respondents"]) >= 5 for r in exported.values() if r["respondents"])
    shown = 0
    for user, asked, node in [
        ("U0HRLEAD", "report org by layer", "(org)"),
        ("U0MANAGER", "report support by layer", "support"),
    ]:
        reply = history.reply_to(user, asked)
        text, said = reply["text"], json.dumps(reply)
        week = dt.datetime.strptime(said.split("Week of ")[1][:11], "%d %b %Y").date()
        for value in ("frontline", "support", "back-office"):
            row = exported.get((node, str(week), "layer", value))
            line = next(x for x in text.splitlines() if x.startswith(f"*{value}* · "))
            if row is None or not row["respondents"]:
                assert "hidden: fewer than 5 people" in line, line
                continue
            shown += 1
            engagement = round(float(row["engagement"]))
            assert f"engagement {engagement} · {row['respondents']} respondents" in line, line
    assert shown >= 1  # the demo company's org shows at least one layer
