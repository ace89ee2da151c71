"""Faults around the served app: Slack failing behind a click, the web process killed with
`kill -9` mid-request while Slack retries, and the database connection cut mid-run.

Covered elsewhere, not repeated here: Slack answering 500s, timeouts (replies lost after
posting) and 429s during delivery (tests/jobs/test_delivery.py), and a worker killed with
`kill -9` mid fan-out then restarted (tests/jobs/test_workers.py); both leave exactly one
DM per person.
"""

from __future__ import annotations

import contextlib
import json
import os
import select as select_module
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import make_url
from sqlmodel import select

from bench.load import Recorder
from bench.world import Served, free_port, wait_healthy
from sandbox import company
from sandbox.sender import SenderResponse, SlackSender, sign
from storage.db import session_scope
from storage.models import Pulse
from tests.acceptance.conftest import Stack, wait_for
from tests.conftest import REPO

ONBOARDING = company.team_members("onboarding")
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class Web:
    """A `python -m bot` of our own on the stack's database and sandbox, in its own process
    group so that `kill_9` takes the gunicorn master and its workers down at once."""

    def __init__(self, stack: Stack, tmp: Path, **env: str) -> None:
        self.stack, self.log_path = stack, tmp / "own-web.log"
        self.env = {**os.environ, **stack.env, "PORT": str(free_port()), "LOG_LEVEL": "INFO", **env}
        self.url = f"http://127.0.0.1:{self.env['PORT']}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.slack = SlackSender(
            self.url + "/slack/events", stack.env["SLACK_SIGNING_SECRET"], stack.sandbox
        )

    def start(self) -> Web:
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "bot"],
                env=self.env,
                cwd=REPO,
                stderr=log,
                start_new_session=True,
            )
        wait_healthy(Served(self.proc, self.url, self.log_path))  # type: ignore[arg-type]
        return self

    def kill_9(self) -> None:
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.kill_9()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def health(self) -> int:
        try:
            with OPENER.open(self.url + "/healthz", timeout=5) as reply:
                return reply.status
        except urllib.error.HTTPError as error:
            return error.code


@pytest.fixture
def web(stack: Stack, tmp_path: Path) -> Iterator[Web]:
    own = Web(stack, tmp_path)
    yield own
    own.stop()


def _fresh_pulse(stack: Stack) -> int:
    assert stack.pulse("teams", "sync").returncode == 0
    stack.close_pulses()  # one pulse open per team at a time: an earlier test's closes
    sent = stack.pulse("send-pulse", "--team", "onboarding")
    assert sent.returncode == 0, sent.stderr
    with session_scope(stack.engine) as s:
        return s.exec(select(Pulse.id).order_by(Pulse.id.desc())).first()  # type: ignore[union-attr,return-value]


def _buttons(stack: Stack, user: str, row: int = 0) -> list[dict]:
    dm = stack.latest_dm(user)
    return [b["elements"] for b in dm["blocks"] if b["type"] == "actions"][row]


def _answers(stack: Stack, pulse_id: int) -> list[tuple[int, int]]:
    return stack.answers(pulse_id)


def _recorded(stack: Stack, user: str) -> bool:
    return "Recorded" in json.dumps(stack.latest_dm(user)["blocks"], ensure_ascii=False)


def _click_body(stack: Stack, user: str, button: dict) -> bytes:
    recorder = Recorder(stack.sandbox)
    recorder.click(
        user, stack.latest_dm(user), action_id=button["action_id"], value=button["value"]
    )
    return recorder.made[-1].body


# -- Slack failing behind a click ----------------------------------------------------------------


def test_slack_failing_after_a_click_keeps_the_answer_and_says_so_honestly(
    stack: Stack,
) -> None:
    """The answer is stored before the DM is re-rendered: when Slack then answers 500 the
    answer stays (once), and the person is not told that nothing changed; a 429 is waited
    out and the DM still shows the answer."""
    pulse_id = _fresh_pulse(stack)
    user, other = ONBOARDING[0], ONBOARDING[1]
    posts = len(stack.ws.response_url_posts())
    stack.sandbox.inject_fault("chat.update", "http_500", times=1)
    button = _buttons(stack, user)[1]
    reply = stack.slack.click(
        user, stack.latest_dm(user), action_id=button["action_id"], value=button["value"]
    )
    assert reply.status == 200
    wait_for(lambda: len(stack.ws.response_url_posts()) > posts)
    sorry = stack.ws.response_url_posts()[-1]["body"]["text"]
    assert "went wrong" in sorry and "nothing was changed" not in sorry
    assert _answers(stack, pulse_id) == [(int(button["value"].split(":")[1]), 2)]

    stack.sandbox.set_rate_limit("chat.update", 1)  # Slack: 1 update a second, then 429
    try:
        for who in (user, other):
            row = _buttons(stack, who, 1)
            stack.slack.click(
                who, stack.latest_dm(who), action_id=row[3]["action_id"], value=row[3]["value"]
            )
        wait_for(lambda: _recorded(stack, user) and _recorded(stack, other), timeout=15)
    finally:
        stack.sandbox.set_rate_limit("chat.update", None)
    assert any(c["status"] == 429 for c in stack.ws.calls("chat.update"))
    assert len(_answers(stack, pulse_id)) == 3


# -- the web process killed mid-request ----------------------------------------------------


def _send_half(url: str, body: bytes, headers: dict[str, str]) -> socket.socket:
    """Start a POST and stop halfway through its body: the app is reading it."""
    host, port = url.removeprefix("http://").split("/")[0].split(":")
    sock = socket.create_connection((host, int(port)), timeout=10)
    head = ["POST /slack/events HTTP/1.1", f"Host: {host}", f"Content-Length: {len(body)}"]
    head += [f"{k}: {v}" for k, v in headers.items()]
    sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + body[: len(body) // 2])
    return sock


def test_kill_9_mid_request_then_slack_retries_stores_the_answer_once(
    stack: Stack, web: Web
) -> None:
    pulse_id = _fresh_pulse(stack)
    user = ONBOARDING[2]
    button = _buttons(stack, user)[3]
    body = _click_body(stack, user, button)
    secret = stack.env["SLACK_SIGNING_SECRET"]
    form = {"Content-Type": "application/x-www-form-urlencoded"}

    web.start()
    half = _send_half(web.url, body, {**form, **sign(secret, body, int(time.time()))})
    time.sleep(0.3)  # the request is inside the app, waiting for the rest of its body
    web.kill_9()
    readable, _, _ = select_module.select([half], [], [], 5)
    assert readable and half.recv(1024) == b""  # Slack saw the connection drop: no ack
    half.close()
    assert _answers(stack, pulse_id) == []

    web.start()  # back on the same port, as a restarted dyno would be
    unanswered = SenderResponse(0, "", request_body=body, content_type=form["Content-Type"])
    first = web.slack.resend(unanswered, reason="http_timeout")  # X-Slack-Retry-Num: 1
    assert first.status == 200 and first.retry_num == 1
    wait_for(lambda: _recorded(stack, user))
    expected = [(int(button["value"].split(":")[1]), 4)]
    assert _answers(stack, pulse_id) == expected

    # Slack's retry can also come after the app did the work but before Slack heard back:
    # killed after storing the answer, restarted, the same click again changes nothing.
    web.kill_9()
    web.start()
    again = web.slack.resend(first, reason="http_timeout")
    assert again.status == 200 and again.retry_num == 2
    time.sleep(0.5)
    assert _answers(stack, pulse_id) == expected
    assert '"retry": "2"' in web.log()  # the app saw it as Slack's second retry


@pytest.mark.databases("sqlite")  # HTTP and the ack: storage is the other tests'
def test_a_body_over_1_mb_gets_413_and_the_server_stays_healthy(stack: Stack) -> None:
    body = b"payload=" + b"x" * 1_500_000
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        **sign(stack.env["SLACK_SIGNING_SECRET"], body, int(time.time())),
    }
    # The server may close before reading it all: refused all the same.
    with contextlib.suppress(ConnectionError, urllib.error.URLError):
        assert stack.slack.post_raw(body, headers).status == 413
    with OPENER.open(stack.app_url + "/healthz", timeout=5) as reply:
        assert reply.status == 200


# -- the database connection cut, as by a PostgreSQL restart -------------------------------


class CuttableProxy:
    """A TCP proxy to PostgreSQL on 127.0.0.1 whose connections we can cut, as a database
    restart does (existing connections dropped, new ones refused), then restore."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.up = threading.Event()
        self.up.set()
        self.pairs: list[tuple[socket.socket, socket.socket]] = []
        self.lock = threading.Lock()
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.up.is_set():
                client.close()  # refused while "restarting"
                continue
            server = socket.create_connection(self.target)
            with self.lock:
                self.pairs.append((client, server))
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        self.up.clear()
        with self.lock:
            pairs, self.pairs = self.pairs, []
        for pair in pairs:
            for s in pair:
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()

    def restore(self) -> None:
        self.up.set()

    def close(self) -> None:
        self.closed = True
        self.cut()
        self.listener.close()


def test_the_database_going_away_and_back_loses_no_answer(stack: Stack, tmp_path: Path) -> None:
    """A restart while nobody clicks: the pooled connections died with it, and the first
    click after it is stored all the same (the engine pings a connection before use). A
    restart during clicks: /healthz says so, a click is acked but its person is told to
    try again (nothing claims it was recorded), and trying again once it is back works."""
    url = make_url(stack.env["DATABASE_URL"])
    if url.get_backend_name() != "postgresql":
        pytest.skip("cuts a PostgreSQL connection")
    proxy = CuttableProxy((url.host or "127.0.0.1", url.port or 5432))
    proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    web = Web(stack, tmp_path, DATABASE_URL=proxied, WEB_CONCURRENCY="1")
    try:
        pulse_id = _fresh_pulse(stack)
        web.start()
        users = ONBOARDING[3:6]

        def click(user: str, row: int) -> Any:
            button = _buttons(stack, user, row)[2]
            return web.slack.click(
                user, stack.latest_dm(user), action_id=button["action_id"], value=button["value"]
            )

        def errors() -> int:
            return web.log().count('"level": "error"')

        assert click(users[0], 0).status == 200
        wait_for(lambda: len(_answers(stack, pulse_id)) == 1 and _recorded(stack, users[0]))

        proxy.cut()  # while idle: every pooled connection is now dead
        time.sleep(0.2)
        proxy.restore()
        assert click(users[1], 0).status == 200
        wait_for(lambda: len(_answers(stack, pulse_id)) == 2 and _recorded(stack, users[1]))
        assert errors() == 0  # no click met a dead connection

        proxy.cut()  # while clicking
        assert web.health() == 503
        posts = len(stack.ws.response_url_posts())
        assert click(users[2], 0).status == 200  # acked first: Slack never waits on the database
        wait_for(lambda: len(stack.ws.response_url_posts()) > posts)
        assert "try again" in stack.ws.response_url_posts()[-1]["body"]["text"]
        assert not _recorded(stack, users[2]) and len(_answers(stack, pulse_id)) == 2

        proxy.restore()
        failed = errors()
        for user in users:  # the one told to try again does; the others answer on
            assert click(user, 0 if user == users[2] else 1).status == 200
        wait_for(lambda: len(_answers(stack, pulse_id)) == 5)
        assert web.health() == 200
        assert errors() == failed  # only the click during the outage failed
        assert all(_recorded(stack, user) for user in users)
    finally:
        web.stop()
        proxy.close()
