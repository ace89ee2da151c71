"""The served `/pulse report TEAM`: from the signed command to the report posted back.

    .venv/bin/python -m bench.report_served                               # SQLite, 1k and 10k
    .venv/bin/python -m bench.report_served --database postgresql+psycopg://postgres@127.0.0.1:5432/postgres
    .venv/bin/python -m bench.report_served --repo /work/wt/bench-old --repo .   # old vs new

For each checkout (`--repo DIR` or `--python PATH`, repeatable; default this one) and each
org size, the checkout's own `pulse seed` org (kept and reused, see bench.targets) is served
by its own `pulse serve`, all at once, and `--reports` commands (fewer if `--budget` seconds
per server run out) are sent one at a time to each server in turn, the order rotating, each
typed by the manager the config names for a random team (`/pulse report team-NNN`, the same
teams in the same order for every checkout). With two checkouts, `paired_ratio_to_<first>`
is the median over teams of the second's time over the first's for the same team. What is
timed is what the manager waits for: from sending the request, signed as Slack signs it,
to receiving the report the app POSTs to the command's response URL (bench.served).
After the product, the same commands go to a bare Bolt app on the same gunicorn setup that
posts a fixed tiny reply (the floor).

`server_cpu_ms` is the web process's CPU time (gunicorn and its workers) per report: unlike
the latencies it is not inflated by other work on the machine.

An error is a non-200 ack, no reply, no post within `--wait` seconds, or a post that is not
the team's report. Targets (issue 14): a team report's p95 ≤ 50 ms at 10,000 people, and
p95 at 1,000 and 10,000 people within 20% of each other.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import random
import secrets
import sys
import tempfile
import time
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
from bench.targets import SIZES, Target, seeded, targets_from, team_manager


def team_sequence(teams: int, n: int, seed: int) -> list[int]:
    rng = random.Random(seed)
    return [rng.randrange(teams) for _ in range(n)]


def alternate(
    drivers: dict[str, Driver], teams: list[int], *, wait: float, budget: float
) -> dict[str, list[Outcome]]:
    """Each `/pulse report team-NNN` (by that team's manager) to every server in turn, one
    request at a time, the order rotating; stops once `budget` seconds have passed (so a
    slow checkout still finishes in minutes). Old and new thus meet the same teams under
    the same machine load, request by request."""
    out: dict[str, list[Outcome]] = {app: [] for app in drivers}
    order = list(drivers)
    stop_at = time.monotonic() + budget
    for i, t in enumerate(teams):
        if time.monotonic() > stop_at:
            break
        for app in order[i % len(order) :] + order[: i % len(order)]:
            name = None if app == "bare" else f"Team {t}"
            out[app].append(drivers[app].report(team_manager(t), f"team-{t:03d}", name, wait=wait))
    return out


def summary(outcomes: list[Outcome]) -> dict[str, Any]:
    ok = [o.ms for o in outcomes if o.ms is not None and o.error is None]
    errors = [o.error for o in outcomes if o.error is not None]
    return {
        "reports": len(outcomes),
        "p50_ms": round(percentile(ok, 50), 1),
        "p95_ms": round(percentile(ok, 95), 1),
        "p99_ms": round(percentile(ok, 99), 1),
        "max_ms": round(max(ok, default=float("nan")), 1),
        "ack_p50_ms": round(percentile([o.ack_ms for o in outcomes], 50), 1),
        "errors": len(errors),
        **({"first_error": errors[0]} if errors else {}),
    }


def run_together(
    starts: dict[str, Any],
    *,
    secret: str,
    teams: list[int],
    warmup: int,
    wait: float,
    budget: float,
) -> dict[str, dict[str, Any]]:
    """Start every server (`starts[app]()`), warm each up, time them alternately, stop
    them; a row per app, with the paired ratio of each to the first when there are two+."""
    served: dict[str, Served] = {}
    drivers: dict[str, Driver] = {}
    try:
        for app, start in starts.items():
            served[app] = start()
            drivers[app] = Driver(served[app].url + "/slack/events", secret)
        alternate(drivers, teams[:warmup], wait=wait, budget=budget / 5)
        cpu = {app: cpu_seconds(s.proc.pid) for app, s in served.items()}
        timed = alternate(drivers, teams[warmup:], wait=wait, budget=budget * len(starts))
        cpu = {app: cpu_seconds(s.proc.pid) - cpu[app] for app, s in served.items()}
    finally:
        for driver in drivers.values():
            driver.close()
        for one in served.values():
            one.stop()
    rows = {}
    first = next(iter(starts))
    for app, outcomes in timed.items():
        row = {
            **summary(outcomes),
            "server_cpu_ms": round(cpu[app] * 1000 / max(1, len(outcomes)), 1),
        }
        if app != first:
            pairs = [
                b.ms / a.ms
                for a, b in zip(timed[first], outcomes, strict=False)
                if a.ms and b.ms and a.error is None and b.error is None
            ]
            row[f"paired_ratio_to_{first}"] = round(percentile(pairs, 50), 3)
        rows[app] = row
    return rows


def run(
    targets: list[Target],
    *,
    database: str,
    sizes: list[str],
    reports: int,
    warmup: int,
    wait: float,
    seed: int,
    bare: bool,
    budget: float = 50.0,
    log: Any = print,
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    db = "sqlite" if database == "sqlite" else "postgresql"
    secret = secrets.token_hex(16)
    with tempfile.TemporaryDirectory() as tmp_name, sandbox() as slack:
        tmp = Path(tmp_name)
        orgs = {
            (t.label, size): seeded(t, database, size, log=log) for t in targets for size in sizes
        }
        for size in sizes:
            teams = team_sequence(SIZES[size][1], warmup + reports, seed)
            starts = {
                t.label: functools.partial(
                    serve_target,
                    t,
                    operator_env(slack, orgs[t.label, size], secret),
                    tmp / f"{t.label}-{size}.log",
                )
                for t in targets
            }
            together = run_together(
                starts, secret=secret, teams=teams, warmup=warmup, wait=wait, budget=budget
            )
            for app, row in together.items():
                rows.append({"app": app, "db": db, "size": size, **row})
                log("  ".join(f"{k}={v}" for k, v in rows[-1].items()))
        if bare:
            org = orgs[targets[0].label, sizes[0]]
            env = operator_env(slack, org, secret)
            teams = team_sequence(SIZES[sizes[0]][1], warmup + reports, seed)
            start = functools.partial(
                serve_bare, env, tmp / "bare.log", workers=web_workers(org.url)
            )
            row = run_together(
                {"bare": start}, secret=secret, teams=teams, warmup=warmup, wait=wait, budget=budget
            )["bare"]
            rows.append({"app": "bare", "db": db, "size": "-", **row})
            log("  ".join(f"{k}={v}" for k, v in rows[-1].items()))
    return rows


def verdicts(rows: list[dict[str, Any]]) -> list[str]:
    """The issue's targets, per checkout: p95 ≤ 50 ms at 10k; p95 flat from 1k to 10k."""
    lines = []
    by = {(r["app"], r["size"]): r for r in rows}
    for app in dict.fromkeys(r["app"] for r in rows if r["app"] != "bare"):
        big, small = by.get((app, "10k")), by.get((app, "1k"))
        if big:
            met = big["p95_ms"] <= 50 and big["errors"] == 0
            lines.append(f"{app}: p95 at 10k {big['p95_ms']} ms (target ≤ 50): {_met(met)}")
        if big and small:
            ratio = big["p95_ms"] / small["p95_ms"]
            lines.append(f"{app}: p95 10k / 1k = {ratio:.2f} (target ≤ 1.20): {_met(ratio <= 1.2)}")
    return lines


def _met(ok: bool) -> str:
    return "met" if ok else "MISSED"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.report_served",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--repo", action="append", default=[], help="a checkout (its .venv)")
    parser.add_argument("--python", action="append", default=[], help="a venv's python")
    parser.add_argument("--database", default="sqlite", help='"sqlite" or a PostgreSQL URL')
    parser.add_argument("--sizes", default="1k,10k", help=f"of {', '.join(SIZES)}")
    parser.add_argument("--reports", type=int, default=200, help="timed reports per server")
    parser.add_argument("--warmup", type=int, default=20, help="untimed reports first")
    parser.add_argument("--wait", type=float, default=10.0, help="seconds to wait for a post")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the team order")
    parser.add_argument(
        "--budget", type=float, default=50, help="seconds of timed reports per server at most"
    )
    parser.add_argument("--no-bare", action="store_true", help="skip the bare Bolt floor")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON at the end")
    args = parser.parse_args(argv)
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    if unknown := [s for s in sizes if s not in SIZES]:
        parser.error(f"unknown size {unknown[0]!r}; known: {', '.join(SIZES)}")
    targets = targets_from(args.repo, args.python)
    started = dt.datetime.now(dt.UTC)
    began = time.monotonic()
    print(f"# served /pulse report, serial, {started:%Y-%m-%d %H:%M} UTC", flush=True)
    for t in targets:
        print(f"# {t.label}: {t.repo} ({' '.join(t.pulse)})", flush=True)

    def log(line: str) -> None:
        print(line, flush=True)

    rows = run(
        targets,
        database=args.database,
        sizes=sizes,
        reports=args.reports,
        warmup=args.warmup,
        wait=args.wait,
        seed=args.seed,
        bare=not args.no_bare,
        budget=args.budget,
        log=log,
    )
    for line in verdicts(rows):
        print(line)
    print(f"# took {time.monotonic() - began:.0f} s")
    if args.json:
        print(json.dumps(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
