"""The served app (`python -m bot`) against the sandbox workspace, over real HTTP (gunicorn)
or over Socket Mode (the app's WebSocket to the sandbox).

One stack per database backend and transport per module: sandbox Slack, migrated database,
web process. A module runs over HTTP only unless it says `pytest.mark.transports("http",
"socket")`; a test in it that is about HTTP itself narrows that with its own mark.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import col, select, update

from sandbox import company
from sandbox.sender import SlackSender
from sandbox.server import SandboxServer
from sandbox.socket_sender import SocketSender
from sandbox.workspace import Workspace
from storage.db import make_engine, session_scope
from storage.held import unseal
from storage.migrate import upgrade
from storage.models import Held, Pulse, Response
from storage.release import release_closed
from tests.conftest import PG_URL, REPO, pg_schema

SECRET = "acceptance-test-pseudonymisation-key"


@dataclass
class Stack:
    sandbox: SandboxServer
    slack: SlackSender
    engine: Engine
    env: dict[str, str]
    app_url: str
    log_path: Path

    def web_log(self) -> str:
        """Everything the web process has logged so far."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    @property
    def ws(self) -> Workspace:
        return self.sandbox.workspace

    def pulse(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run the `pulse` CLI as an operator would."""
        return subprocess.run(
            [sys.executable, "-m", "cli.main", *args],
            env={**os.environ, **self.env},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def latest_dm(self, user_id: str) -> dict[str, Any]:
        return self.ws.dm_messages(user_id)[-1]

    def answers(self, pulse_id: int) -> list[tuple[int, int]]:
        """(question id, value) of every answer to the pulse: held (sealed, decrypted here
        with the server's secret) while it is open, stored once it has closed."""
        with session_scope(self.engine) as s:
            rows = s.exec(select(Response).where(Response.pulse_id == pulse_id)).all()
            found = [(r.question_id, r.value) for r in rows]
            held = s.exec(select(Held).where(Held.pulse_id == pulse_id, Held.kind == "answer"))
            for h in held:
                qid, value, _ = unseal(SECRET.encode(), slot=h.slot, sealed=h.sealed)
                found.append((int(qid), int(value)))
        return sorted(found)

    def close_pulses(self) -> None:
        """Close every open pulse now, as the worker's closing job does at closing time
        (reports show a pulse's figures only once it has closed)."""
        past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        with session_scope(self.engine) as s:
            s.exec(
                update(Pulse)
                .where(col(Pulse.closed_at).is_(None))
                .values(closes_at=past, closed_at=past)
            )
            release_closed(s, secret=SECRET.encode(), now=past)

    def reply_to(self, user_id: str, text: str) -> dict[str, Any]:
        """Type `/pulse text` and return what the app posted to the response URL."""
        before = len(self.ws.response_url_posts())
        response = self.slack.slash_command(user_id, text)
        assert response.status == 200
        wait_for(lambda: len(self.ws.response_url_posts()) > before)
        return self.ws.response_url_posts()[-1]["body"]


def wait_for(done: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, "the app did not react in time"
        time.sleep(0.02)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every flow over HTTP on SQLite and PostgreSQL, unless its module says
    `pytest.mark.databases("sqlite")` (a flow whose storage the PostgreSQL runs of the other
    modules and the storage tests already cover); a flow marked for Socket Mode also over
    Socket Mode, on SQLite only: the transport is the Slack edge (envelopes, acks, retries)
    and never reaches storage."""
    if "stack" in metafunc.fixturenames and "transport" in metafunc.fixturenames:
        marker = metafunc.definition.get_closest_marker("transports")
        transports = marker.args if marker else ("http",)
        dbs = metafunc.definition.get_closest_marker("databases")
        http_dbs = dbs.args if dbs else ("sqlite", "postgresql")
        pg = pytest.mark.postgres
        combos = [
            pytest.param(t, db, id=f"{t}-{db}", marks=[pg] if db == "postgresql" else [])
            for t in transports
            for db in (http_dbs if t == "http" else ("sqlite",))
        ]
        metafunc.parametrize(["transport", "stack"], combos, indirect=True, scope="module")


@pytest.fixture(scope="module")
def transport(request: pytest.FixtureRequest) -> str:
    """How Slack reaches the app: "http" (signed POSTs) or "socket" (Socket Mode)."""
    return str(request.param)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def stack(
    request: pytest.FixtureRequest, transport: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("stack")
    with ExitStack() as cleanup:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp / 'acceptance.db'}"
        elif PG_URL:
            url = cleanup.enter_context(pg_schema())
        else:
            pytest.skip("TEST_DATABASE_URL not set: PostgreSQL tests skipped")
        yield from serve_stack(url, tmp, socket_mode=transport == "socket")


def serve_stack(url: str, tmp: Path, *, socket_mode: bool = False) -> Iterator[Stack]:
    """Sandbox, migrated database at `url` and the web process, over HTTP or Socket Mode."""
    engine = make_engine(url)
    upgrade(engine)
    signing_secret = secrets.token_hex(16)
    port = _free_port()
    with SandboxServer(company.seed(Workspace())) as sandbox:
        env = {
            "SLACK_API_URL": sandbox.url,
            "SLACK_BOT_TOKEN": sandbox.workspace.bot_token,
            # Socket Mode needs no signing secret: the app token authenticates the socket.
            "SLACK_SIGNING_SECRET": "" if socket_mode else signing_secret,
            "SLACK_APP_TOKEN": sandbox.workspace.app_token if socket_mode else "",
            "PULSE_SECRET": SECRET,
            "PULSE_CX_TOKEN": "acceptance-cx-token",
            "PULSE_CONFIG": str(REPO / "config.toml"),
            "DATABASE_URL": url,
            "PORT": str(port),
            "HOST": "127.0.0.1",
            "LOG_LEVEL": "WARNING",
        }
        log_path = tmp / "web.log"
        log_file = log_path.open("w")
        web = subprocess.Popen(
            [sys.executable, "-m", "bot"],
            env={**os.environ, **env, "LOG_LEVEL": "INFO"},
            cwd=tmp,
            stderr=log_file,
        )
        app_url = f"http://127.0.0.1:{port}"
        try:
            if socket_mode:
                _wait_connected(sandbox, web)
                slack: SlackSender = SocketSender(sandbox)
            else:
                _wait_healthy(app_url + "/healthz", web)
                slack = SlackSender(app_url + "/slack/events", signing_secret, sandbox)
            yield Stack(
                sandbox=sandbox,
                slack=slack,
                engine=engine,
                env=env,
                app_url=app_url,
                log_path=log_path,
            )
        finally:
            web.terminate()
            web.wait(timeout=30)
            log_file.close()
            engine.dispose()


def _wait_connected(sandbox: SandboxServer, web: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while not sandbox.socket_mode.wait_connected(0.1):
        assert web.poll() is None, f"the web process exited with {web.returncode}"
        assert time.monotonic() < deadline, "the app never opened its Socket Mode connection"


def _wait_healthy(url: str, web: subprocess.Popen[bytes]) -> None:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert web.poll() is None, f"the web process exited with {web.returncode}"
        try:
            with opener.open(url, timeout=1) as reply:
                if reply.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("the web process never became healthy")
