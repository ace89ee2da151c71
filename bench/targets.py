"""The product under test, from outside: a checkout's `pulse` command and a seeded database.

The served benchmarks (report_served, report_loop, digest_served) must time an older
checkout and a newer one in one run, while modules move between packages. So they import
nothing of the product: a `Target` is a checkout (`--repo DIR`, its `.venv`) or a Python
(`--python PATH`, its `pulse` beside it), and everything is done by running its `pulse`
(`pulse seed`, `pulse serve`, `pulse digest`) with the operator's environment variables.

Seeded databases are kept under `/tmp/bench-data` (SQLite files) or as PostgreSQL databases
`bench_<fingerprint>_<size>`, and reused: the fingerprint hashes what decides their content
(the target's migrations and `bench/seed.py`, `bench/org_model.py`), so a checkout whose
schema or seed differs gets its own copy and one that does not shares it.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

DATA = Path(os.environ.get("PULSE_BENCH_DATA", "/tmp/bench-data"))
SIZES = {"tiny": (60, 6), "1k": (1_000, 20), "10k": (10_000, 200)}  # people, teams
WEEKS = {"tiny": 8}  # weeks of pulses seeded; 104 unless named here
PER_DEPARTMENT = 10  # as bench/org_model.py: team t is in department t // 10
WORKSPACE = "T0SEED"  # the seeded workspace's Slack team id (bench/org_model.py)
HR_ADMIN = "U0BENCHHR"
DIGEST_CHANNEL = "C0DIGEST"
Log = Callable[[str], None]


@dataclass(frozen=True)
class Target:
    """One checkout of the product: its label, source folder and `pulse` command."""

    label: str
    repo: Path
    python: Path

    @property
    def pulse(self) -> list[str]:
        script = self.python.parent / "pulse"
        return [str(script)] if script.exists() else [str(self.python), "-m", "bot.cli"]

    def fingerprint(self) -> str:
        """What decides a seeded database's content: migrations and the seed's code."""
        digest = hashlib.sha256()
        files = sorted(
            p
            for p in self.repo.glob("**/migrations/**/*.py")
            if ".venv" not in p.parts and "site-packages" not in p.parts
        )
        files += [self.repo / "bench" / "seed.py", self.repo / "bench" / "org_model.py"]
        files += [self.repo / "cli" / "seed.py", self.repo / "cli" / "org_model.py"]
        for path in files:
            if path.exists():
                digest.update(str(path.relative_to(self.repo)).encode() + b"\0")
                digest.update(path.read_bytes())
        return digest.hexdigest()[:10]


def target(*, repo: str | None = None, python: str | None = None, label: str = "") -> Target:
    """`--repo DIR` (its .venv/bin/python) or `--python PATH` (repo: the venv's parent)."""
    if python:
        py = Path(python).absolute()
        root = Path(repo).resolve() if repo else _repo_of(py)
    else:
        root = Path(repo or Path(__file__).resolve().parent.parent).resolve()
        py = root / ".venv" / "bin" / "python"
    if not py.exists():
        raise SystemExit(f"no Python at {py}: build the checkout's venv (make .venv/.installed)")
    return Target(label or root.name, root, py)


def _repo_of(python: Path) -> Path:
    venv = python.parent.parent
    return venv.parent if (venv.parent / "pyproject.toml").exists() else Path.cwd()


def targets_from(repos: list[str], pythons: list[str]) -> list[Target]:
    """Targets named on the command line, in order; the bench's own checkout by default."""
    found = [target(repo=r) for r in repos] + [target(python=p) for p in pythons]
    found = found or [target()]
    labels = [t.label for t in found]
    if len(set(labels)) < len(labels):  # two checkouts with the same folder name
        found = [Target(f"{t.label}#{i + 1}", t.repo, t.python) for i, t in enumerate(found)]
    return found


def config_toml(size: str) -> str:
    """config.toml of the seeded org: a manager per team and per department, one HR admin.

    Team `team-NNN` is managed by `UMGRNNNN` (4 digits), department `dept-DD` by `UDEPDD`.
    """
    _, teams = SIZES[size]
    lines = [
        "[hr]",
        f'admins = ["{HR_ADMIN}"]',
        f'digest_channel = "{DIGEST_CHANNEL}"',
        "",
    ]
    for d in range((teams + PER_DEPARTMENT - 1) // PER_DEPARTMENT):
        lines += [
            "[[teams]]",
            f'key = "dept-{d:02d}"',
            f'name = "Department {d}"',
            f'managers = ["{department_manager(d)}"]',
            "",
        ]
    for t in range(teams):
        metrics = '["csat", "nps"]' if t % 5 == 0 else '["csat"]'
        lines += [
            "[[teams]]",
            f'key = "team-{t:03d}"',
            f'name = "Team {t}"',
            f'usergroup = "S{t:06d}"',
            f'parent = "dept-{t // PER_DEPARTMENT:02d}"',
            f"cx_metrics = {metrics}",
            f'managers = ["{team_manager(t)}"]',
            "",
        ]
    return "\n".join(lines)


def team_manager(t: int) -> str:
    return f"UMGR{t:04d}"


def department_manager(d: int) -> str:
    return f"UDEP{d:02d}"


@dataclass(frozen=True)
class Seeded:
    """A seeded org ready to serve: its DATABASE_URL, config path and size."""

    url: str
    config: Path
    size: str
    teams: int


def seeded(t: Target, database: str, size: str, *, log: Log = print) -> Seeded:
    """The target's seeded org of `size` on `database` ("sqlite" or a PostgreSQL URL to an
    existing database, used only to create `bench_*` databases); seeds it once, with
    `pulse seed --employees N --teams T --weeks W --database URL`."""
    people, teams = SIZES[size]
    weeks = WEEKS.get(size, 104)
    fp = t.fingerprint()
    where = DATA / fp
    where.mkdir(parents=True, exist_ok=True)
    config = where / f"config-{size}.toml"
    config.write_text(config_toml(size))
    if database == "sqlite":
        path = where / f"seed-{size}.db"
        url = f"sqlite:///{path}"
        done = where / f"seed-{size}.db.done"
        if not done.exists():
            path.unlink(missing_ok=True)
            _seed(t, url, people, teams, weeks, log)
            done.write_text(url)
    else:
        name = f"bench_{fp}_{size}"
        url = _with_database(database, name)
        done = where / f"{name}.done"
        if not done.exists():
            _psql(database, f"DROP DATABASE IF EXISTS {name}")  # only our own, half-seeded
            _psql(database, f"CREATE DATABASE {name}")
            _seed(t, url, people, teams, weeks, log)
            done.write_text(url)
    return Seeded(url, config, size, teams)


def _seed(t: Target, url: str, people: int, teams: int, weeks: int, log: Log) -> None:
    command = [*t.pulse, "seed", "--employees", str(people), "--teams", str(teams)]
    command += ["--weeks", str(weeks), "--database", url]
    log(f"# seeding ({t.label}): {' '.join(command)}")
    started = time.monotonic()
    subprocess.run(command, cwd=t.repo, check=True, stdout=sys.stderr)
    log(f"# seeded in {time.monotonic() - started:.0f} s")


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, ""))


def _psql(url: str, sql: str) -> None:
    """Run one statement on the admin database (CREATE DATABASE cannot run in a transaction)."""
    from sqlalchemy import create_engine, text

    plain = url.replace("postgresql://", "postgresql+psycopg://", 1).replace(
        "postgres://", "postgresql+psycopg://", 1
    )
    engine = create_engine(plain, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(sql))
    finally:
        engine.dispose()
