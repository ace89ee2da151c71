"""Fan-out benchmark: N pulse DMs through the sandbox at a workspace ceiling, by real workers.

    .venv/bin/python -m bench.fanout                   # the four scenarios, 10,000 DMs, SQLite
    .venv/bin/python -m bench.fanout --n 1000 --scenario kill-500 --database postgresql+psycopg://…

The sandbox runs in this process; `pulse worker --send-only` processes send. Printed
per scenario: the ceiling, the achieved rate (DMs per second from the first post the
sandbox saw to the last one it accepted) and its ratio to the ceiling, duplicates, misses,
429s, and the wall time from starting the workers to their exit. The seeding and counting
helpers are shared with the worker tests.

The sandbox keeps every call and message it saw in this process, so Python's cyclic
garbage collector stalls it more and more as a fan-out proceeds (gen-2 passes of 0.1-0.7 s
at 10,000 DMs). Slack does not stall like that; the senders' window guard keeps such
stalls from causing 429s, but they cost throughput. So the bench turns this process's GC
off while workers run; `--keep-gc` shows the difference.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import gc
import math
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (registers tables)
from insights.questions import load_bank
from sandbox.server import SandboxServer
from sandbox.workspace import Workspace
from storage import outbox
from storage.db import make_engine, session_scope
from storage.org import Member, ensure_workspace, set_team_members, upsert_employees, upsert_team
from storage.pulses import open_pulse
from storage.questions import sync_questions

ZONES = ("Europe/Paris", "America/New_York", "Asia/Tokyo", "Europe/London", "Australia/Sydney")
QUESTIONS = ("wellbeing.energy", "tools.what_i_need", "recognition.recent", "enps.recommend")
SCENARIOS = {"clean-50": ("clean", 50.0), "clean-500": ("clean", 500.0)}
SCENARIOS |= {"faults-500": ("faults", 500.0), "kill-500": ("kill", 500.0)}
REPO = Path(__file__).resolve().parent.parent


def seed_sandbox(ws: Workspace, n: int) -> list[str]:
    """Add `n` people to the sandbox workspace; returns their user ids."""
    users = [f"U{i:06d}" for i in range(n)]
    for i, user in enumerate(users):
        ws.add_user(user, f"person{i}", tz=ZONES[i % len(ZONES)])
    return users


def seed_database(engine: Engine, users: list[str]) -> int:
    """A synced team of `users` and an open pulse due now for all; returns the pulse id."""
    now = dt.datetime.now(dt.UTC)
    with session_scope(engine) as s:
        ws = ensure_workspace(s, slack_team_id="T0SANDBOX", name="Sandbox Co")
        assert ws.id is not None
        team = upsert_team(
            s, workspace_id=ws.id, key="all", name="Everyone", usergroup=None, channel=None,
            parent_id=None,
        )  # fmt: skip
        team.synced_at = now
        members = [Member(u, u, ZONES[i % len(ZONES)]) for i, u in enumerate(users)]
        ids = upsert_employees(s, workspace_id=ws.id, members=members)
        set_team_members(s, team_id=team.id or 0, employee_ids=ids.values())
        rows = sync_questions(s, load_bank().active())
        pulse = open_pulse(
            s,
            workspace_id=ws.id,
            team_id=team.id or 0,
            question_ids=[rows[k].id or 0 for k in QUESTIONS],
            opened_at=now,
            closes_at=now + dt.timedelta(hours=72),
            deliveries=[(ids[u], now) for u in users],
        )
    return pulse.id or 0


@contextlib.contextmanager
def database(where: str, tmp: Path) -> Iterator[str]:
    """A fresh schema: a SQLite file under `tmp` ("sqlite"), or a throwaway PostgreSQL schema."""
    if where == "sqlite":
        url = f"sqlite:///{tmp / f'fanout-{secrets.token_hex(3)}.db'}"
    else:
        schema = f"fanout_{secrets.token_hex(4)}"
        admin = create_engine(where)
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        url = f"{where}{'&' if '?' in where else '?'}options=-csearch_path%3D{schema}"
    engine = make_engine(url)
    SQLModel.metadata.create_all(engine)
    engine.dispose()
    try:
        yield url
    finally:
        if where != "sqlite":
            with admin.begin() as conn:
                conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
            admin.dispose()


def worker_env(sandbox: SandboxServer, url: str, tmp: Path, *, rate: float, threads: int) -> dict:
    """Environment for `pulse worker --send-only` against this sandbox and database."""
    config = tmp / f"delivery-{secrets.token_hex(3)}.toml"
    config.write_text(f"[delivery]\nrate_per_second = {rate}\nconcurrency = {threads}\n")
    return {
        **os.environ,
        "DATABASE_URL": url,
        "SLACK_API_URL": sandbox.url,
        "SLACK_BOT_TOKEN": sandbox.workspace.bot_token,
        "PULSE_CONFIG": str(config),
        "LOG_LEVEL": "CRITICAL",  # slack_sdk logs each injected timeout as an error
    }


def start_worker(env: dict, name: str, *, http_timeout: int = 2) -> subprocess.Popen[bytes]:
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
    command += ["--http-timeout", str(http_timeout)]
    return subprocess.Popen(command, env=env, cwd=REPO, stdout=subprocess.DEVNULL)


def dm_counts(ws: Workspace, pulse_id: int) -> Counter[str]:
    """How many DMs of this pulse each person holds (keyed by DM channel id)."""
    return Counter(
        m["channel"]
        for m in ws.messages()
        if ((m.get("metadata") or {}).get("event_payload") or {}).get("pulse_id") == pulse_id
    )


def tally(ws: Workspace, users: list[str], pulse_id: int) -> tuple[int, int]:
    """(duplicates, misses): DMs beyond one per person, and people without one."""
    counts = dm_counts(ws, pulse_id)
    per_user = [counts.get(ws.dm_id(u), 0) for u in users]
    return sum(max(0, c - 1) for c in per_user), sum(1 for c in per_user if c == 0)


def sent_count(engine: Engine, pulse_id: int) -> int:
    with session_scope(engine) as s:
        return outbox.status_counts(s, pulse_id=pulse_id).get(outbox.SENT, 0)


def run(
    scenario: str,
    *,
    n: int,
    ceiling: float,
    where: str,
    workers: int = 1,
    threads: int = 48,
    keep_gc: bool = False,
) -> dict:
    """One fan-out: seed, send with real worker processes, and measure what Slack saw."""
    kind = SCENARIOS[scenario][0]
    with (
        tempfile.TemporaryDirectory() as tmp,
        SandboxServer(Workspace()) as sandbox,
        database(where, Path(tmp)) as url,
    ):
        users = seed_sandbox(sandbox.workspace, n)
        engine = make_engine(url)
        pulse_id = seed_database(engine, users)
        sandbox.set_rate_limit("chat.postMessage", ceiling)
        if kind == "faults":
            for fault in ("http_500", "timeout_after"):
                sandbox.inject_fault(
                    "chat.postMessage", fault, times=None, probability=0.05, seed=7, delay=2.0
                )
        share = math.floor(ceiling / workers)  # whole calls/s: shares must not sum past it
        env = worker_env(sandbox, url, Path(tmp), rate=share, threads=threads)
        if not keep_gc:
            gc.disable()
        started = time.monotonic()
        procs = [start_worker(env, f"bench-{i}", http_timeout=1) for i in range(workers)]
        if kind == "kill":
            while sent_count(engine, pulse_id) < n // 2:
                time.sleep(0.05)
            procs[0].send_signal(signal.SIGKILL)
            procs[0].wait()
            procs[0] = start_worker(env, "bench-0", http_timeout=1)
        codes = [p.wait() for p in procs]
        elapsed = time.monotonic() - started
        engine.dispose()
        gc.enable()
        calls = sandbox.workspace.calls("chat.postMessage")
        duplicates, misses = tally(sandbox.workspace, users, pulse_id)
    accepted = [c["time"] for c in calls if c["status"] == 200 and c["error"] is None]
    span = max(accepted) - min(c["time"] for c in calls)
    rate = n / span
    return {
        "scenario": scenario,
        "n": n,
        "db": "sqlite" if where == "sqlite" else "postgresql",
        "ceiling": ceiling,
        "rate": round(rate, 1),
        "ratio": round(rate / ceiling, 3),
        "duplicates": duplicates,
        "misses": misses,
        "429s": sum(1 for c in calls if c["status"] == 429),
        "faults": sum(1 for c in calls if c["fault"]),
        "elapsed_s": round(elapsed, 1),
        "wall_ratio": round(n / elapsed / ceiling, 3),
        "exit_codes": codes,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fanout", description=__doc__)
    parser.add_argument("--n", type=int, default=10_000, help="people in the pulse")
    parser.add_argument("--scenario", choices=[*SCENARIOS, "all"], default="all")
    parser.add_argument("--rate", type=float, help="ceiling in DMs/s (default: the scenario's)")
    parser.add_argument("--database", default="sqlite", help='"sqlite" or a PostgreSQL URL')
    parser.add_argument("--workers", type=int, default=1, help="worker processes")
    parser.add_argument(
        "--threads",
        type=int,
        default=48,
        help="sender threads per worker (an injected "
        "timeout holds one for the 1 s HTTP timeout, so the fault run needs many)",
    )
    parser.add_argument(
        "--keep-gc", action="store_true", help="leave this process's GC on (see above)"
    )
    args = parser.parse_args(argv)
    names = list(SCENARIOS) if args.scenario == "all" else [args.scenario]
    for name in names:
        ceiling = args.rate or SCENARIOS[name][1]
        figures = run(
            name,
            n=args.n,
            ceiling=ceiling,
            where=args.database,
            workers=args.workers,
            threads=args.threads,
            keep_gc=args.keep_gc,
        )
        print("  ".join(f"{key}={value}" for key, value in figures.items()), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
