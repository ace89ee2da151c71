"""`/pulse report` as a manager waits for it: a signed slash command in, the report out.

Slack sends the command, the app acks it, then posts the report to the command's
`response_url`. `Driver` plays Slack's part from outside the product: it signs each command
as Slack does (sandbox.sender.sign), sends it over a keep-alive connection, and serves the
response URLs itself (a small HTTP receiver on 127.0.0.1), so what it times is the whole
wait: from sending the request to receiving the posted report.

`serve_target` runs a checkout's `pulse serve` on a seeded org (bench.targets) with the
operator's environment variables and the sandbox as Slack's Web API; `serve_bare` runs, on
the same gunicorn setup, a bare Bolt app that acks and posts a fixed tiny reply (the floor).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bench.targets import DIGEST_CHANNEL, WORKSPACE, Seeded, Target
from sandbox.sender import sign
from sandbox.server import SandboxServer
from sandbox.workspace import Workspace

PULSE_SECRET = "bench-pseudonymisation-key"
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))
FAILURE_WORDS = ("isn't set up", "No team called", "don't manage", "went wrong", "Sorry")


@dataclass
class Served:
    """A web process we started: URL, log file and process handle."""

    proc: subprocess.Popen[bytes]
    url: str
    log_path: Path

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


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a live process and its descendants so far (Linux /proc):
    the server's own work, which another process's load on the machine does not inflate."""
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, IndexError, ValueError):
            continue  # it exited meanwhile
    return total


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def sandbox() -> Iterator[SandboxServer]:
    """Slack's Web API for the served app (auth.test at start; chat.* for the digest)."""
    ws = Workspace(team_id=WORKSPACE, team_name="Seeded Co")
    ws.add_channel(DIGEST_CHANNEL, "hr-digest", [])
    with SandboxServer(ws) as server:
        yield server


def operator_env(slack: SandboxServer, org: Seeded, secret: str, **extra: str) -> dict[str, str]:
    """The operator contract (README: Configuration) pointing at the sandbox and the org."""
    return {
        **os.environ,
        "SLACK_API_URL": slack.url,
        "SLACK_BOT_TOKEN": slack.workspace.bot_token,
        "SLACK_SIGNING_SECRET": secret,
        "SLACK_APP_TOKEN": "",
        "PULSE_SECRET": PULSE_SECRET,
        "PULSE_CONFIG": str(org.config),
        "DATABASE_URL": org.url,
        "HOST": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
        "NO_PROXY": "127.0.0.1,localhost",
        **extra,
    }


def _start(command: list[str], env: dict[str, str], cwd: Path, log_path: Path) -> Served:
    port = free_port()
    with log_path.open("ab") as log:
        proc = subprocess.Popen(
            command, env={**env, "PORT": str(port)}, cwd=cwd, stdout=log, stderr=log
        )
    served = Served(proc, f"http://127.0.0.1:{port}", log_path)
    try:
        _wait_healthy(served)
    except BaseException:
        served.stop()
        raise
    return served


def _wait_healthy(served: Served, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if served.proc.poll() is not None:
            raise RuntimeError(f"web process exited ({served.proc.returncode}): {served.log()}")
        try:
            with _NO_PROXY.open(served.url + "/healthz", timeout=1) as reply:
                if reply.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"web process never became healthy: {served.log()}")


def serve_target(t: Target, env: dict[str, str], log_path: Path) -> Served:
    """The checkout's `pulse serve` (the Procfile's web process), after what its worker
    would have done beside it by then (keep_ready)."""
    keep_ready(t, env)
    return _start([*t.pulse, "serve", "--host", "127.0.0.1"], env, t.repo, log_path)


def keep_ready(t: Target, env: dict[str, str]) -> None:
    """`pulse figures` where the checkout has it: the worker keeps figures ready after every
    close and every 10 minutes, so a running install serves reports from them. (Checkouts
    before figures.store have no such command and nothing to keep.)"""
    probe = subprocess.run(
        [*t.pulse, "figures", "--help"], env=env, cwd=t.repo, capture_output=True
    )
    if probe.returncode != 0:
        return
    done = subprocess.run(
        [*t.pulse, "figures"], env=env, cwd=t.repo, capture_output=True, text=True, check=True
    )
    print(f"# {t.label}: {done.stdout.strip()}", file=sys.stderr, flush=True)


def serve_bare(env: dict[str, str], log_path: Path, *, workers: int) -> Served:
    """bench.bare_app: Bolt behind gunicorn as `pulse serve` runs it (this checkout's Python)."""
    command = [sys.executable, "-m", "bench.bare_app", str(workers)]
    return _start(command, env, Path(__file__).resolve().parent.parent, log_path)


def web_workers(url: str) -> int:
    """gunicorn processes `pulse serve` starts (README: WEB_CONCURRENCY)."""
    default = 1 if url.startswith("sqlite") else 2
    return int(os.environ.get("WEB_CONCURRENCY") or default)


# -- Slack's side: signed commands out, response URLs in --------------------------------


@dataclass
class Posted:
    at: float  # perf_counter when the POST arrived
    body: bytes


@dataclass
class Outcome:
    """One `/pulse report`: how it was acked and when (and what) was posted to its URL."""

    team: str
    status: int  # HTTP status of the ack; 0 = no reply
    ack_ms: float
    ms: float | None  # until the report was posted; None = not posted in time
    error: str | None = None
    posts: int = 0


@dataclass
class _Inbox:
    posted: dict[str, list[Posted]] = field(default_factory=dict)
    cond: threading.Condition = field(default_factory=threading.Condition)

    def add(self, key: str, body: bytes) -> None:
        with self.cond:
            self.posted.setdefault(key, []).append(Posted(time.perf_counter(), body))
            self.cond.notify_all()

    def wait(self, key: str, until: float) -> list[Posted]:
        with self.cond:
            while not self.posted.get(key):
                left = until - time.perf_counter()
                if left <= 0:
                    break
                self.cond.wait(left)
            return list(self.posted.get(key, []))


class Driver:
    """Slack, for `/pulse report`: signs and sends commands, receives response URL posts."""

    def __init__(self, events_url: str, signing_secret: str) -> None:
        self.events_url, self.secret = events_url, signing_secret
        self.inbox = _Inbox()
        inbox = self.inbox

        class Receiver(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")
                inbox.add(self.path.rsplit("/", 1)[-1], body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}/response/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        host_port = events_url.split("//", 1)[1].split("/", 1)[0]
        self.host, self.port = host_port.split(":")[0], int(host_port.split(":")[1])

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def command_body(self, user: str, text: str, key: str) -> bytes:
        """The form Slack posts for `/pulse <text>` typed by `user` in their DM."""
        form = {
            "token": "bench-verification-token",
            "team_id": WORKSPACE,
            "team_domain": "seeded",
            "channel_id": f"D{user[1:]}",
            "channel_name": "directmessage",
            "user_id": user,
            "user_name": user.lower(),
            "command": "/pulse",
            "text": text,
            "api_app_id": "A0BENCH",
            "is_enterprise_install": "false",
            "response_url": self.base + key,
            "trigger_id": f"{secrets.randbelow(10**12)}.bench",
        }
        return urlencode(form).encode()

    def report(self, user: str, team: str, team_name: str | None, *, wait: float = 10.0) -> Outcome:
        """`/pulse report <team>` by `user`; waits up to `wait` s (from sending) for the post."""
        key = secrets.token_hex(8)
        body = self.command_body(user, f"report {team}", key)
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            **sign(self.secret, body, int(time.time())),
        }
        t0 = time.perf_counter()
        status, error = 0, None
        # a new connection per command, as Slack's own requests come: a kept-alive one
        # would be closed by gunicorn after 5 idle seconds while a slow report is awaited
        conn = http.client.HTTPConnection(self.host, self.port, timeout=wait)
        try:
            conn.request("POST", "/slack/events", body=body, headers=headers)
            reply = conn.getresponse()
            reply.read()
            status = reply.status
        except (OSError, http.client.HTTPException) as exc:
            error = type(exc).__name__
        finally:
            conn.close()
        ack_ms = (time.perf_counter() - t0) * 1000
        if status != 200:
            return Outcome(team, status, ack_ms, None, error or f"HTTP {status}")
        posts = self.inbox.wait(key, t0 + wait)
        if not posts:
            return Outcome(team, status, ack_ms, None, "not posted in time")
        first = posts[0]
        problem = _not_a_report(first.body, team_name)
        return Outcome(team, status, ack_ms, (first.at - t0) * 1000, problem, len(posts))


def _not_a_report(body: bytes, team_name: str | None) -> str | None:
    """Why the first post is not the report asked for (None when it is)."""
    try:
        message = json.loads(body)
    except ValueError:
        return "post is not JSON"
    if team_name is None:  # the bare app's fixed reply
        return None if message.get("text") == "ok" else "unexpected bare reply"
    text = json.dumps(message, ensure_ascii=False)
    named = re.search(re.escape(team_name) + r"(?!\d)", text)  # "Team 1", not "Team 10"
    if any(word in text for word in FAILURE_WORDS) or not named:
        return "reply is not the report: " + str(message.get("text"))[:80]
    if len(message.get("blocks") or []) < 3:
        return "reply is not the report: " + str(message.get("text"))[:80]
    return None
