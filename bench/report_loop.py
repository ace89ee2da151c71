"""50 managers typing `/pulse report` at once against one web process, for N seconds.

    .venv/bin/python -m bench.report_loop                                 # SQLite, 10k people
    .venv/bin/python -m bench.report_loop --database postgresql+psycopg://postgres@127.0.0.1:5432/postgres
    .venv/bin/python -m bench.report_loop --repo /work/wt/bench-old --repo .

A closed loop: each of `--managers` threads types `/pulse report team-NNN` as that team's
manager (bench.report_served's request, signed as Slack signs it), waits for the report to
be posted to its response URL, and types again at once. One `pulse serve` (the Procfile's
web process, with its default gunicorn workers for the database) per checkout, then the
bare Bolt app on the same stack. An error is a non-200 ack, no ack or no post within
`--deadline` seconds of sending (Slack's 3 seconds), or a post that is not the report.
Printed: reports/s (reports posted in time, per second of the run), errors, p50/p99 of the
reports posted in time, and replies posted at any time per second (capacity, late ones
included), and the web process's CPU time per reply posted.
Targets (issue 14): ≥ 100 reports/s, no error, p50 within 3× bare.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import secrets
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench.load import percentile
from bench.served import (
    Driver,
    Outcome,
    Served,
    cpu_seconds,
    operator_env,
    sandbox,
    serve_bare,
    serve_target,
    web_workers,
)
from bench.targets import SIZES, seeded, targets_from, team_manager


def closed_loop(
    driver: Driver, *, teams: int, managers: int, seconds: float, deadline: float, bare: bool
) -> tuple[list[Outcome], float]:
    """Every manager thread sends, waits for its report (or the deadline), sends again."""
    outcomes: list[Outcome] = []
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds

    def manager(seed: int) -> None:
        rng = random.Random(seed)
        mine = []
        while time.perf_counter() < stop_at:
            t = rng.randrange(teams)
            name = None if bare else f"Team {t}"
            mine.append(driver.report(team_manager(t), f"team-{t:03d}", name, wait=deadline))
        with lock:
            outcomes.extend(mine)

    began = time.perf_counter()
    threads = [threading.Thread(target=manager, args=(i,), daemon=True) for i in range(managers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + deadline + 30)
    return outcomes, time.perf_counter() - began


def summary(outcomes: list[Outcome], elapsed: float) -> dict[str, Any]:
    ok = [o.ms for o in outcomes if o.error is None and o.ms is not None]
    errors = Counter(_kind(o.error) for o in outcomes if o.error is not None)
    return {
        "reports": len(outcomes),
        "per_s": round(len(ok) / elapsed, 1),
        "p50_ms": round(percentile(ok, 50), 1),
        "p99_ms": round(percentile(ok, 99), 1),
        "errors": sum(errors.values()),
        **({"why": dict(errors)} if errors else {}),
    }


def _kind(error: str) -> str:
    return "not the report" if error.startswith("reply is not") else error


def measure(
    start: Any, secret: str, *, teams: int, bare: bool, args: argparse.Namespace
) -> dict[str, Any]:
    served: Served = start()
    driver = Driver(served.url + "/slack/events", secret)
    try:
        # warm every gunicorn thread and the database's cache, untimed
        closed_loop(driver, teams=teams, managers=args.managers, seconds=3, deadline=10, bare=bare)
        with driver.inbox.cond:
            driver.inbox.posted.clear()
        cpu = cpu_seconds(served.proc.pid)
        outcomes, elapsed = closed_loop(
            driver,
            teams=teams,
            managers=args.managers,
            seconds=args.seconds,
            deadline=args.deadline,
            bare=bare,
        )
        with driver.inbox.cond:  # late ones too: what the process got through
            posted = len(driver.inbox.posted)
        cpu = cpu_seconds(served.proc.pid) - cpu
    finally:
        driver.close()
        served.stop()
    return {
        **summary(outcomes, elapsed),
        "posted_any_time_per_s": round(posted / elapsed, 1),
        "server_cpu_ms_per_post": round(cpu * 1000 / max(1, posted), 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.report_loop",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--repo", action="append", default=[], help="a checkout (its .venv)")
    parser.add_argument("--python", action="append", default=[], help="a venv's python")
    parser.add_argument("--database", default="sqlite", help='"sqlite" or a PostgreSQL URL')
    parser.add_argument("--size", default="10k", choices=list(SIZES))
    parser.add_argument("--managers", type=int, default=50, help="concurrent managers")
    parser.add_argument("--seconds", type=float, default=20, help="length of each timed loop")
    parser.add_argument("--deadline", type=float, default=3.0, help="seconds a report may take")
    parser.add_argument("--no-bare", action="store_true", help="skip the bare Bolt floor")
    args = parser.parse_args(argv)
    targets = targets_from(args.repo, args.python)
    db = "sqlite" if args.database == "sqlite" else "postgresql"
    now = dt.datetime.now(dt.UTC)
    print(f"# closed loop, {args.managers} managers, {args.seconds:g} s, {db}, {now:%H:%M} UTC")
    secret = secrets.token_hex(16)
    teams = SIZES[args.size][1]
    rows: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp_name, sandbox() as slack:
        tmp = Path(tmp_name)
        first_url = ""
        for t in targets:
            org = seeded(t, args.database, args.size)
            first_url = first_url or org.url
            env = operator_env(slack, org, secret)
            log_path = tmp / f"{t.label}.log"
            start = lambda: serve_target(t, env, log_path)  # noqa: B023, E731 (called at once)
            rows[t.label] = measure(start, secret, teams=teams, bare=False, args=args)
            print(f"app={t.label}  size={args.size}  " + _fmt(rows[t.label]), flush=True)
        if not args.no_bare:
            workers = web_workers(first_url)
            bare_env = operator_env(slack, org, secret)

            def start_bare() -> Served:
                return serve_bare(bare_env, tmp / "bare.log", workers=workers)

            rows["bare"] = measure(start_bare, secret, teams=teams, bare=True, args=args)
            print("app=bare  " + _fmt(rows["bare"]), flush=True)
    for label, row in rows.items():
        if label == "bare":
            continue
        ratio = row["p50_ms"] / rows["bare"]["p50_ms"] if "bare" in rows else float("nan")
        met = row["per_s"] >= 100 and row["errors"] == 0 and ratio <= 3
        print(
            f"{label}: {row['per_s']} reports/s (≥ 100), {row['errors']} errors (0), "
            f"p50 {ratio:.1f}× bare (≤ 3): {'met' if met else 'MISSED'}"
        )
    return 0


def _fmt(row: dict[str, Any]) -> str:
    return "  ".join(f"{k}={v}" for k, v in row.items())


if __name__ == "__main__":
    sys.exit(main())
