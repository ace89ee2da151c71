"""An installation for `pulse doctor` and `pulse status` to look at: the sandbox workspace
over HTTP, a migrated SQLite database, the web process's WSGI app on a real port, and the
operator's environment pointing at all three."""

from __future__ import annotations

import socketserver
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest

from bot.context import Context
from bot.server import PulseWSGI
from sandbox import company
from sandbox.server import SandboxServer
from sandbox.workspace import Workspace
from settings.runtime import Settings
from storage.db import make_engine
from storage.migrate import upgrade
from tests.conftest import REPO

SIGNING_SECRET = "doctor-signing-secret-0123456789"
PULSE_SECRET = "doctor-pulse-secret-0123456789"


@dataclass
class Install:
    sandbox: SandboxServer
    database_url: str
    web_url: str
    monkeypatch: pytest.MonkeyPatch
    tmp: Path

    @property
    def ws(self) -> Workspace:
        return self.sandbox.workspace

    def set(self, name: str, value: str) -> None:
        self.monkeypatch.setenv(name, value)

    def config(self, old: str, new: str) -> None:
        """Use a copy of the shipped config.toml with `old` replaced by `new`."""
        text = (REPO / "config.toml").read_text(encoding="utf-8")
        assert old in text
        path = self.tmp / "config.toml"
        path.write_text(text.replace(old, new), encoding="utf-8")
        self.set("PULSE_CONFIG", str(path))


class _Server(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True

    def server_bind(self) -> None:  # skip the reverse DNS lookup HTTPServer does
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = "127.0.0.1", self.server_address[1]
        self.setup_environ()


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = f"sqlite:///{tmp_path_factory.mktemp('install') / 'pulse.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url


@pytest.fixture(scope="module")
def web_url(database_url: str) -> Iterator[str]:
    """`pulse serve`'s WSGI app (router, signature checks, Bolt) on a real port."""
    env = {
        "PULSE_CONFIG": str(REPO / "config.toml"),
        "SLACK_BOT_TOKEN": "xoxb-sandbox",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": "http://127.0.0.1:9/api/",  # url_verification never calls Slack
        "PULSE_SECRET": PULSE_SECRET,
        "DATABASE_URL": database_url,
    }
    engine = make_engine(database_url)
    wsgi = PulseWSGI(Context(settings=Settings.from_env(env), engine=engine))
    httpd = make_server("127.0.0.1", 0, wsgi, server_class=_Server, handler_class=_Quiet)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join()
    engine.dispose()


@pytest.fixture
def install(
    database_url: str, web_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[Install]:
    """A healthy installation; each test breaks one thing."""
    with SandboxServer(company.seed(Workspace())) as sandbox:
        env = {
            "PULSE_CONFIG": str(REPO / "config.toml"),
            "SLACK_API_URL": sandbox.url,
            "SLACK_BOT_TOKEN": sandbox.workspace.bot_token,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_APP_TOKEN": "",
            "PULSE_SECRET": PULSE_SECRET,
            "DATABASE_URL": database_url,
            "LOG_LEVEL": "WARNING",
        }
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        yield Install(sandbox, database_url, web_url, monkeypatch, tmp_path)


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """rich treats the streams as a colour terminal (FORCE_COLOR), as an operator's would."""
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setenv("COLUMNS", "120")


@pytest.fixture
def pipe(monkeypatch: pytest.MonkeyPatch) -> None:
    """Neither a terminal nor forced colour: what a log file or CI sees."""
    for name in ("FORCE_COLOR", "NO_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"):
        monkeypatch.delenv(name, raising=False)
