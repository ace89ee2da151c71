"""How fast are a served team report and the digest build on a seeded org? (bench/seed.py)

    python -m bench.report_bench --database sqlite:////tmp/onepipe-data/bench.db

Times `bot.reporting.team_report` (what `/pulse report team-NNN` runs, rendering included)
for random teams as an HR admin, p50/p95 after one warm-up call, each in its own read
transaction like a request; then `figures.digest.build_digest` with its charts (median of
``--runs``). Targets: team report p95 <= 50 ms, digest <= 0.5 s at 10,000 people.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import time

from sqlmodel import col, func, select

from bench.org_model import WORKSPACE, config_for
from bot.reporting import team_report
from figures.digest import build_digest
from settings.runtime import normalise_database_url
from storage.db import make_engine, read_scope
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
    config = seeded.model_copy(update={"hr": seeded.hr.model_copy(update={"admins": [ADMIN]})})
    now = dt.datetime.combine(last + dt.timedelta(days=4), dt.time(9), dt.UTC)
    chosen = random.Random(seed).sample(sorted(keys), min(teams, len(keys)))

    def report(key: str) -> float:
        started = time.perf_counter()
        with read_scope(engine) as s:
            team_report(
                s, config=config, slack_team_id=WORKSPACE, user_id=ADMIN, team_key=key, now=now
            )
        return (time.perf_counter() - started) * 1000

    def digest() -> float:
        started = time.perf_counter()
        with read_scope(engine) as s:
            build_digest(s, config=config, workspace_id=ws, now=now)
        return time.perf_counter() - started

    report(chosen[0])  # warm-up
    report_ms = [report(key) for key in chosen]
    digest()  # warm-up (fonts, imports)
    digest_s = [digest() for _ in range(runs)]
    engine.dispose()
    return {
        "report_p50_ms": statistics.median(report_ms),
        "report_p95_ms": _percentile(report_ms, 0.95),
        "digest_median_s": statistics.median(digest_s),
    }


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
