"""A report cut by a segment against the plain team report, in-process, at 10,000 people.

    .venv/bin/python -m bench.segment_cut                 # SQLite, 10k people, 8 weeks
    .venv/bin/python -m bench.segment_cut --size 1k --reports 20

Seeds the org with `pulse seed`'s code (kept under /tmp/bench-data/segments-<size>.db and
reused), gives every person a layer, a persona and a start month at random, seals every
pulse's segment sums (figures.segments.seal_stale), then times, one after the other on the
same random teams, what a manager's `/pulse report team-NNN` runs (bot.reporting.team_report,
figures kept ready as the worker keeps them) and `/pulse report team-NNN by layer`
(bot.segment_reporting.segment_reply), and HR's `org` against `org by layer`. Issue 16's
target: a segment cut within 2x of the plain team report. Before timing, the worker's step
(figures.segment_ready.warm: every node's cut by every attribute) runs and its time is
printed; "team by layer, computed" times the same cut computed from the sums (what a
report does for a week the worker has not kept yet).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from sqlmodel import select

from bot.reporting import team_report
from bot.segment_reporting import segment_reply
from cli.org_model import SECRET, WORKSPACE, config_for
from cli.seed import seed
from figures import segment_ready
from figures.segment_figures import segment_cut
from figures.segments import seal_stale
from insights.scores import ORG
from settings.config import AppConfig, SegmentConfig
from storage.db import make_engine, session_scope
from storage.migrate import upgrade
from storage.models import Employee, Workspace
from storage.people import set_values

SIZES = {"1k": (1_000, 20), "10k": (10_000, 200)}
HR = "U0BENCHHR"


def segmented(teams: int) -> AppConfig:
    config = config_for(teams)
    segments = [
        SegmentConfig(key="layer", name="Layer", values=["frontline", "support", "back-office"]),
        SegmentConfig(key="persona", name="Persona", values=["advisor", "specialist", "analyst"]),
        SegmentConfig(key="tenure", name="Tenure", bands=[12, 36]),
    ]
    hr = config.hr.model_copy(update={"admins": [HR]})
    return config.model_copy(update={"segments": segments, "hr": hr})


def prepare(path: Path, size: str, weeks: int) -> AppConfig:
    employees, teams = SIZES[size]
    config = segmented(teams)
    engine = make_engine(f"sqlite:///{path}")
    if not path.exists() or path.stat().st_size == 0:
        upgrade(engine)
        seed(engine, employees=employees, teams=teams, weeks=weeks)
        rng = random.Random(16)
        with session_scope(engine) as s:
            ws = s.exec(select(Workspace)).one()
            users = s.exec(select(Employee.slack_user_id)).all()
            values: dict[str, dict[str, str | None]] = {
                u: {
                    "layer": rng.choices(["frontline", "support", "back-office"], [5, 3, 2])[0],
                    "persona": rng.choice(["advisor", "specialist", "analyst"]),
                    "tenure": f"{rng.randint(2015, 2026)}-{rng.randint(1, 12):02d}",
                }
                for u in users
            }
            set_values(s, workspace_id=ws.id or 0, values=values)
    upgrade(engine)  # a kept file of an older schema, or sealed by older rules: brought up
    started = time.monotonic()
    with session_scope(engine) as s:
        sealed = seal_stale(s, config=config, secret=SECRET)
    print(f"sealed segment sums of {len(sealed)} pulses in {time.monotonic() - started:.1f} s")
    started = time.monotonic()
    now = dt.datetime.now(dt.UTC)
    with session_scope(engine) as s:  # what the worker does after a close (jobs.kept_figures)
        ws = s.exec(select(Workspace)).one().id or 0
        made = segment_ready.warm(s, config=config, workspace_id=ws, now=now, secret=SECRET)
    print(f"kept {made} segment cuts ready in {time.monotonic() - started:.1f} s")
    engine.dispose()
    return config


def timed(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=SIZES, default="10k")
    parser.add_argument("--weeks", type=int, default=8)
    parser.add_argument("--reports", type=int, default=20)
    args = parser.parse_args()
    data = Path("/tmp/bench-data")
    data.mkdir(exist_ok=True)
    path = data / f"segments-{args.size}-{args.weeks}w.db"
    config = prepare(path, args.size, args.weeks)
    engine = make_engine(f"sqlite:///{path}")
    now = dt.datetime.now(dt.UTC)
    rng = random.Random(7)
    teams = [f"team-{rng.randrange(SIZES[args.size][1]):03d}" for _ in range(args.reports)]
    results: dict[str, list[float]] = {
        "team": [],
        "team by layer": [],
        "team by layer, computed": [],
        "org": [],
        "org by layer": [],
    }
    common: dict[str, Any] = {
        "config": config,
        "slack_team_id": WORKSPACE,
        "user_id": HR,
        "now": now,
    }
    with session_scope(engine) as s:
        for team in [teams[0], *teams]:  # the first pair warms caches, and is not counted
            plain = timed(partial(team_report, s, team_key=team, **common))
            cut = timed(
                partial(segment_reply, s, team_key=team, segment="layer", secret=SECRET, **common)
            )
            results["team"].append(plain)
            results["team by layer"].append(cut)
            ws = s.exec(select(Workspace)).one().id or 0
            computed = partial(segment_cut, s, config=config, workspace_id=ws, node=team)
            results["team by layer, computed"].append(
                timed(partial(computed, attribute="layer", now=now, secret=SECRET))
            )
        for _ in range(max(3, args.reports // 5)):
            results["org"].append(timed(partial(team_report, s, team_key=ORG, **common)))
            results["org by layer"].append(
                timed(
                    partial(
                        segment_reply, s, team_key=ORG, segment="layer", secret=SECRET, **common
                    )
                )
            )
    engine.dispose()
    summary = {
        name: {
            "median_ms": round(statistics.median(times[1:] or times), 1),
            "max_ms": round(max(times[1:] or times), 1),
            "n": len(times[1:] or times),
        }
        for name, times in results.items()
    }
    summary["ratio_team"] = round(
        summary["team by layer"]["median_ms"] / summary["team"]["median_ms"], 2
    )
    summary["ratio_org"] = round(
        summary["org by layer"]["median_ms"] / summary["org"]["median_ms"], 2
    )
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
