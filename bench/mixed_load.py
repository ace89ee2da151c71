"""Mixed load for a minute: employees answer while a worker fans out a pulse and a manager
pulls reports, all at once, against the served app (`python -m bot`) and a real worker.

    .venv/bin/python -m bench.mixed_load                     # SQLite
    .venv/bin/python -m bench.mixed_load --database postgresql+psycopg://postgres@127.0.0.1:5432/test

In the same `--seconds` (default 60):
- employees of team `all` click their pulse's answer buttons, every (person, question)
  once, `--clicks-per-second` of them, signed as Slack signs them;
- `pulse worker --send-only` sends a second team's pulse to `--wave` people, paced (and
  limited by the sandbox, as Slack limits it) so that the fan-out lasts the whole run;
- the team's manager types `/pulse report` every `--report-every` seconds.

Printed: requests and errors per kind (an error is anything but a 200, or no reply), p50,
p99 and max latency (Slack gives up after 3 s), "database is locked" in the web and worker
logs, lost answers (acknowledged clicks whose answer is not stored with its value), and
the fan-out's DMs, duplicates and misses. Everything is bounded: each load stops after its
count or `--seconds` + 30 s, the worker is killed if it has not finished 60 s later.
"""

from __future__ import annotations

import argparse
import math
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.fanout import tally
from bench.load import (
    Click,
    Recorder,
    Sent,
    answer_clicks,
    collect,
    load_in_subprocess,
    report_commands,
    summary,
)
from bench.world import REPO, World, dm_locations, serve_pulse, wait_until, world
from storage import outbox
from storage.db import session_scope

GRACE = 30.0  # seconds a load may run past --seconds before it stops starting requests


def start_worker(w: World, log_path: Path, *, name: str = "mixed-1") -> subprocess.Popen[bytes]:
    """`pulse worker --send-only --until-idle`, logging warnings and errors to `log_path`."""
    command = [
        sys.executable,
        "-m",
        "cli.main",
        "worker",
        "--send-only",
        "--until-idle",
        "--worker",
        name,
    ]
    with log_path.open("ab") as log:
        return subprocess.Popen(
            command, env=w.env(LOG_LEVEL="WARNING"), cwd=REPO, stdout=log, stderr=log
        )


def lost_answers(w: World, clicks: Sequence[Click], sent: Sequence[Sent]) -> int:
    """Acknowledged clicks whose answer is not in the database with the value clicked."""
    acked = [clicks[s.index] for s in sent if s.status == 200]
    stored = w.stored_answers()
    return sum(1 for key, value in w.expected_answers(acked).items() if stored.get(key) != value)


def run(
    where: str, *, seconds: float, clicks_per_second: float, wave: int, report_every: float
) -> dict[str, Any]:
    n_clicks = math.ceil(seconds * clicks_per_second)
    n_reports = math.ceil(seconds / report_every)
    fanout_rate = max(1.0, math.floor(wave / seconds))
    with world(where, people=math.ceil(n_clicks / 4), rate=fanout_rate, concurrency=4) as w:
        recorder = Recorder(w.sandbox)
        clicks = answer_clicks(recorder, dm_locations(w.engine, w.pulse_id), w.users)[:n_clicks]
        reports = report_commands(recorder, n_reports)
        wave_users, wave_pulse = w.open_wave(wave)
        w.sandbox.set_rate_limit("chat.postMessage", fanout_rate)  # Slack's ceiling
        web = serve_pulse(w, w.tmp / "web.log")
        worker_log = w.tmp / "worker.log"
        try:
            started = time.monotonic()
            worker = start_worker(w, worker_log)
            limit = seconds + GRACE
            click_load = load_in_subprocess(
                web.events_url, w.signing_secret, [c.request for c in clicks],
                concurrency=16, every=1 / clicks_per_second, time_limit=limit,
            )  # fmt: skip
            report_load = load_in_subprocess(
                web.events_url, w.signing_secret, reports,
                concurrency=2, every=report_every, time_limit=limit,
            )  # fmt: skip
            click_sent, report_sent = collect(click_load), collect(report_load)
            load_s = time.monotonic() - started
            try:
                worker_code = worker.wait(timeout=max(1.0, seconds + 60 - load_s))
            except subprocess.TimeoutExpired:
                worker.send_signal(signal.SIGKILL)
                worker_code = worker.wait()
            fanout_s = time.monotonic() - started
            ws = w.sandbox.workspace
            acked = sum(1 for s in click_sent if s.status == 200)
            replies = sum(1 for s in report_sent if s.status == 200)

            def settled() -> bool:
                by_method = ws.call_counts()["by_method"]
                updates = sum(by_method.get("chat.update", {}).values())
                return updates >= acked and len(ws.response_url_posts()) >= replies

            wait_until(settled, timeout=120, poll=0.2)
            web_log = web.log()
        finally:
            web.stop()
        with session_scope(w.engine) as s:
            wave_status = outbox.status_counts(s, pulse_id=wave_pulse)
        duplicates, misses = tally(w.sandbox.workspace, wave_users, wave_pulse)
        logs = web_log + worker_log.read_text(errors="replace")
        return {
            "db": "sqlite" if where == "sqlite" else "postgresql",
            "seconds": round(load_s, 1),
            "clicks": summary(click_sent),
            "reports": summary(report_sent),
            "max_latency_ms": round(max(s.ms for s in [*click_sent, *report_sent]), 1),
            "database_is_locked": logs.count("database is locked"),
            "errors_logged": web_log.count('"level": "error"'),
            "clicks_acked": acked,
            "answers_stored": len(w.stored_answers()),
            "lost_answers": lost_answers(w, clicks, click_sent),
            "fanout": {
                "people": wave,
                "rate": fanout_rate,
                "sent": wave_status.get(outbox.SENT, 0),
                "duplicates": duplicates,
                "misses": misses,
                "seconds": round(fanout_s, 1),
                "worker_exit": worker_code,
            },
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.mixed_load",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--database", default="sqlite", help='"sqlite" or a PostgreSQL URL')
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the run")
    parser.add_argument("--clicks-per-second", type=float, default=40.0)
    parser.add_argument("--wave", type=int, default=3000, help="people the worker sends to")
    parser.add_argument("--report-every", type=float, default=0.5, help="seconds")
    args = parser.parse_args(argv)
    figures = run(
        args.database,
        seconds=args.seconds,
        clicks_per_second=args.clicks_per_second,
        wave=args.wave,
        report_every=args.report_every,
    )
    for key, value in figures.items():
        print(f"{key}: {value}", flush=True)
    ok = (
        figures["clicks"]["errors"] == figures["reports"]["errors"] == 0
        and figures["max_latency_ms"] < 3000
        and figures["database_is_locked"] == figures["lost_answers"] == 0
        and figures["fanout"]["duplicates"] == figures["fanout"]["misses"] == 0
    )
    print("goals " + ("met" if ok else "MISSED"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
