"""Acknowledgement latency of the served app under 50 concurrent signed requests.

    .venv/bin/python -m bench.ack_latency                     # SQLite
    .venv/bin/python -m bench.ack_latency --database postgresql+psycopg://postgres@127.0.0.1:5432/test
    .venv/bin/python -m bench.ack_latency --transport socket  # Socket Mode (bench.socket_ack)

Slack waits 3 seconds for an app's acknowledgement. What is timed here is that wait: from
sending a request signed exactly as Slack signs it to reading the whole HTTP reply, by a
separate load process (bench.load), against two servers side by side on the same machine,
sent the same requests in turn:

- `bare`: a Bolt app whose listeners only `ack()`, behind the exact gunicorn setup of
  `pulse serve` (same worker class, workers and threads): the floor the stack allows;
- `pulse`: `python -m bot` itself, with a pulse delivered to `--people` people.

Two kinds of request: a button answer (every click a different person and question, so
each one writes) and `/pulse report` by the team's manager. Two shapes of load:

- `burst`: rounds of 50 requests sent at once, to `bare` then to `pulse`, each round once
  the work behind the previous round's acks is done (50 people clicking at one moment);
- `closed`: 50 requests always in flight, each sender sending again as soon as it is
  answered (sustained overload: requests arrive as fast as they are acknowledged).

Printed per shape, kind and server: p50 and p99 of the acknowledged requests, the max of
all, errors (anything but a 200, or no reply, by status), and for `pulse` the time until
the work behind the acks (the DM updates and report replies Slack saw) was done; then the
answers stored, errors logged and "database is locked" in the web log.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import re
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from slack_sdk import WebClient

from bench import socket_ack
from bench.load import (
    Recorder,
    Sent,
    Unsigned,
    answer_clicks,
    collect,
    load_in_subprocess,
    report_commands,
    summary,
)
from bench.world import (
    Served,
    World,
    dm_locations,
    free_port,
    serve,
    serve_pulse,
    wait_until,
    world,
)
from sandbox.workspace import Workspace

SHAPES = ("burst", "closed")


def bare_wsgi() -> Callable[..., Any]:
    """A Bolt app configured as bot.app.build_app's, whose listeners only ack."""
    from slack_bolt import App
    from slack_bolt.adapter.wsgi import SlackRequestHandler

    from settings.logs import ContextExecutor

    bolt_log = logging.getLogger("bench.bolt")
    bolt_log.setLevel(logging.ERROR)
    app = App(
        logger=bolt_log,
        # the same one-off auth.test as the real app makes, against the sandbox
        client=WebClient(token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"]),
        signing_secret=os.environ["SLACK_SIGNING_SECRET"],
        token_verification_enabled=False,
        raise_error_for_unhandled_request=False,
        listener_executor=ContextExecutor(max_workers=16, thread_name_prefix="listener"),
    )
    app.action(re.compile(".*"))(lambda ack: ack())
    app.command(re.compile(".*"))(lambda ack: ack())
    bolt = SlackRequestHandler(app)

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if environ.get("PATH_INFO") == "/healthz":  # so that `serve` sees it is up
            start_response("200 OK", [("Content-Length", "2")])
            return [b"ok"]
        return bolt(environ, start_response)

    return wsgi


def _serve_bare(port: int, workers: int, threads: int) -> int:
    """`bare_wsgi` behind bot.server.serve's own gunicorn setup (its app swapped out)."""
    from bot import server

    server.PulseWSGI = lambda _ctx, **_: bare_wsgi()  # type: ignore[assignment,misc,return-value]
    server.serve(lambda: None, host="127.0.0.1", port=port, workers=workers, threads=threads)  # type: ignore[arg-type,return-value]
    return 0


def serve_bare(w: World, *, workers: int) -> Served:
    threads = int(os.environ.get("WEB_THREADS") or 8)  # as `pulse serve` reads them
    port = free_port()
    command = [sys.executable, "-m", "bench.ack_latency", "_bare", str(port), str(workers)]
    return serve([*command, str(threads)], w.env(), w.tmp / "bare.log", port=port)


class Target:
    """One server under load: where to send, and how to wait out the work behind its acks."""

    def __init__(self, served: Served, secret: str, work: Callable[[], int] | None) -> None:
        self.served, self.secret, self.work = served, secret, work
        self.acked = 0  # requests acknowledged so far
        self.base = work() if work else 0

    def send(self, chunk: Sequence[Unsigned], concurrency: int) -> list[Sent]:
        proc = load_in_subprocess(
            self.served.events_url, self.secret, chunk, concurrency=concurrency
        )
        sent = collect(proc)
        self.acked += sum(1 for s in sent if s.status == 200)
        return sent

    def settle(self) -> None:
        """Wait until Slack has seen the work behind every ack so far (DM update, reply)."""
        if self.work is not None:
            work, expected = self.work, self.base + self.acked
            wait_until(lambda: work() >= expected, timeout=300, poll=0.02)


def compare(
    targets: dict[str, Target],
    requests: Sequence[Unsigned],
    *,
    shape: str,
    warmup: int,
    concurrency: int,
) -> dict[str, tuple[list[Sent], float]]:
    """The same requests against every target: (timed requests, seconds until all the
    work was done) per target. `burst`: rounds of `concurrency` requests sent together,
    each target in turn, each round on an idle server (the work behind earlier acks done);
    `closed`: one closed loop per target. The first `warmup` requests are not timed."""
    timed: dict[str, list[Sent]] = {name: [] for name in targets}
    took = dict.fromkeys(targets, 0.0)
    if shape == "closed":
        for name, target in targets.items():
            target.send(requests[:warmup], concurrency)
            target.settle()
            began = time.monotonic()
            timed[name] = target.send(requests[warmup:], concurrency)
            target.settle()
            took[name] = time.monotonic() - began
        return {name: (timed[name], took[name]) for name in targets}
    for start in range(0, len(requests), concurrency):
        for name, target in targets.items():
            began = time.monotonic()
            sent = target.send(requests[start : start + concurrency], concurrency)
            target.settle()
            if start >= warmup:
                timed[name] += sent
                took[name] += time.monotonic() - began
    return {name: (timed[name], took[name]) for name in targets}


def _work_done(ws: Workspace) -> Callable[[], int]:
    """How much of the work behind the acks Slack has seen: DM updates plus report replies."""

    def count() -> int:
        by_method = ws.call_counts()["by_method"]
        return sum(by_method.get("chat.update", {}).values()) + len(ws.response_url_posts())

    return count


def run(
    where: str,
    *,
    shapes: Sequence[str],
    people: int,
    requests: int,
    warmup: int,
    concurrency: int,
    socket: bool = False,
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    per_kind = (warmup + requests) * len(shapes)
    with world(where, people=people) as w:
        recorder = Recorder(w.sandbox)
        clicks = answer_clicks(recorder, dm_locations(w.engine, w.pulse_id), w.users)
        if len(clicks) < per_kind:
            raise SystemExit(f"--people {people} gives {len(clicks)} clicks; {per_kind} needed")
        requests_of = {
            "click": [c.request for c in clicks],
            "report": report_commands(recorder, per_kind),
        }
        pg = not w.url.startswith("sqlite")
        workers = int(os.environ.get("WEB_CONCURRENCY") or (2 if pg else 1))  # pulse serve's
        other = socket_ack.empty_sandbox().start() if socket else None
        bare: Any = socket_ack.connect_bare(w, other) if other else serve_bare(w, workers=workers)
        try:
            pulse: Any = (
                socket_ack.connect_pulse(w)
                if socket
                else serve_pulse(w, w.tmp / "web.log", WEB_CONCURRENCY=str(workers))
            )
        except BaseException:
            bare.stop()
            raise
        try:
            work = _work_done(w.sandbox.workspace)
            targets: dict[str, Any] = {
                "bare": Target(bare, w.signing_secret, None),
                "pulse": Target(pulse, w.signing_secret, work),
            }
            if other is not None:
                targets = {
                    "bare": socket_ack.SocketTarget(other.socket_mode, None),
                    "pulse": socket_ack.SocketTarget(w.sandbox.socket_mode, work),
                }
            size = warmup + requests
            for kind, reqs in requests_of.items():
                for i, shape in enumerate(shapes):
                    results = compare(
                        targets,
                        reqs[i * size : (i + 1) * size],
                        shape=shape,
                        warmup=warmup,
                        concurrency=concurrency,
                    )
                    for app, (sent, took) in results.items():
                        row = {"shape": shape, "kind": kind, "app": app, **summary(sent)}
                        if app == "pulse":
                            row["all_done_s"] = round(took, 1)
                        rows.append(row)
            log = pulse.log()
        finally:
            pulse.stop()
            bare.stop()
            if other is not None:
                other.stop()
        rows.append(
            {
                "answers_stored": f"{len(w.stored_answers())}/{min(len(clicks), per_kind)}",
                "errors_logged": log.count('"level": "error"'),
                "database_is_locked": log.count("database is locked"),
            }
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_bare"]:
        return _serve_bare(int(argv[1]), int(argv[2]), int(argv[3]))
    parser = argparse.ArgumentParser(
        prog="python -m bench.ack_latency",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--database", default="sqlite", help='"sqlite" or a PostgreSQL URL')
    parser.add_argument("--shape", choices=[*SHAPES, "both"], default="both")
    parser.add_argument("--requests", type=int, default=1000, help="timed requests per run")
    parser.add_argument("--warmup", type=int, default=100, help="untimed requests first")
    parser.add_argument("--concurrency", type=int, default=50, help="requests in flight")
    parser.add_argument("--people", type=int, help="people in the pulse (default: enough)")
    parser.add_argument(
        "--transport", choices=["http", "socket"], default="http", help="how Slack reaches the apps"
    )
    args = parser.parse_args(argv)
    shapes = list(SHAPES) if args.shape == "both" else [args.shape]
    people = args.people or -(-(args.requests + args.warmup) * len(shapes) // 4)
    started = dt.datetime.now(dt.UTC)
    rows = run(
        args.database,
        shapes=shapes,
        people=people,
        requests=args.requests,
        warmup=args.warmup,
        concurrency=args.concurrency,
        socket=args.transport == "socket",
    )
    db = "sqlite" if args.database == "sqlite" else "postgresql"
    print(
        f"# ack latency over {args.transport} on {db}, {args.concurrency} concurrent,"
        f" {started:%Y-%m-%d %H:%M} UTC"
    )
    for row in rows:
        print("  ".join(f"{k}={v}" for k, v in row.items()), flush=True)
    by = {(r["shape"], r["kind"], r["app"]): r for r in rows if "app" in r}
    for shape in shapes:
        for kind in ("click", "report"):
            bare, pulse = by[(shape, kind, "bare")], by[(shape, kind, "pulse")]
            ratio = pulse["p50_ms"] / bare["p50_ms"]
            met = ratio <= 1.5 and pulse["p99_ms"] < 300 and pulse["errors"] == 0
            print(f"{shape} {kind}: p50 pulse/bare {ratio:.2f}; goals {'met' if met else 'MISSED'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
