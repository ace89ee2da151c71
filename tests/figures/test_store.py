"""Figures kept ready (figures.store): read from the store when fresh, from the sums when not,
and the same figures either way.

The checks tamper with the sealed sums after the store was built: a read that still shows
the old figures came from the store; one that shows the tampered sums was computed.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlmodel import col, func, select

from cli.main import main
from cli.org_model import WORKSPACE, config_for
from cli.seed import seed
from figures import ready, store
from figures.pipeline import EXTRA_WEEKS, Window, figures
from figures.teams import TeamFigures, load_team_figures, team_figures
from jobs import kept_figures
from settings.config import AppConfig
from storage.db import make_engine, read_scope, session_scope
from storage.migrate import upgrade
from storage.models import FigureWeek, Pulse, Workspace

UNTIL = dt.date(2026, 11, 25)
NOW = dt.datetime(2026, 11, 29, 12, tzinfo=dt.UTC)  # every seeded pulse has closed
TEAMS = 8
WEEKS = 6


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("store") / "seeded.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    seed(
        engine,
        employees=72,
        teams=TEAMS,
        weeks=WEEKS,
        until=UNTIL,
        seed=3,
        log=lambda _: None,
        keep_ready=False,
    )
    engine.dispose()
    return path


@pytest.fixture
def engine(seeded: Path, tmp_path: Path) -> Iterator[Engine]:
    copy = tmp_path / "copy.db"
    copy.write_bytes(seeded.read_bytes())
    engine = make_engine(f"sqlite:///{copy}")
    yield engine
    engine.dispose()


def _workspace(engine: Engine) -> int:
    with read_scope(engine) as s:
        found = s.exec(select(Workspace.id).where(Workspace.slack_team_id == WORKSPACE)).one()
    assert found is not None
    return found


def _config() -> AppConfig:
    return config_for(TEAMS)


def _toml(config: AppConfig) -> str:
    lines = []
    for team in config.teams:
        lines += ["[[teams]]", f"key = {json.dumps(team.key)}", f"name = {json.dumps(team.name)}"]
        for field in ("usergroup", "parent"):
            if getattr(team, field):
                lines.append(f"{field} = {json.dumps(getattr(team, field))}")
        lines.append(f"cx_metrics = {json.dumps(list(team.cx_metrics))}")
    return "\n".join(lines) + "\n"


NODES = ["team-000", "team-003", "dept-00"]


def _read(engine: Engine, config: AppConfig, now: dt.datetime = NOW) -> dict[str, TeamFigures]:
    with read_scope(engine) as s:
        return load_team_figures(
            s, config=config, workspace_id=_workspace(engine), teams=NODES, weeks=4, now=now
        )


def _computed(engine: Engine, config: AppConfig, now: dt.datetime = NOW) -> dict[str, TeamFigures]:
    """The pipeline over the whole workspace, as every surface computed it before the store."""
    window = Window.ending(now.date(), weeks=4, history=4 + EXTRA_WEEKS)
    with read_scope(engine) as s:
        fig = figures(
            s, config=config, workspace_id=_workspace(engine), window=window, closed_by=now
        )
    return team_figures(fig, NODES)


def _refresh(engine: Engine, config: AppConfig) -> int:
    with session_scope(engine) as s:
        return store.refresh(s, config=config, workspace_id=_workspace(engine))


def _tamper(engine: Engine) -> None:
    """Every sealed answer becomes the worst answer: any figure computed now drops."""
    with session_scope(engine) as s:
        s.execute(text("UPDATE response_rollup SET total = n, total_sq = n, favourable = 0"))


def test_a_kept_week_gives_the_figures_the_sums_give(engine: Engine) -> None:
    config = _config()
    before = _computed(engine, config)
    assert any(f.engagement is not None for f in before.values())
    assert _read(engine, config) == before  # nothing kept yet: every week computed
    kept = kept_figures.run(engine, config=config, workspace_id=_workspace(engine), now=NOW)
    assert kept == kept_figures.Kept(weeks=WEEKS, reports=TEAMS)
    assert _refresh(engine, config) == 0  # all fresh: nothing to build again
    assert _read(engine, config) == before
    _tamper(engine)
    assert _read(engine, config) == before, "kept weeks were not read from the store"
    assert _computed(engine, config) != before


def test_a_pulse_sealed_after_the_build_makes_its_week_computed_again(engine: Engine) -> None:
    config = _config()
    _refresh(engine, config)
    kept = _read(engine, config)
    _tamper(engine)
    with session_scope(engine) as s:  # one pulse of the last week sealed again, later
        last = s.exec(select(func.max(Pulse.period_start))).one()
        pulse = s.exec(select(Pulse).where(Pulse.period_start == last)).first()
        assert pulse is not None and pulse.sealed_at is not None
        pulse.sealed_at += dt.timedelta(minutes=5)
        s.add(pulse)
    read, computed = _read(engine, config), _computed(engine, config)
    for node in NODES:  # the stale week from the (tampered) sums, the others as kept
        now, was, sums = (dict(f[node].series) for f in (read, kept, computed))
        assert now[last] == sums[last] < was[last]
        assert {w: e for w, e in now.items() if w != last} == {
            w: e for w, e in was.items() if w != last
        }
    assert _refresh(engine, config) == 1  # the stale week only
    assert _read(engine, config) == read


def test_a_moment_before_a_pulse_closed_is_computed_without_it(engine: Engine) -> None:
    config = _config()
    _refresh(engine, config)
    with read_scope(engine) as s:
        last = s.exec(select(func.max(Pulse.period_start))).one()
        closes = s.exec(select(func.min(Pulse.closes_at)).where(Pulse.period_start == last)).one()
    assert last is not None and closes is not None
    earlier = closes - dt.timedelta(minutes=1)
    assert _read(engine, config, earlier) == _computed(engine, config, earlier)
    assert _read(engine, config, earlier) != _read(engine, config)


def test_another_team_tree_or_k_is_another_basis(engine: Engine) -> None:
    config = _config()
    _refresh(engine, config)
    stricter = config.model_copy(
        update={"privacy": config.privacy.model_copy(update={"min_group_size": 8})}
    )
    _tamper(engine)
    assert _read(engine, stricter) == _computed(engine, stricter)  # nothing kept for k = 8
    assert _refresh(engine, stricter) == WEEKS
    with read_scope(engine) as s:
        bases = s.exec(select(func.count(func.distinct(col(FigureWeek.basis))))).one()
    assert bases == 1  # the old basis's weeks are gone


def _report(engine: Engine, config: AppConfig, key: str) -> ready.ReportFigures:
    with read_scope(engine) as s:
        return ready.team_report_figures(
            s, config=config, workspace_id=_workspace(engine), key=key, weeks=4, now=NOW
        )


def _warm(engine: Engine, config: AppConfig) -> int:
    with session_scope(engine) as s:
        return ready.warm(s, config=config, workspace_id=_workspace(engine), now=NOW, weeks=4)


def test_a_report_worked_out_ahead_is_read_until_its_cx_values_change(engine: Engine) -> None:
    config = _config()
    key = "team-000"
    assert config.team(key) is not None and config.team(key).cx_metrics  # type: ignore[union-attr]
    computed = _report(engine, config, key)
    assert computed.links and computed.team.engagement is not None
    _refresh(engine, config)
    assert _warm(engine, config) == TEAMS  # every team with members; no department
    assert _warm(engine, config) == 0
    _tamper(engine)
    assert _report(engine, config, key) == computed, "the report was not read as kept"
    with session_scope(engine) as s:  # a CX import lowers the team's values
        s.execute(
            text(
                "UPDATE cx_metric SET value = value * 0.9, raw_value = raw_value * 0.9"
                " WHERE team_id = (SELECT id FROM team WHERE key = :key)"
            ).bindparams(key=key)
        )
    changed = _report(engine, config, key)
    assert changed.team == computed.team  # weeks still kept
    assert changed.links != computed.links  # links computed again from the new CX values
    assert _warm(engine, config) == 1  # only that team's report worked out again
    assert _report(engine, config, key) == changed


def test_pulse_figures_keeps_the_figures_ready_from_any_directory(
    engine: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = tmp_path / "seeded.toml"
    config.write_text(_toml(_config()), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", str(engine.url))
    monkeypatch.setenv("PULSE_CONFIG", str(config))
    assert main(["figures"]) == 0
    said = capsys.readouterr().out
    assert f"figures kept ready: {WEEKS} weeks built, {TEAMS} team reports" in said
    assert main(["figures"]) == 0
    assert "0 weeks built, 0 team reports" in capsys.readouterr().out
