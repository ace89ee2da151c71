"""Socket Mode when the connection misbehaves: dropped, refreshed, acks lost, token wrong,
the process stopped mid-work; and the setup steps as the README gives them.

Every click here must be stored exactly once whatever happens to the socket: the sandbox
sends an envelope again on the new connection when its ack never came back, and the app
must neither lose nor double it. Slack would fail a click while no socket is open; the
sender here waits for the app to come back, so that the one property tested is the app's.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlmodel import select

import cli.main as cli
from sandbox import company
from sandbox.server import SandboxServer
from sandbox.socket_sender import SocketSender
from sandbox.workspace import Workspace
from storage.db import session_scope
from storage.models import Pulse
from tests.acceptance.conftest import Stack, serve_stack, wait_for
from tests.conftest import REPO

ONBOARDING = company.team_members("onboarding")
PATIENT = 20.0  # seconds a click waits for its ack: through a reconnect (bot PING_SECONDS × 5)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Over Socket Mode, on SQLite only: what is tested here is the transport; that a
    repeated click is stored once on PostgreSQL too is test_pulse_loop's retried click."""
    tmp = tmp_path_factory.mktemp("socket")
    yield from serve_stack(f"sqlite:///{tmp / 'socket.db'}", tmp, socket_mode=True)


def _fresh_pulse(stack: Stack) -> int:
    assert stack.pulse("teams", "sync").returncode == 0
    stack.close_pulses()  # one pulse open per team at a time: an earlier test's closes
    assert stack.pulse("send-pulse", "--team", "onboarding").returncode == 0
    with session_scope(stack.engine) as s:
        pulse_id = s.exec(select(Pulse.id).order_by(Pulse.id.desc())).first()
    assert pulse_id is not None
    return pulse_id


def _row(stack: Stack, user: str, row: int) -> list[dict]:
    rows = [b["elements"] for b in stack.latest_dm(user)["blocks"] if b["type"] == "actions"]
    return rows[row]


def _click(sender: SocketSender, stack: Stack, user: str, button: dict) -> int:
    reply = sender.click(
        user, stack.latest_dm(user), action_id=button["action_id"], value=button["value"]
    )
    return reply.status


def _answer(button: dict) -> tuple[int, int]:
    """(question id, value) of an answer button (`pulse:question:value`)."""
    _, question, value = button["value"].split(":")
    return int(question), int(value)


def test_an_envelope_sent_again_is_acknowledged_and_stored_once(stack: Stack) -> None:
    pulse_id = _fresh_pulse(stack)
    hub, user = stack.sandbox.socket_mode, ONBOARDING[0]
    button = _row(stack, user, 0)[2]
    opened, resent = hub.opened, hub.resent
    hub.swallow_acks(1)  # the app stores the answer and acks; the ack is lost in transit
    sender = SocketSender(stack.sandbox, timeout=PATIENT)
    statuses: list[int] = []
    clicking = threading.Thread(target=lambda: statuses.append(_click(sender, stack, user, button)))
    clicking.start()
    wait_for(lambda: "Recorded" in json.dumps(stack.latest_dm(user)["blocks"]))
    hub.drop()  # so the envelope goes again, on the connection the app opens next
    clicking.join(PATIENT + 5)
    assert statuses == [200]
    assert hub.resent == resent + 1 and hub.opened == opened + 1
    # And Slack's own retry of the same click (retry_attempt 1) is acknowledged too.
    first = stack.slack.click(
        user, stack.latest_dm(user), action_id=button["action_id"], value=button["value"]
    )
    assert stack.slack.resend(first).status == 200
    assert stack.answers(pulse_id) == [_answer(button)]


def test_a_drop_and_a_refresh_mid_burst_lose_no_answer_and_store_none_twice(
    stack: Stack,
) -> None:
    pulse_id = _fresh_pulse(stack)
    hub = stack.sandbox.socket_mode
    sender = SocketSender(stack.sandbox, timeout=PATIENT)
    expected: list[tuple[int, int]] = []
    for row, fault in ((0, hub.drop), (1, lambda: hub.disconnect("refresh_requested"))):
        opened, acked = hub.opened, len(hub.acked())
        buttons = {user: _row(stack, user, row)[(i + row) % 5] for i, user in enumerate(ONBOARDING)}
        with ThreadPoolExecutor(len(buttons)) as pool:
            clicks = [pool.submit(_click, sender, stack, u, b) for u, b in buttons.items()]
            wait_for(lambda acked=acked: len(hub.acked()) >= acked + 2)  # mid-burst
            fault()
            statuses = [c.result(PATIENT + 5) for c in clicks]
        assert statuses == [200] * len(buttons)
        assert hub.wait_connected(PATIENT, opened=opened + 1), "the app did not reconnect"
        expected += [_answer(b) for b in buttons.values()]
    # Acks go out before the work behind them: wait for it, then make sure nothing more comes.
    wait_for(lambda: len(stack.answers(pulse_id)) >= len(expected))
    time.sleep(0.5)
    assert stack.answers(pulse_id) == sorted(expected)
    wait_for(lambda: len(hub.connections()) == 1)  # the refreshed-away socket was closed


def test_a_wrong_app_token_stops_the_start_with_a_one_line_reason(stack: Stack) -> None:
    env = {**os.environ, **stack.env, "SLACK_APP_TOKEN": "xapp-1-A0SANDBOX-1-wrong"}
    started = subprocess.run(
        [sys.executable, "-m", "cli.main", "serve"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert started.returncode != 0
    assert started.stderr.strip().splitlines() == [
        "pulse: Slack refused SLACK_APP_TOKEN (invalid_auth): it is not a valid app-level token"
    ]


def test_the_socket_mode_setup_steps_work_as_written(tmp_path: Path) -> None:
    """README → Slack app setup → "Socket Mode (no public URL)", steps 3-5, with the sandbox
    standing in for Slack (SLACK_API_URL): no signing secret, no port, no DATABASE_URL (the
    default SQLite file in the working directory)."""
    unset = ("SLACK_SIGNING_SECRET", "PORT", "DATABASE_URL", "PULSE_CONFIG")
    base = {k: v for k, v in os.environ.items() if k not in unset}
    shutil.copy(REPO / "config.toml", tmp_path / "config.toml")
    with SandboxServer(company.seed(Workspace())) as sandbox:
        env = {
            **base,
            "SLACK_API_URL": sandbox.url,
            "SLACK_BOT_TOKEN": sandbox.workspace.bot_token,
            "SLACK_APP_TOKEN": sandbox.workspace.app_token,
            "PULSE_SECRET": "setup-steps-pseudonymisation-key",
        }

        def pulse(*args: str) -> str:
            done = subprocess.run(
                [sys.executable, "-m", "cli.main", *args],
                cwd=tmp_path,
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            assert done.returncode == 0, done.stderr
            return done.stdout

        pulse("db", "upgrade")
        assert "support: 12 members" in pulse("teams", "sync")
        serve = subprocess.Popen([sys.executable, "-m", "cli.main", "serve"], cwd=tmp_path, env=env)
        try:
            deadline = time.monotonic() + 30
            while not sandbox.socket_mode.wait_connected(0.1):
                assert serve.poll() is None and time.monotonic() < deadline, "no connection"
            ws, user = sandbox.workspace, company.team_members("support")[0]
            slack = SocketSender(sandbox)
            assert slack.slash_command(user, "help").status == 200
            wait_for(lambda: any("/pulse" in str(p["body"]) for p in ws.response_url_posts()))
        finally:
            serve.terminate()
            serve.wait(timeout=30)
        assert (tmp_path / "pulse.db").exists()


def test_the_socket_mode_flag_is_for_the_sandbox(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """With real Slack credentials, Socket Mode is SLACK_APP_TOKEN's to choose, not a flag's."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-real")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "real-secret")
    monkeypatch.setenv("SLACK_APP_TOKEN", "")
    monkeypatch.setenv("PULSE_CONFIG", str(REPO / "config.toml"))
    assert cli.main(["run", "--socket-mode"]) != 0
    assert capsys.readouterr().err == (
        "pulse: --socket-mode is for the sandbox; on Slack, set SLACK_APP_TOKEN\n"
    )


def test_sigterm_finishes_the_work_behind_every_ack(stack: Stack) -> None:
    """A deploy stops `pulse serve` right after it acknowledged clicks: Slack will not send
    them again, so the answers must be stored before the process exits."""
    pulse_id = _fresh_pulse(stack)
    hub = stack.sandbox.socket_mode
    opened = hub.opened
    second = subprocess.Popen(
        [sys.executable, "-m", "bot"], env={**os.environ, **stack.env}, cwd=stack.log_path.parent
    )
    try:  # envelopes go to the newest connection: this process's
        assert hub.wait_connected(30, opened=opened + 1)
        buttons = {user: _row(stack, user, 0)[1] for user in ONBOARDING}
        with ThreadPoolExecutor(len(buttons)) as pool:
            statuses = list(pool.map(lambda ub: _click(stack.slack, stack, *ub), buttons.items()))
        second.terminate()  # at once, while the work behind those acks is under way
        assert second.wait(timeout=30) == 0
    finally:
        if second.poll() is None:
            second.kill()
    assert statuses == [200] * len(buttons)
    assert stack.answers(pulse_id) == sorted(_answer(b) for b in buttons.values())
