"""`/pulse report TEAM by layer` served over HTTP at 10,000 people, against the plain report.

    .venv/bin/python -m bench.segment_served                      # 10k people, 40 teams
    .venv/bin/python -m bench.segment_served --size 1k --reports 20

Builds once (kept under /tmp/bench-data, as bench.segment_cut does): `pulse seed`'s org
with random layers, personas and start months, every pulse's segment sums sealed. Writes its
config.toml (bench.targets.config_toml and the three `[[segments]]`), then starts this
checkout's `pulse serve` on it after `pulse figures` (what the worker keeps ready beside a
running install), and sends HR's `/pulse report team-NNN` and `/pulse report team-NNN by
layer` for the same random teams, one at a time, alternating which goes first, each signed
as Slack signs it and timed until the report is posted to the command's response URL
(bench.served.Driver). Issue 16's target: the cut within 2x of the plain team report.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import secrets
import statistics
import tempfile
from pathlib import Path
from typing import Any

from bench.load import percentile
from bench.segment_cut import SIZES, prepare
from bench.served import Driver, Outcome, operator_env, sandbox, serve_target
from bench.targets import HR_ADMIN, Seeded, config_toml, target
from cli.org_model import SECRET

SEGMENTS = """
[[segments]]
key = "layer"
name = "Layer"
values = ["frontline", "support", "back-office"]

[[segments]]
key = "persona"
name = "Persona"
values = ["advisor", "specialist", "analyst"]

[[segments]]
key = "tenure"
name = "Tenure"
bands = [12, 36]
"""


def summary(outcomes: list[Outcome]) -> dict[str, Any]:
    ok = [o.ms for o in outcomes if o.ms is not None and o.error is None]
    errors = [o.error for o in outcomes if o.error is not None]
    return {
        "reports": len(outcomes),
        "p50_ms": round(percentile(ok, 50), 1),
        "p95_ms": round(percentile(ok, 95), 1),
        "max_ms": round(max(ok, default=float("nan")), 1),
        "errors": len(errors),
        **({"first_error": errors[0]} if errors else {}),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=SIZES, default="10k")
    parser.add_argument("--weeks", type=int, default=8)
    parser.add_argument("--reports", type=int, default=40, help="timed teams (two reports each)")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--wait", type=float, default=10.0)
    args = parser.parse_args()
    data = Path("/tmp/bench-data")
    data.mkdir(exist_ok=True)
    path = data / f"segments-{args.size}-{args.weeks}w.db"
    prepare(path, args.size, args.weeks)
    teams = SIZES[args.size][1]
    config = data / f"segments-{args.size}.toml"
    config.write_text(config_toml(args.size) + SEGMENTS)
    org = Seeded(f"sqlite:///{path}", config, args.size, teams)
    rng = random.Random(16)
    picked = [rng.randrange(teams) for _ in range(args.warmup + args.reports)]
    signing = secrets.token_hex(16)
    timed: dict[str, list[Outcome]] = {"team": [], "team by layer": []}
    with tempfile.TemporaryDirectory() as tmp, sandbox() as slack:
        env = operator_env(slack, org, signing, PULSE_SECRET=SECRET.decode())
        served = serve_target(target(), env, Path(tmp) / "serve.log")
        driver = Driver(served.url + "/slack/events", signing)
        try:
            for i, t in enumerate(picked):
                asks = [("team", f"team-{t:03d}"), ("team by layer", f"team-{t:03d} by layer")]
                for name, text in asks if i % 2 else asks[::-1]:
                    got = driver.report(HR_ADMIN, text, f"Team {t}", wait=args.wait)
                    if i >= args.warmup:
                        timed[name].append(got)
        finally:
            driver.close()
            served.stop()
    rows = {name: summary(outcomes) for name, outcomes in timed.items()}
    pairs = [
        b.ms / a.ms
        for a, b in zip(timed["team"], timed["team by layer"], strict=True)
        if a.ms and b.ms and a.error is None and b.error is None
    ]
    plain, cut = rows["team"], rows["team by layer"]
    result = {
        "when": f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
        "size": args.size,
        **rows,
        "ratio_p50": round(cut["p50_ms"] / plain["p50_ms"], 2),
        "ratio_p95": round(cut["p95_ms"] / plain["p95_ms"], 2),
        "paired_ratio_median": round(statistics.median(pairs), 2) if pairs else None,
    }
    print(json.dumps(result, indent=2))
    met = result["ratio_p95"] <= 2 and cut["errors"] == 0
    print(f"target (cut within 2x of the plain report, p95): {'met' if met else 'MISSED'}")


if __name__ == "__main__":
    main()
