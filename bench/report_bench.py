"""How fast are a served team report and the digest build on a seeded org? (bench/seed.py)

    python -m bench.report_bench --database sqlite:////tmp/onepipe-data/bench.db

Times `bot.reporting.team_report` (what `/pulse report team-NNN` runs, rendering included)
for random teams as an HR admin, p50/p95 after one warm-up call, each in its own read
transaction like a request; then HR's `/pulse report` of the whole org (a department report
of every team) and `figures.digest.build_digest` with its charts (median of ``--runs``
each, wall clock and this process's CPU time: on a shared machine compare CPU); then the
digest as the post job gets it (`figures.digest_ready.weekly_digest`) once the worker has
kept it (``digest_kept``: this writes the kept weeks and the kept digest into the database,
as `pulse figures` does; bench a copy of a shared seeded database).
Targets: team report p95 <= 50 ms, digest <= 0.5 s at 10,000 people.

To time an older checkout with this bench, run the file with that checkout first on the
path: ``PYTHONPATH=/tmp/old .venv/bin/python bench/report_bench.py --database …``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import time
from collections.abc import Callable

from sqlmodel import Session, col, func, select

from bench.org_model import WORKSPACE, config_for
from bot.reporting import team_report
from figures import digest_ready, store
from figures.digest import build_digest
from settings.runtime import normalise_database_url
from storage.db import make_engine, read_scope, session_scope
from storage.figure_store import kept_report
from storage.models import Pulse, Team, Workspace

ADMIN = "UBENCHHR"


def _percentile(values: list[float], share: float) -> float:
    ranked = sorted(values)
    return ranked[min(len(ranked) - 1, round(share * (len(ranked) - 1)))]


def run(url: str, *, teams: int, runs: int, seed: int) -> dict[str, float]:
    engine = make_engine(url)
    with read_scope(engine) as s:
        ws = s.exec(select(Workspace.id).where(Workspace.slack_team_id == WORKSPACE)).one()
        keys = s.exec(
            select(Team.key).where(Team.workspace_id == ws, col(Team.key).startswith("team-"))
        ).all()
        last = s.exec(select(func.max(Pulse.period_start))).one()
    assert ws is not None and last is not None, "seed the database first: pulse seed"
    seeded = config_for(len(keys))
    hr = seeded.hr.model_copy(update={"admins": [ADMIN], "digest_channel": "CBENCH"})
    config = seeded.model_copy(update={"hr": hr})
    now = dt.datetime.combine(last + dt.timedelta(days=4), dt.time(9), dt.UTC)
    chosen = random.Random(seed).sample(sorted(keys), min(teams, len(keys)))

    def report(key: str) -> float:
        started = time.perf_counter()
        with read_scope(engine) as s:
            team_report(
                s, config=config, slack_team_id=WORKSPACE, user_id=ADMIN, team_key=key, now=now
            )
        return (time.perf_counter() - started) * 1000

    def timed(call: Callable[[Session], object]) -> tuple[float, float]:
        """(wall, CPU) seconds of one call in its own read transaction."""
        wall, cpu = time.perf_counter(), time.process_time()
        with read_scope(engine) as s:
            call(s)
        return time.perf_counter() - wall, time.process_time() - cpu

    def org(s: Session) -> object:
        return team_report(
            s, config=config, slack_team_id=WORKSPACE, user_id=ADMIN, team_key=None, now=now
        )

    def digest(s: Session) -> object:
        return build_digest(s, config=config, workspace_id=ws, now=now)

    def kept(s: Session) -> object:
        return digest_ready.weekly_digest(s, config=config, workspace_id=ws, now=now)

    report(chosen[0])  # warm-up
    report_ms = [report(key) for key in chosen]
    out = {
        "report_p50_ms": statistics.median(report_ms),
        "report_p95_ms": _percentile(report_ms, 0.95),
    }
    for name, call in (("org_report", org), ("digest", digest)):
        timed(call)  # warm-up (fonts, imports)
        wall, cpu = zip(*(timed(call) for _ in range(runs)), strict=True)
        out[f"{name}_median_s"] = statistics.median(wall)
        out[f"{name}_cpu_median_s"] = statistics.median(cpu)
    with session_scope(engine) as s:  # what the worker does after a close (jobs.kept_figures)
        store.refresh(s, config=config, workspace_id=ws)
    with session_scope(engine) as s:
        digest_ready.warm(s, config=config, workspace_id=ws, now=now)
    with read_scope(engine) as s:
        named = digest_ready.token(
            s, config=config, workspace_id=ws, now=now, driver_labels=None, secret=None
        )
        body = None if named is None else kept_report(s, workspace_id=ws, token=named)
    assert body is not None, "the digest's weeks are not kept fresh: nothing to read kept"
    timed(kept)  # warm-up
    wall, cpu = zip(*(timed(kept) for _ in range(runs)), strict=True)
    out["digest_kept_median_s"] = statistics.median(wall)
    out["digest_kept_cpu_median_s"] = statistics.median(cpu)
    engine.dispose()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.report_bench", description=__doc__)
    parser.add_argument("--database", required=True, help="URL of a database seeded by seed.py")
    parser.add_argument("--teams", type=int, default=30, help="random teams to time")
    parser.add_argument("--runs", type=int, default=3, help="digest runs (median)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    got = run(
        normalise_database_url(args.database), teams=args.teams, runs=args.runs, seed=args.seed
    )
    for name, value in got.items():
        print(f"{name}: {value:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
