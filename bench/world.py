"""A world to load: sandbox people, a migrated database, a delivered pulse, served apps.

`world(...)` seeds `people` people into a sandbox and a fresh database (a SQLite file, or
a throwaway schema of a PostgreSQL) as the synced team `all`, opens one pulse for them and
sends its DMs; `World.open_wave` adds a second team with a pulse nobody was sent yet (for a
worker to fan out); `serve_pulse` starts `python -m bot` on it and waits for /healthz.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from slack_sdk import WebClient
from sqlalchemy import Engine, create_engine, text
from sqlmodel import select

from bench.fanout import QUESTIONS, ZONES
from bench.load import MANAGER, REPO, Click
from bot.messages import SlackMessages
from insights.questions import load_bank
from jobs.delivery import Sender
from sandbox.server import SandboxServer
from sandbox.workspace import Workspace
from storage.db import make_engine, session_scope
from storage.held import unseal
from storage.migrate import upgrade
from storage.models import Delivery, Employee, Held, Response
from storage.org import Member, ensure_workspace, set_team_members, upsert_employees, upsert_team
from storage.pseudonym import respondent_key
from storage.pulses import open_pulse
from storage.questions import sync_questions

PULSE_SECRET = "bench-pseudonymisation-key"
CONFIG = """\
[delivery]
rate_per_second = {rate}
concurrency = {concurrency}

[[teams]]
key = "all"
name = "Everyone"
usergroup = "S0ALL"
managers = ["{manager}"]

[[teams]]
key = "wave"
name = "Second wave"
usergroup = "S0WAVE"
managers = ["{manager}"]
"""
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass
class World:
    sandbox: SandboxServer
    url: str  # DATABASE_URL
    engine: Engine
    tmp: Path
    users: list[str]
    pulse_id: int
    signing_secret: str
    config_path: Path

    def env(self, **extra: str) -> dict[str, str]:
        """Environment of `python -m bot` / `pulse worker --send-only` on this world."""
        return {
            **os.environ,
            "SLACK_API_URL": self.sandbox.url,
            "SLACK_BOT_TOKEN": self.sandbox.workspace.bot_token,
            "SLACK_SIGNING_SECRET": self.signing_secret,
            "SLACK_APP_TOKEN": "",
            "PULSE_SECRET": PULSE_SECRET,
            "PULSE_CONFIG": str(self.config_path),
            "DATABASE_URL": self.url,
            "HOST": "127.0.0.1",
            "LOG_LEVEL": "INFO",
            **extra,
        }

    def open_wave(self, people: int) -> tuple[list[str], int]:
        """`people` more people in a team `wave` with an open pulse none of them was sent
        yet; returns their ids and the pulse id."""
        users = add_people(self.sandbox.workspace, people, prefix="W")
        return users, open_team_pulse(self.engine, users, key="wave", name="Second wave")

    def stored_answers(self, pulse_id: int | None = None) -> dict[tuple[str, int], int]:
        """(respondent key, question id) -> value of every stored answer to the pulse, held
        (sealed, while it is open) or released."""
        pid = pulse_id or self.pulse_id
        with session_scope(self.engine) as s:
            rows = s.exec(select(Response).where(Response.pulse_id == pid)).all()
            found = {(r.respondent, r.question_id): r.value for r in rows}
            for h in s.exec(select(Held).where(Held.pulse_id == pid, Held.kind == "answer")):
                qid, value, key = unseal(PULSE_SECRET.encode(), slot=h.slot, sealed=h.sealed)
                found[key, int(qid)] = int(value)
            return found

    def expected_answers(
        self, clicks: Sequence[Click], pulse_id: int | None = None
    ) -> dict[tuple[str, int], int]:
        """What the database must hold after `clicks` (each (person, question) once)."""
        pid = pulse_id or self.pulse_id
        team = self.sandbox.workspace.team_id
        secret = PULSE_SECRET.encode()
        return {
            (respondent_key(secret, workspace=team, user_id=c.user, pulse_id=pid), c.question_id): (
                c.value
            )
            for c in clicks
        }


@contextlib.contextmanager
def migrated_database(where: str, tmp: Path) -> Iterator[str]:
    """A fresh database at the schema `pulse serve` requires (migrations applied): a SQLite
    file under `tmp` ("sqlite"), or a throwaway schema of the PostgreSQL at `where`."""
    if where == "sqlite":
        url = f"sqlite:///{tmp / f'bench-{secrets.token_hex(3)}.db'}"
    else:
        schema = f"bench_{secrets.token_hex(4)}"
        admin = create_engine(where)
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        url = f"{where}{'&' if '?' in where else '?'}options=-csearch_path%3D{schema}"
    engine = make_engine(url)
    try:
        upgrade(engine)
        engine.dispose()
        yield url
    finally:
        engine.dispose()
        if where != "sqlite":
            with admin.begin() as conn:
                conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
            admin.dispose()


@contextlib.contextmanager
def world(
    where: str,
    *,
    people: int,
    deliver: bool = True,
    rate: float = 1000,
    concurrency: int = 8,
) -> Iterator[World]:
    """A sandbox with `people` people, a migrated database (SQLite file or a throwaway
    PostgreSQL schema) holding a synced team `all` of them and an open pulse, and (when
    `deliver`) that pulse's DMs already sent, in-process, at up to 1,000/s."""
    with (
        tempfile.TemporaryDirectory() as tmp_name,
        SandboxServer(Workspace()) as sandbox,
        migrated_database(where, Path(tmp_name)) as url,
    ):
        tmp = Path(tmp_name)
        ws = sandbox.workspace
        users = add_people(ws, people, prefix="U")
        ws.add_user(MANAGER, "bench-manager")
        engine = make_engine(url)
        pulse_id = open_team_pulse(engine, users, key="all", name="Everyone")
        config = tmp / "config.toml"
        config.write_text(CONFIG.format(rate=rate, concurrency=concurrency, manager=MANAGER))
        try:
            if deliver:
                send_all(engine, sandbox, pulse_id)
            yield World(sandbox, url, engine, tmp, users, pulse_id, secrets.token_hex(16), config)
        finally:
            engine.dispose()


def add_people(ws: Workspace, n: int, *, prefix: str) -> list[str]:
    """`n` people in the sandbox (ids `<prefix>000000`…), spread over five time zones."""
    users = [f"{prefix}{i:06d}" for i in range(n)]
    for i, user in enumerate(users):
        ws.add_user(user, f"person-{user.lower()}", tz=ZONES[i % len(ZONES)])
    return users


def open_team_pulse(engine: Engine, users: list[str], *, key: str, name: str) -> int:
    """A synced team `key` of `users` and a pulse open for 72 hours with one delivery due
    now for each (bench.fanout's seed, for any team); returns the pulse id."""
    now = dt.datetime.now(dt.UTC)
    with session_scope(engine) as s:
        ws = ensure_workspace(s, slack_team_id="T0SANDBOX", name="Sandbox Co")
        assert ws.id is not None
        team = upsert_team(
            s, workspace_id=ws.id, key=key, name=name, usergroup=None, channel=None, parent_id=None
        )
        team.synced_at = now
        members = [Member(u, u, ZONES[i % len(ZONES)]) for i, u in enumerate(users)]
        ids = upsert_employees(s, workspace_id=ws.id, members=members)
        set_team_members(s, team_id=team.id or 0, employee_ids=ids.values())
        rows = sync_questions(s, load_bank().active())
        pulse = open_pulse(
            s,
            workspace_id=ws.id,
            team_id=team.id or 0,
            question_ids=[rows[q].id or 0 for q in QUESTIONS],
            opened_at=now,
            closes_at=now + dt.timedelta(hours=72),
            deliveries=[(ids[u], now) for u in users],
        )
        return pulse.id or 0


def send_all(engine: Engine, sandbox: SandboxServer, pulse_id: int) -> None:
    client = WebClient(token=sandbox.workspace.bot_token, base_url=sandbox.url, timeout=10)
    stats = Sender(
        engine, client, worker="bench-seed", k=5, messages=SlackMessages(), rate=1000, concurrency=8
    ).drain(pulse_id=pulse_id, timeout=300)
    if stats.failed:
        raise RuntimeError(f"seeding the DMs failed for {stats.failed} people")


def free_port() -> int:

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Served:
    """A web process we started: its URL, log file and process handle."""

    proc: subprocess.Popen[bytes]
    url: str  # http://127.0.0.1:PORT
    log_path: Path

    @property
    def events_url(self) -> str:
        return self.url + "/slack/events"

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def serve(
    command: list[str], env: dict[str, str], log_path: Path, *, port: int, ready: bool = True
) -> Served:
    """Start a web process on `port` with stderr to `log_path`; returns once /healthz is OK
    (or at once with `ready=False`: call `wait_healthy` before using it)."""
    with log_path.open("ab") as log:
        proc = subprocess.Popen(
            command, env={**env, "PORT": str(port)}, cwd=REPO, stderr=log, stdout=log
        )
    served = Served(proc, f"http://127.0.0.1:{port}", log_path)
    try:
        if ready:
            wait_healthy(served)
    except BaseException:
        served.stop()
        raise
    return served


def serve_pulse(
    world: World, log_path: Path, *, port: int | None = None, ready: bool = True, **env: str
) -> Served:
    """`python -m bot` (= `pulse serve`) on this world."""
    port = port or free_port()
    command = [sys.executable, "-m", "bot"]
    return serve(command, world.env(**env), log_path, port=port, ready=ready)


def wait_healthy(served: Served, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if served.proc.poll() is not None:
            raise RuntimeError(f"web process exited with {served.proc.returncode}: {served.log()}")
        try:
            with _NO_PROXY.open(served.url + "/healthz", timeout=1) as reply:
                if reply.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError("web process never became healthy")


def wait_until(done: Callable[[], bool], timeout: float, poll: float = 0.1) -> float:
    """Seconds until `done()` held (raises TimeoutError past `timeout`)."""
    started = time.monotonic()
    while not done():
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"not done after {timeout} s")
        time.sleep(poll)
    return time.monotonic() - started


def dm_locations(engine: Engine, pulse_id: int) -> dict[str, tuple[str, str]]:
    """user id -> (DM channel, message ts) of this pulse's DM, for every DM sent so far."""
    with session_scope(engine) as s:
        rows = s.exec(
            select(Employee.slack_user_id, Delivery.channel_id, Delivery.message_ts)
            .join(Employee, Employee.id == Delivery.employee_id)  # type: ignore[arg-type]
            .where(Delivery.pulse_id == pulse_id, Delivery.status == "sent")
        ).all()
    return {user: (channel, ts) for user, channel, ts in rows if channel and ts}
