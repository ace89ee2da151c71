"""How fast are a team report and the org digest on a seeded org? (see bench/seed.py)

    python -m bench.insights_bench --database sqlite:///pulse-bench.db
    python -m bench.insights_bench --database postgresql://postgres@127.0.0.1/pulse_bench

Times a team's figures and links from the one pipeline (figures.pipeline, a year of weeks loaded
for the link; p50/p95; one warm-up call first, as a running web process has its imports and
connection pool ready) and the org's view (figures.org.org_view), the digest's
computation (median of the runs), each in its own transaction like a request, and reports
the process's peak RSS. Targets: team p95 < 200 ms, org < 3 s, RSS < 500 MB.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import resource
import statistics
import sys
import time

from sqlmodel import col, func, select

from bench.org_model import WORKSPACE, config_for
from figures.digest import digest_window
from figures.links import LINK_WEEKS, team_links
from figures.org import org_view
from figures.pipeline import Window, figures
from figures.teams import team_figures
from settings.runtime import normalise_database_url
from storage.db import make_engine, session_scope
from storage.models import Pulse, Team, Workspace


def _percentile(values: list[float], share: float) -> float:
    ranked = sorted(values)
    return ranked[min(len(ranked) - 1, round(share * (len(ranked) - 1)))]


def run(url: str, *, teams: int, runs: int, seed: int) -> dict[str, float]:
    engine = make_engine(url)
    with session_scope(engine) as s:
        ws = s.exec(select(Workspace.id).where(Workspace.slack_team_id == WORKSPACE)).one()
        keys = s.exec(
            select(Team.key).where(Team.workspace_id == ws, col(Team.key).startswith("team-"))
        ).all()
        last = s.exec(select(func.max(Pulse.period_start))).one()
    assert ws is not None and last is not None, "seed the database first: pulse seed"
    config = config_for(len(keys))
    now = dt.datetime.combine(last + dt.timedelta(days=4), dt.time(9), dt.UTC)
    chosen = random.Random(seed).sample(sorted(keys), min(teams, len(keys)))

    def team(key: str) -> float:
        started = time.perf_counter()
        with session_scope(engine) as s:
            window = Window.ending(now.date(), weeks=12, history=LINK_WEEKS)
            fig = figures(s, config=config, workspace_id=ws, window=window, closed_by=now)
            team_figures(fig, [key])
            team_links(fig, key, ["csat"])
        return (time.perf_counter() - started) * 1000

    def org() -> float:
        started = time.perf_counter()
        with session_scope(engine) as s:
            window = digest_window(now, config, 12)
            fig = figures(s, config=config, workspace_id=ws, window=window, closed_by=now)
            org_view(fig, config=config)
        return time.perf_counter() - started

    team(chosen[0])  # warm-up
    team_ms = [team(key) for key in chosen]
    org_s = [org() for _ in range(runs)]
    engine.dispose()
    return {
        "team_p50_ms": statistics.median(team_ms),
        "team_p95_ms": _percentile(team_ms, 0.95),
        "org_median_s": statistics.median(org_s),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.insights_bench", description=__doc__)
    parser.add_argument("--database", required=True, help="URL of a database seeded by seed.py")
    parser.add_argument("--teams", type=int, default=50, help="random teams to time")
    parser.add_argument("--runs", type=int, default=3, help="org digest runs (median)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    url = normalise_database_url(args.database)
    got = run(url, teams=args.teams, runs=args.runs, seed=args.seed)
    print(f"$ python -m bench.insights_bench {' '.join(argv or sys.argv[1:])}")
    print(f"{'measure':<32}{'result':>10}  target")
    rows = [
        (f"team report p50 ({args.teams} teams)", f"{got['team_p50_ms']:.0f} ms", ""),
        (f"team report p95 ({args.teams} teams)", f"{got['team_p95_ms']:.0f} ms", "< 200 ms"),
        (f"org digest (median of {args.runs})", f"{got['org_median_s']:.2f} s", "< 3 s"),
        ("peak RSS", f"{got['peak_rss_mb']:.0f} MB", "< 500 MB"),
    ]
    for name, value, target in rows:
        print(f"{name:<32}{value:>10}  {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
