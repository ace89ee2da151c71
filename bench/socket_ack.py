"""Acknowledgement latency over Socket Mode: `python -m bench.ack_latency --transport socket`.

The same requests as the HTTP run (answer clicks, `/pulse report`), sent as Socket Mode
envelopes by the sandbox (`sandbox.socket_mode`) to two apps side by side:

- `bare`: a Bolt app whose listeners only `ack()`, on Bolt's Socket Mode adapter with the
  settings of `bot.socket_mode` (ping interval, dispatch threads): the transport's floor;
- `pulse`: `pulse serve` itself with `SLACK_APP_TOKEN` set.

Each app connects to a sandbox of its own (the bare one empty), so an envelope goes to the
app it is meant for. Timed: from handing the envelope to the socket to reading its ack.
Unlike the HTTP run, the sender shares its process (and GIL) with the sandbox serving the
app's Web API calls: the WebSocket is the sandbox's, so the load cannot move out.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from bench.load import Sent, Unsigned
from bench.world import REPO, World, wait_until
from sandbox.server import SandboxServer
from sandbox.socket_mode import SocketHub
from sandbox.socket_sender import envelope_of
from sandbox.workspace import Workspace


@dataclass
class SocketServed:
    """An app process connected over Socket Mode to `hub`: its process and log file."""

    proc: subprocess.Popen[bytes]
    hub: SocketHub
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def connect(command: list[str], env: dict[str, str], hub: SocketHub, log: Path) -> SocketServed:
    """Start an app process and return once it has opened its Socket Mode connection."""
    with log.open("ab") as out:
        proc = subprocess.Popen(command, env=env, cwd=REPO, stderr=out, stdout=out)
    served = SocketServed(proc, hub, log)
    deadline = time.monotonic() + 60
    while not hub.wait_connected(0.1):
        if proc.poll() is not None or time.monotonic() > deadline:
            served.stop()
            raise RuntimeError(f"{command} never connected over Socket Mode: {served.log()}")
    return served


def connect_pulse(w: World) -> SocketServed:
    ws = w.sandbox.workspace
    env = w.env(SLACK_APP_TOKEN=ws.app_token, SLACK_SIGNING_SECRET="")
    command = [sys.executable, "-m", "bot"]
    return connect(command, env, w.sandbox.socket_mode, w.tmp / "socket-web.log")


def connect_bare(w: World, sandbox: SandboxServer) -> SocketServed:
    ws = sandbox.workspace
    env = {
        **os.environ,
        "SLACK_API_URL": sandbox.url,
        "SLACK_BOT_TOKEN": ws.bot_token,
        "SLACK_APP_TOKEN": ws.app_token,
    }
    command = [sys.executable, "-m", "bench.socket_ack", "_bare"]
    return connect(command, env, sandbox.socket_mode, w.tmp / "socket-bare.log")


class SocketTarget:
    """`bench.ack_latency.Target` over Socket Mode: the same `send` and `settle`."""

    def __init__(self, hub: SocketHub, work: Callable[[], int] | None) -> None:
        self.hub, self.work = hub, work
        self.acked = 0  # envelopes acknowledged so far
        self.base = work() if work else 0

    def send(self, chunk: Sequence[Unsigned], concurrency: int) -> list[Sent]:
        """Send from `concurrency` threads, each as soon as its previous ack arrived."""
        started = time.perf_counter()

        def one(indexed: tuple[int, Unsigned]) -> Sent:
            index, request = indexed
            kind, payload, answered = envelope_of(request.body, request.content_type)
            began = time.perf_counter()
            ack = self.hub.deliver(kind, payload, accepts_response_payload=answered, timeout=10)
            now = time.perf_counter()
            status, error = (200, None) if ack else (0, "no ack")
            return Sent(index, status, (now - began) * 1000, began - started, error)

        with ThreadPoolExecutor(concurrency, thread_name_prefix="envelope") as pool:
            sent = list(pool.map(one, enumerate(chunk)))
        self.acked += sum(1 for s in sent if s.status == 200)
        return sent

    def settle(self) -> None:
        """Wait until Slack has seen the work behind every ack so far (DM update, reply)."""
        if self.work is not None:
            work, expected = self.work, self.base + self.acked
            wait_until(lambda: work() >= expected, timeout=300, poll=0.02)


def bare_app() -> int:
    """A Bolt app whose listeners only ack, over Socket Mode as `bot.socket_mode` runs it."""
    from slack_bolt import App
    from slack_bolt.adapter.socket_mode import SocketModeHandler
    from slack_sdk import WebClient

    from bot.app import ACK_THREADS
    from bot.socket_mode import PING_SECONDS

    bolt_log = logging.getLogger("bench.bolt")
    bolt_log.setLevel(logging.ERROR)
    client = WebClient(token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"])
    app = App(
        logger=bolt_log,
        client=client,
        token_verification_enabled=False,
        request_verification_enabled=False,
        raise_error_for_unhandled_request=False,
    )
    app.action(re.compile(".*"))(lambda ack: ack())
    app.command(re.compile(".*"))(lambda ack: ack())
    SocketModeHandler(
        app,
        os.environ["SLACK_APP_TOKEN"],
        logger=bolt_log,
        web_client=client,
        ping_interval=PING_SECONDS,
        concurrency=ACK_THREADS,
    ).start()
    return 0


def empty_sandbox() -> SandboxServer:
    return SandboxServer(Workspace())


if __name__ == "__main__":
    if sys.argv[1:] == ["_bare"]:
        raise SystemExit(bare_app())
    raise SystemExit("run it as: python -m bench.ack_latency --transport socket")
