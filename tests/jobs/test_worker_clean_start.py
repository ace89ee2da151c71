"""`pulse worker` starts clean: a fan-out that outlasts the delivery tick (12 DMs at 3 a second)
is sent whole, one DM each, and the worker prints no warning while doing it (APScheduler used to
skip the overlapping tick with "maximum number of running instances reached")."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from jobs import sync
from jobs.pulses import open_now
from sandbox import company
from sandbox.server import SandboxServer
from settings.runtime import Settings
from settings.slack import make_client
from storage.db import make_engine, session_scope
from storage.migrate import upgrade
from storage.org import workspace_by_slack_id
from tests.conftest import REPO

SUPPORT = company.team_members("support")


def test_a_fan_out_longer_than_the_tick_is_sent_whole_without_a_warning(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    config.write_text((REPO / "config.toml").read_text() + "\n[delivery]\nrate_per_second = 3\n")
    url = f"sqlite:///{tmp_path / 'pulse.db'}"
    env = {
        "PULSE_CONFIG": str(config),
        "SLACK_API_URL": sandbox.url,
        "SLACK_BOT_TOKEN": sandbox.workspace.bot_token,
        "PULSE_SECRET": "clean-start-test-secret",
        "DATABASE_URL": url,
        "PULSE_WORKER": "worker-clean",
        "LOG_LEVEL": "WARNING",
        "LOG_FORMAT": "text",
    }
    settings = Settings.from_env(env)
    engine = make_engine(url)
    upgrade(engine)
    with session_scope(engine) as s:
        sync.run(s, make_client(settings), settings.config, dt.datetime.now(dt.UTC))
        ws = workspace_by_slack_id(s, slack_team_id="T0SANDBOX")
        assert ws is not None and ws.id is not None
        pulse_id = open_now(
            s,
            config=settings.config,
            bank=settings.bank,
            workspace_id=ws.id,
            team_key="support",
            now=dt.datetime.now(dt.UTC),
        ).pulse_id
    engine.dispose()

    def dms(user: str) -> int:
        return sum(
            (m.get("metadata") or {}).get("event_payload", {}).get("pulse_id") == pulse_id
            for m in sandbox.workspace.dm_messages(user)
        )

    log = tmp_path / "worker.err"
    with log.open("w") as err:
        worker = subprocess.Popen(
            [sys.executable, "-m", "cli.main", "worker"], env={**os.environ, **env}, stderr=err
        )
    try:
        deadline = time.monotonic() + 30
        while any(dms(u) == 0 for u in SUPPORT):
            assert time.monotonic() < deadline and worker.poll() is None
            time.sleep(0.05)
        time.sleep(2.5)  # one more delivery tick: a duplicate or a late warning shows now
        printed = log.read_text()
    finally:
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=15) == 0
    assert [dms(u) for u in SUPPORT] == [1] * len(SUPPORT)
    assert printed == ""  # before the fix: APScheduler's "skipped: maximum number ..." WARNING
