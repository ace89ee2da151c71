"""`pulse close --team T` and `pulse send-pulse` refusing a second open pulse, run as the
operator runs them (in-process `main`) against the sandbox workspace."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from cli.main import main
from sandbox import company
from sandbox.server import SandboxServer
from sandbox.workspace import Workspace
from storage import closed_dms
from storage.db import make_engine
from storage.migrate import upgrade
from tests.conftest import REPO

SUPPORT = company.team_members("support")


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxServer]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    with SandboxServer(company.seed(Workspace())) as server:
        env = {
            "PULSE_CONFIG": str(REPO / "config.toml"),
            "SLACK_API_URL": server.url,
            "SLACK_BOT_TOKEN": server.workspace.bot_token,
            "SLACK_SIGNING_SECRET": "x" * 32,
            "PULSE_SECRET": "cli-test-secret-cli-test",
            "DATABASE_URL": url,
            "LOG_LEVEL": "WARNING",
        }
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setattr(closed_dms, "GRACE", dt.timedelta(0))
        yield server


def test_close_refusals_and_closed_dms(
    sandbox: SandboxServer, capsys: pytest.CaptureFixture[str]
) -> None:
    ws = sandbox.workspace
    assert main(["teams", "sync"]) == 0
    assert main(["close", "--team", "support"]) == 2
    assert capsys.readouterr().err == "pulse: team 'support' has no open pulse to close\n"

    assert main(["send-pulse", "--team", "support"]) == 0
    capsys.readouterr()
    posted = len(ws.calls("chat.postMessage"))
    assert main(["send-pulse", "--team", "support", "--team", "success"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.splitlines()) == 1
    assert err.startswith("pulse: team 'support' already has a pulse open until ")
    assert err.endswith("nothing sent. `pulse close --team support` closes it early\n")
    assert len(ws.calls("chat.postMessage")) == posted  # not even to the other team

    assert main(["close", "--team", "support"]) == 0
    out = capsys.readouterr().out
    assert out.endswith(" closed\nupdated 12 DMs to show it closed, 0 failed\n")
    for user in SUPPORT:
        (dm,) = ws.dm_messages(user)
        assert "This pulse closed" in json.dumps(dm["blocks"])
        assert not any(b["type"] == "actions" for b in dm["blocks"])
    assert len(ws.calls("chat.update")) == 12
