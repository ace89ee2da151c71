"""SIGTERM to `pulse worker` mid fan-out: it stops promptly, hands back what it had not
sent, and a restarted worker finishes with exactly one DM per person."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlmodel import select

from cli.main import main
from jobs import sync
from jobs.pulses import open_now
from sandbox import company
from sandbox.server import SandboxServer
from settings.runtime import Settings
from settings.slack import make_client
from storage.db import make_engine, session_scope
from storage.migrate import upgrade
from storage.models import Delivery
from storage.org import workspace_by_slack_id
from tests.conftest import REPO

SUPPORT = company.team_members("support")


def test_sigterm_hands_back_claims_and_a_restart_finishes_once(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    config.write_text((REPO / "config.toml").read_text() + "\n[delivery]\nrate_per_second = 3\n")
    url = f"sqlite:///{tmp_path / 'pulse.db'}"
    env = {
        "PULSE_CONFIG": str(config),
        "SLACK_API_URL": sandbox.url,
        "SLACK_BOT_TOKEN": sandbox.workspace.bot_token,
        "PULSE_SECRET": "shutdown-test-secret",
        "DATABASE_URL": url,
        "PULSE_WORKER": "worker-a",
        "LOG_LEVEL": "WARNING",
    }
    settings = Settings.from_env(env)
    engine = make_engine(url)
    upgrade(engine)
    now = dt.datetime.now(dt.UTC)
    with session_scope(engine) as s:
        sync.run(s, make_client(settings), settings.config, now)
        ws = workspace_by_slack_id(s, slack_team_id="T0SANDBOX")
        pulse_id = open_now(
            s,
            config=settings.config,
            bank=settings.bank,
            workspace_id=ws.id,
            team_key="support",
            now=now,
        ).pulse_id

    def dms(user: str) -> int:
        """This pulse's DMs to `user` (the planner may also open a scheduled pulse, whose DMs
        depend on the day the test runs)."""
        return sum(
            (m.get("metadata") or {}).get("event_payload", {}).get("pulse_id") == pulse_id
            for m in sandbox.workspace.dm_messages(user)
        )

    worker = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "worker"], env={**os.environ, **env}
    )
    deadline = time.monotonic() + 20
    while sum(dms(u) for u in SUPPORT) < 2:
        assert time.monotonic() < deadline and worker.poll() is None
        time.sleep(0.05)
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=15) == 0
    with session_scope(engine) as s:
        statuses = [d.status for d in s.exec(select(Delivery).where(Delivery.pulse_id == pulse_id))]
    assert "claimed" not in statuses  # nothing left stranded until a lease runs out
    assert 0 < statuses.count("sent") < len(SUPPORT)

    # The worker's planner also opened today's scheduled pulses, due at local times later
    # on: a restarted sender finishes this pulse now and waits for those.
    restarted = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "worker", "--send-only", "--worker", "worker-a"],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while any(dms(u) == 0 for u in SUPPORT):
            assert time.monotonic() < deadline and restarted.poll() is None
            time.sleep(0.05)
        time.sleep(0.5)  # a duplicate, if any, would land now
        assert [dms(u) for u in SUPPORT] == [1] * len(SUPPORT)
    finally:
        restarted.send_signal(signal.SIGTERM)
        out, _ = restarted.communicate(timeout=15)
        engine.dispose()
    assert restarted.returncode == 0
    assert out.startswith("worker-a: {'sent': ")  # its stats, once stopped


def test_sender_flags_go_with_send_only(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["worker", "--until-idle"]) == 2
    assert "go with --send-only" in capsys.readouterr().err
