"""How long does the weekly HR digest take on a seeded org? (see bench/seed.py)

    python -m bench.digest_bench --database sqlite:///pulse-bench.db

Times what the worker does before posting: `figures.digest.build_digest` (the org view, teams
at risk, wins, EX↔CX, commitments, and both chart PNGs) plus rendering and validating every
Block Kit message, in a read-only transaction like the job's. One warm-up run first (imports,
font cache), then the median of ``--runs``. Target: under 3 s for 10,000 employees.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import statistics
import sys
import time

from sqlmodel import col, func, select

from bench.org_model import WORKSPACE, config_for
from bot.blocks.digest import digest_messages
from bot.blocks.validate import check_message
from figures.digest import build_digest
from insights.questions import load_bank
from settings.runtime import normalise_database_url
from storage.db import make_engine, read_scope
from storage.models import Pulse, Team, Workspace


def run(url: str, *, runs: int) -> dict[str, float]:
    engine = make_engine(url)
    with read_scope(engine) as s:
        ws = s.exec(select(Workspace.id).where(Workspace.slack_team_id == WORKSPACE)).one()
        teams = s.exec(
            select(func.count()).where(Team.workspace_id == ws, col(Team.key).startswith("team-"))
        ).one()
        last = s.exec(select(func.max(Pulse.period_start))).one()
    assert ws is not None and last is not None, "seed the database first: pulse seed"
    config = config_for(teams)
    labels = {key: d.label for key, d in load_bank().drivers.items()}
    now = dt.datetime.combine(last + dt.timedelta(days=7), dt.time(9), dt.UTC)  # next Monday
    shape: dict[str, float] = {}

    def once() -> float:
        started = time.perf_counter()
        with read_scope(engine) as s:
            digest = build_digest(s, config=config, workspace_id=ws, now=now, driver_labels=labels)
        messages = digest_messages(digest=digest)
        for message in messages:
            check_message(message)
        elapsed = time.perf_counter() - started
        shape.update(
            messages=len(messages),
            blocks=sum(len(m["blocks"]) for m in messages),
            chart_kb=sum(len(c.png) for c in digest.charts) / 1024,
            at_risk=len(digest.at_risk),
        )
        return elapsed

    warm = once()
    times = [once() for _ in range(runs)]
    engine.dispose()
    return {
        "warm_up_s": warm,
        "median_s": statistics.median(times),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        **shape,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.digest_bench", description=__doc__)
    parser.add_argument("--database", required=True, help="URL of a database seeded by seed.py")
    parser.add_argument("--runs", type=int, default=3, help="timed runs (median)")
    args = parser.parse_args(argv)
    got = run(normalise_database_url(args.database), runs=args.runs)
    print(f"$ python -m bench.digest_bench {' '.join(argv or sys.argv[1:])}")
    rows = [
        ("first run (warm-up)", f"{got['warm_up_s']:.2f} s", ""),
        (f"digest built + rendered (median of {args.runs})", f"{got['median_s']:.2f} s", "< 3 s"),
        ("messages / blocks", f"{got['messages']:.0f} / {got['blocks']:.0f}", "≤ 50 blocks each"),
        ("teams at risk", f"{got['at_risk']:.0f}", ""),
        ("chart PNGs, total", f"{got['chart_kb']:.0f} KB", "≤ 200 KB each"),
        ("peak RSS", f"{got['peak_rss_mb']:.0f} MB", ""),
    ]
    for name, value, target in rows:
        print(f"{name:<44}{value:>12}  {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
