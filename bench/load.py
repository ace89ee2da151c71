"""Load as Slack brings it: request bodies built like Slack's, signed when sent, timed.

`Recorder` builds the bodies `sandbox.sender.SlackSender` would send (button clicks, slash
commands) without sending them; `run_load` sends them from many threads, each signing with
a fresh timestamp, and records each reply's status and latency. `python -m bench.load`
runs one load in a process of its own (`load_in_subprocess`), so that its timing threads
share no GIL with the sandbox serving the app's Web API calls.
"""

from __future__ import annotations

import http.client
import itertools
import json
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sandbox.sender import SenderResponse, SlackSender, sign
from sandbox.server import SandboxServer

REPO = Path(__file__).resolve().parent.parent
MANAGER = "U0BENCHMGR"  # the manager of the benchmark team (see bench.world)


@dataclass(frozen=True)
class Unsigned:
    """A request body Slack would send; signed with a fresh timestamp when it is sent."""

    body: bytes
    content_type: str


class Recorder(SlackSender):
    """Builds exactly the bodies `SlackSender` sends (clicks, commands) without sending them."""

    def __init__(self, server: SandboxServer) -> None:
        super().__init__("http://127.0.0.1:9/unused", "", server)
        self.made: list[Unsigned] = []

    def _send(
        self,
        body: bytes,
        content_type: str,
        *,
        retry_num: int | None = None,
        retry_reason: str | None = None,
        timestamp: int | None = None,
    ) -> SenderResponse:
        self.made.append(Unsigned(body, content_type))
        return SenderResponse(200, "", request_body=body, content_type=content_type)


@dataclass(frozen=True)
class Click:
    """One button answer: who, which question, which value, and the request that says so."""

    user: str
    question_id: int
    value: int
    request: Unsigned


def answer_clicks(
    recorder: Recorder, dms: dict[str, tuple[str, str]], users: Sequence[str], *, choice: int = 0
) -> list[Click]:
    """Every scale question of each user's DM answered once, question by question (so
    clicks next to each other come from different people); `choice` picks the button."""
    by_question: list[list[Click]] = []
    for user in users:
        channel, ts = dms[user]
        message = recorder.workspace.message(channel, ts)
        rows = [b["elements"] for b in message["blocks"] if b["type"] == "actions"]
        for i, row in enumerate(rows):
            button = row[(choice + i) % len(row)]
            where = {"channel": channel, "ts": ts}
            recorder.click(user, where, action_id=button["action_id"], value=button["value"])
            _, question_id, value = (int(p) for p in button["value"].split(":"))
            while len(by_question) <= i:
                by_question.append([])
            by_question[i].append(Click(user, question_id, value, recorder.made.pop()))
    return [click for row in by_question for click in row]


def report_commands(recorder: Recorder, n: int, *, user: str = MANAGER) -> list[Unsigned]:
    """`/pulse report` typed `n` times by `user` (each with its own response URL)."""
    for _ in range(n):
        recorder.slash_command(user, "report")
    made, recorder.made = recorder.made, []
    return made


# -- load ------------------------------------------------------------------------------


@dataclass
class Sent:
    index: int
    status: int  # 0: no reply (connection refused, reset or timed out)
    ms: float
    at: float  # seconds after the load started
    error: str | None = None


def run_load(
    url: str,
    signing_secret: str,
    requests: Sequence[Unsigned],
    *,
    concurrency: int,
    batch: int = 1,
    every: float | None = None,
    time_limit: float = 120.0,
    timeout: float = 10.0,
) -> list[Sent]:
    """Send `requests` in order from `concurrency` threads, each with one keep-alive
    connection. Without `every`, each thread sends as soon as its previous reply arrived
    (a closed loop); with it, request i starts no earlier than (i // batch) * every seconds
    in: batch=1 paces at 1/every per second, batch=concurrency sends bursts that all
    start together. Bounded: stops starting requests after `time_limit` seconds."""
    parts = urlsplit(url)
    host, port, path = parts.hostname or "127.0.0.1", parts.port or 80, parts.path
    next_index = itertools.count()
    results: list[Sent | None] = [None] * len(requests)
    started = time.perf_counter()

    def one_thread() -> None:
        conn: http.client.HTTPConnection | None = None
        while True:
            i = next(next_index)
            if i >= len(requests) or time.perf_counter() - started > time_limit:
                break
            if every:
                delay = started + (i // batch) * every - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
            request = requests[i]
            headers = {
                "Content-Type": request.content_type,
                **sign(signing_secret, request.body, int(time.time())),
            }
            t0 = time.perf_counter()
            status, error = 0, None
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(host, port, timeout=timeout)
                conn.request("POST", path, body=request.body, headers=headers)
                reply = conn.getresponse()
                reply.read()
                status = reply.status
                if reply.will_close:
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException) as exc:
                error = type(exc).__name__
                if conn is not None:
                    conn.close()
                conn = None
            t1 = time.perf_counter()
            results[i] = Sent(i, status, (t1 - t0) * 1000, t0 - started, error)
        if conn is not None:
            conn.close()

    threads = [threading.Thread(target=one_thread, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(time_limit + timeout + 5)
    return [r for r in results if r is not None]


def load_in_subprocess(
    url: str,
    signing_secret: str,
    requests: Sequence[Unsigned],
    *,
    concurrency: int,
    batch: int = 1,
    every: float | None = None,
    time_limit: float = 120.0,
) -> subprocess.Popen[str]:
    """`run_load` in a process of its own (so the sandbox's work in this process does not
    share a GIL with the timing threads); collect with `collect`."""
    spec = {
        "url": url,
        "secret": signing_secret,
        "concurrency": concurrency,
        "batch": batch,
        "every": every,
        "time_limit": time_limit,
        "requests": [[r.body.decode(), r.content_type] for r in requests],
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.load"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    assert proc.stdin is not None
    proc.stdin.write(json.dumps(spec))
    proc.stdin.close()
    return proc


def collect(proc: subprocess.Popen[str], timeout: float = 300) -> list[Sent]:
    assert proc.stdout is not None
    out = proc.stdout.read()
    proc.wait(timeout)
    return [Sent(**row) for row in json.loads(out)]


def main() -> int:
    spec = json.loads(sys.stdin.read())
    requests = [Unsigned(body.encode(), kind) for body, kind in spec["requests"]]
    sent = run_load(
        spec["url"],
        spec["secret"],
        requests,
        concurrency=spec["concurrency"],
        batch=spec["batch"],
        every=spec["every"],
        time_limit=spec["time_limit"],
    )
    print(json.dumps([asdict(s) for s in sent]))
    return 0


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0–100); NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def summary(sent: Sequence[Sent]) -> dict[str, Any]:
    ok = [s.ms for s in sent if s.status == 200]
    return {
        "requests": len(sent),
        "p50_ms": round(percentile(ok, 50), 1),
        "p99_ms": round(percentile(ok, 99), 1),
        "max_ms": round(max((s.ms for s in sent), default=float("nan")), 1),
        "errors": sum(1 for s in sent if s.status != 200),
        **({"statuses": statuses} if (statuses := _statuses(sent)) else {}),
    }


def _statuses(sent: Sequence[Sent]) -> dict[str, int]:
    """How the failed requests failed: HTTP status, or the client's error (no reply)."""
    counts: dict[str, int] = {}
    for s in sent:
        if s.status != 200:
            key = str(s.status) if s.status else (s.error or "no reply")
            counts[key] = counts.get(key, 0) + 1
    return counts


if __name__ == "__main__":
    raise SystemExit(main())
