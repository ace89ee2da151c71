"""Golden figures: every surface shows the same figures, on the demo company and a seeded org.

Issue 14 rewrites how figures are computed; this test, recorded before that change, proves
nothing a user sees moved: each world is built deterministically at a frozen clock
(tests/golden/worlds.py), every surface is captured as the text a user sees
(tests/golden/surfaces.py) and compared with tests/golden/data/<world>.json, on SQLite and on
PostgreSQL (TEST_DATABASE_URL), against the same file.

    UPDATE_GOLDEN=1 pytest tests/golden    # record the golden files again (review the diff!)

Entry points into the product, the only ones (when modules move, update the imports in
worlds.py and charts.py; the golden files must not change):
  building a world  storage.migrate.upgrade, jobs.sync.run, cli.demo_history.seed,
                    cli.seed.seed, cli.org_model.config_for, bot.commitments.save_commitment,
                    jobs.pulses.open_now, jobs.delivery.Sender, jobs.pulses.close_now
  surfaces          bot.app.build_app + bot.context.Context, driven in process with requests
                    signed as Slack signs them (`/pulse report`, app_home_opened, button
                    clicks; sandbox.sender builds them); jobs.digest.run; jobs.alerts.run;
                    cli.main.main(["export", …])
  chart figures     bot.home.trend_chart, figures.digest_charts.link_chart,
                    figures.digest_charts.heatmap_chart, replaced by recorders of what they draw
  plumbing          settings.runtime.Settings, settings.slack.make_client,
                    storage.db.make_engine and session_scope, storage.org.workspace_by_slack_id,
                    sandbox.*
"""

from __future__ import annotations

import difflib
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from jobs import kept_figures
from tests.conftest import PG_URL, pg_schema
from tests.golden.surfaces import Surfaces, capture
from tests.golden.worlds import World, demo_world, seeded_world

DATA = Path(__file__).with_name("data")
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
CONTEXT = 3  # lines shown around the first difference


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database (a fresh SQLite file, or a fresh PostgreSQL schema): ids from 1."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'golden.db'}"
    elif not PG_URL:
        pytest.skip("TEST_DATABASE_URL not set: PostgreSQL tests skipped")
    else:
        with pg_schema() as url:
            yield url


def first_difference(expected: Surfaces, actual: Surfaces) -> str | None:
    """The first surface (in sorted order) whose lines differ, with its first differing line
    and a short diff around it; and which other surfaces differ. None when all agree."""
    changed = [
        name
        for name in sorted(expected.keys() | actual.keys())
        if expected.get(name) != actual.get(name)
    ]
    if not changed:
        return None
    name = changed[0]
    if name not in actual:
        head = f"surface {name!r} is gone"
    elif name not in expected:
        head = f"surface {name!r} is new"
    else:
        was, now = expected[name], actual[name]
        line = next(
            (i for i, (a, b) in enumerate(zip(was, now, strict=False)) if a != b),
            min(len(was), len(now)),
        )
        before = was[line] if line < len(was) else "(no line)"
        after = now[line] if line < len(now) else "(no line)"
        diff = difflib.unified_diff(was, now, "golden", "now", n=CONTEXT, lineterm="")
        head = (
            f"first change in surface {name!r}, line {line + 1}:\n"
            f"  golden: {before}\n  now:    {after}\n" + "\n".join(list(diff)[:40])
        )
    others = ", ".join(repr(n) for n in changed[1:10])
    more = f"\n{len(changed) - 1} other surfaces changed too: {others}" if len(changed) > 1 else ""
    return head + more


def check(world: str, actual: Surfaces) -> None:
    path = DATA / f"{world}.json"
    if UPDATE:
        DATA.mkdir(exist_ok=True)
        text = json.dumps(actual, indent=1, sort_keys=True, ensure_ascii=False)
        path.write_text(text + "\n", encoding="utf-8")
        return
    assert path.exists(), f"no golden file {path}: record it with UPDATE_GOLDEN=1"
    expected = json.loads(path.read_text(encoding="utf-8"))
    problem = first_difference(expected, actual)
    if problem is not None:
        pytest.fail(f"{world}: figures changed\n{problem}", pytrace=False)


@pytest.fixture(params=["computed", "kept"])
def kept(request: pytest.FixtureRequest, database_url: str) -> bool:
    """Whether the worker has built the figures kept ready (figures.store) before anyone
    looks: "computed" reads every week from the sealed sums, "kept" the stored weeks. Both
    on SQLite; PostgreSQL runs the one production runs (kept)."""
    if request.param == "computed" and not database_url.startswith("sqlite"):
        pytest.skip("computed weeks are checked on SQLite; PostgreSQL checks the kept ones")
    return bool(request.param == "kept")


def keep_ready(world: World) -> None:
    """What the worker does after every close and at start (jobs.kept_figures): weeks kept,
    then every team's default report worked out ahead."""
    made = kept_figures.run(
        world.engine,
        config=world.settings.config,
        workspace_id=world.workspace_id,
        now=world.clock.now,
        secret=world.settings.segment_secret(),
    )
    assert made.weeks > 0 and made.reports > 0


@pytest.mark.parametrize("world_name", ["demo", "seeded"])
def test_every_surface_shows_the_golden_figures(
    world_name: str, database_url: str, kept: bool, tmp_path: Path
) -> None:
    """The demo company and the seeded org, each against its golden file."""
    build = demo_world if world_name == "demo" else seeded_world
    with build(database_url, tmp_path) as world:
        if kept:
            keep_ready(world)
        surfaces = capture(world)
    covered(surfaces, world_name)
    check(world_name, surfaces)


def covered(surfaces: Surfaces, world: str) -> None:
    """The worlds hold what the golden files must guard: if a world stopped producing a kind
    of figure, its golden file would stop protecting it, so say so here."""
    text = "\n".join(line for lines in surfaces.values() for line in lines)
    wanted = {
        "an EX↔CX link sentence": "between engagement and",
        "a perception gap line": "Perception gap, week of",
        "a red flag": ":warning:",
        "a red-flag alert DM": "=== DM to",
        "a digest chart's figures": '"chart": "heatmap_chart"',
        "a Home chart's figures": '"chart": "trend_chart"',
    }
    if world == "seeded":
        wanted["a reliable EX↔CX link"] = "Engagement tends to lead"
        wanted["a left-out week"] = "below 5 left out"
        wanted["a pending commitment"] = "follow-up question pending"
    else:
        wanted["an anonymous comment"] = "*Anonymous comments*"
        wanted["a report while the pulse is open"] = "have answered so far"
        wanted["a commitment's follow-up figures"] = "follow-up: "
    missing = [what for what, needle in wanted.items() if needle not in text]
    assert not missing, f"the {world} world no longer shows {', '.join(missing)}"
