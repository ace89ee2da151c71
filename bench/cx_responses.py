"""Import a large per-response CX export and print its time and peak memory:
`python -m bench.cx_responses [RESPONSES] [DATABASE_URL] [--no-ids]` (default 1,000,000, a
temporary SQLite file; ``--no-ids`` configures no id column, so responses are known by row
hashes, the costlier case).

Writes a ticket-satisfaction export (BOM, quoted subjects, UTC and offset timestamps, 40 groups
of which 36 map to 12 teams, ~10% not rated, ~2% tickets repeated) over two years, then runs
`pulse cx import --responses` in a child process (so its peak RSS is the import's alone, via
getrusage) and prints rows per second. A second run of the same file counts nothing new.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TEAMS = 12
GROUPS = 40  # groups 36–39 are unmapped (skipped, reported)


def config_toml(ids: bool = True) -> str:
    teams = "".join(
        f'[[teams]]\nkey = "team-{t:02d}"\nname = "Team {t}"\nusergroup = "S0T{t:02d}"\n'
        'cx_metrics = ["csat"]\n\n'
        for t in range(TEAMS)
    )
    mapping = ", ".join(f'"Group {g}" = "team-{g % TEAMS:02d}"' for g in range(36))
    return teams + (
        '[[cx.sources]]\nname = "helpdesk"\npreset = "ticket_satisfaction"\n'
        'date_column = "Rated at"\ntimezone = "Europe/Paris"\nscore_column = "Satisfaction"\n'
        + ('id_column = "Ticket ID"\n' if ids else "")
        + 'team_column = "Group"\nunmapped = "skip"\n'
        f"teams = {{ {mapping} }}\n"
    )


def write_export(path: Path, responses: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    start = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    span = 2 * 365 * 86400
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        out.write("Ticket ID,Subject,Group,Assignee,Satisfaction,Rated at\r\n")
        for i in range(responses):
            ticket = i if rng.random() > 0.02 else max(0, i - rng.randrange(1, 500))
            when = start + dt.timedelta(seconds=rng.randrange(span))
            stamp = (
                when.strftime("%Y-%m-%dT%H:%M:%SZ")
                if i % 3
                else when.astimezone(dt.timezone(dt.timedelta(hours=-5))).isoformat()
            )
            rating = rng.choices(("good", "bad", "offered"), (70, 20, 10))[0]
            out.write(
                f'{100000 + ticket},"Order {ticket}, follow-up",Group {rng.randrange(GROUPS)},'
                f"Agent {ticket % 97},{rating},{stamp}\r\n"
            )


def child(path: str, url: str, config: str) -> None:
    """The import itself, measured from inside: wall time and this process's peak RSS."""
    from cli.main import main as pulse

    os.environ.update(DATABASE_URL=url, PULSE_CONFIG=config)
    began = time.perf_counter()
    code = pulse(["cx", "import", "--responses", path, "--source", "helpdesk", "--no-progress"])
    took = time.perf_counter() - began
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"RESULT exit={code} seconds={took:.1f} peak_rss_mb={peak_mb:.0f}", flush=True)


def main(responses: int = 1_000_000, url: str | None = None, ids: bool = True) -> None:
    from storage.db import make_engine, session_scope
    from storage.migrate import upgrade
    from storage.org import ensure_workspace, upsert_team

    work = Path(tempfile.mkdtemp(prefix="cx-bench-"))
    url = url or f"sqlite:///{work / 'pulse.db'}"
    config = work / "config.toml"
    config.write_text(config_toml(ids), encoding="utf-8")
    export = work / "helpdesk.csv"
    began = time.perf_counter()
    write_export(export, responses)
    size = export.stat().st_size / 1e6
    print(f"wrote {responses:,} responses ({size:.0f} MB) in {time.perf_counter() - began:.0f} s")
    engine = make_engine(url)
    upgrade(engine)
    with session_scope(engine) as s:
        ws = ensure_workspace(s, slack_team_id="T0BENCH")
        for t in range(TEAMS):
            key = f"team-{t:02d}"
            upsert_team(
                s,
                workspace_id=ws.id or 0,
                key=key,
                name=key,
                usergroup=None,
                channel=None,
                parent_id=None,
            )
    engine.dispose()
    for run in ("first import", "same file again"):
        command = [sys.executable, "-m", "bench.cx_responses", "--child", str(export), url]
        done = subprocess.run([*command, str(config)], capture_output=True, text=True, check=False)
        result = [line for line in done.stdout.splitlines() if line.startswith("RESULT")]
        if not result:
            raise SystemExit(f"{run} failed: {done.stderr.strip()[-500:]}")
        fields = dict(part.split("=") for part in result[0].split()[1:])
        rate = responses / max(float(fields["seconds"]), 1e-9)
        peak = fields["peak_rss_mb"]
        print(f"{run}: {fields['seconds']} s ({rate:,.0f} rows/s), peak RSS {peak} MB")
        summary = [line for line in done.stdout.splitlines() if "responses counted" in line]
        print("  " + (summary[0] if summary else done.stdout.splitlines()[0]))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(*sys.argv[2:5])
    else:
        flags = [a for a in sys.argv[1:] if a.startswith("--")]
        args = [a for a in sys.argv[1:] if not a.startswith("--")]
        main(int(args[0]) if args else 1_000_000, *args[1:2], ids="--no-ids" not in flags)
