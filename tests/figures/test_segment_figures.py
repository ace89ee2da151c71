"""A team's cut by layer from sealed sums: shown values carry their own figures, a value
below k is hidden, and so is any value whose figure would give a hidden one away."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine
from sqlmodel import update

from bot.blocks.digest import digest_blocks
from figures import segment_ready, store
from figures.digest import build_digest
from figures.export import write_export
from figures.segment_figures import segment_cut
from settings.config import AppConfig, parse_config
from storage.db import session_scope
from storage.figure_store import kept_report
from storage.models import Pulse
from tests.factories import NOW
from tests.storage.test_segment_seal import SECRET, answered, close

LATER = NOW + dt.timedelta(days=4)


def _config() -> AppConfig:
    return parse_config(
        {
            "teams": [{"key": "support", "name": "Customer Support", "usergroup": "S0SUPPORT"}],
            "segments": [
                {"key": "layer", "name": "Proximity", "values": ["frontline", "back-office"]}
            ],
        }
    )


def _cut(engine: Engine, layers: list[str | None], scores: list[int]):  # type: ignore[no-untyped-def]
    ids = answered(engine, layers=layers, scores=scores)
    config = _config()
    close(engine, config)
    with session_scope(engine) as s:
        return segment_cut(
            s,
            config=config,
            workspace_id=ids["workspace"],
            node="support",
            attribute="layer",
            now=LATER,
            secret=SECRET,
        )


def test_each_layer_shows_its_own_engagement(engine: Engine) -> None:
    result = _cut(engine, ["frontline"] * 9 + ["back-office"] * 7, [5] * 9 + [2] * 7)
    assert result.period == dt.date(2026, 11, 23) and result.respondents == 16
    assert [(r.value, r.shown, r.respondents, r.engagement) for r in result.rows] == [
        ("frontline", True, 9, 100.0),
        ("back-office", True, 7, 25.0),
    ]
    assert SECRET  # answers went through the held, released and sealed path


def test_a_layer_whose_complement_is_below_k_is_hidden_too(engine: Engine) -> None:
    """12 frontline and 4 back-office (sealed as other, and not stored: 4 answered): showing
    frontline beside the team's 16 would give the four others' answers away by subtraction."""
    result = _cut(engine, ["frontline"] * 12 + ["back-office"] * 4, [5] * 12 + [2] * 4)
    assert result.respondents == 16
    assert [(r.value, r.shown, r.engagement) for r in result.rows] == [
        ("frontline", False, None),
        ("back-office", False, None),
    ]


def test_export_writes_each_cell_of_each_node(engine: Engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    ids = answered(engine, layers=["frontline"] * 9 + ["back-office"] * 7, scores=[5] * 9 + [3] * 6)
    config = _config()
    close(engine, config)
    with session_scope(engine) as s:
        write_export(
            s,
            config=config,
            workspace_id=ids["workspace"],
            out=tmp_path,
            weeks=2,
            now=LATER + dt.timedelta(days=4),
            secret=SECRET,
        )
    rows = (tmp_path / "segments.csv").read_text(encoding="utf-8").splitlines()
    assert rows == [
        "team,name,week,segment,value,respondents,participation_pct,engagement,enps",
        "(org),Whole organisation,2026-11-23,layer,back-office,6,85.7,50.0,100.0",
        "(org),Whole organisation,2026-11-23,layer,frontline,9,100.0,100.0,100.0",
        "support,Customer Support,2026-11-23,layer,back-office,6,85.7,50.0,100.0",
        "support,Customer Support,2026-11-23,layer,frontline,9,100.0,100.0,100.0",
    ]


def test_a_kept_cut_is_the_computed_one_and_a_new_seal_renames_it(engine: Engine) -> None:
    ids = answered(engine, layers=["frontline"] * 9 + ["back-office"] * 7, scores=[5] * 9 + [3] * 7)
    config = _config()
    close(engine, config)
    asked = {"config": config, "workspace_id": ids["workspace"], "node": "support"}
    opens = {"secret": SECRET}
    with session_scope(engine) as s:
        store.refresh(s, config=config, workspace_id=ids["workspace"])
    with session_scope(engine) as s:
        assert (
            segment_ready.warm(s, config=config, workspace_id=ids["workspace"], now=LATER, **opens)
            == 2
        )  # the org and Support, by layer
        named = segment_ready.token(s, **asked, attribute="layer", now=LATER)
        assert named is not None and kept_report(s, workspace_id=ids["workspace"], token=named)
        kept = segment_ready.cut_for(s, **asked, attribute="layer", now=LATER, **opens)
        computed = segment_cut(s, **asked, attribute="layer", now=LATER, **opens)
        assert kept == computed and [r.respondents for r in kept.rows] == [9, 7]
        assert (
            segment_ready.warm(s, config=config, workspace_id=ids["workspace"], **opens, now=LATER)
            == 0
        )
        # without PULSE_SECRET the atoms do not open: the audit cannot run, no cell is shown
        blind = segment_cut(s, **asked, attribute="layer", now=LATER, secret=None)
        assert blind.respondents == 16 and not any(r.shown for r in blind.rows)
    with session_scope(engine) as s:
        s.exec(update(Pulse).values(sealed_at=LATER))  # sealed again: the kept cut is stale
    with session_scope(engine) as s:
        assert segment_ready.token(s, **asked, attribute="layer", now=LATER) is None


def test_the_digest_cuts_the_org_by_each_segment(engine: Engine) -> None:
    ids = answered(engine, layers=["frontline"] * 9 + ["back-office"] * 7, scores=[5] * 9 + [3] * 7)
    config = _config()
    close(engine, config)
    with session_scope(engine) as s:
        digest = build_digest(
            s,
            config=config,
            workspace_id=ids["workspace"],
            now=LATER + dt.timedelta(days=4),
            with_charts=False,
            secret=SECRET,
        )
    assert digest.week == dt.date(2026, 11, 23)
    [layer] = digest.segments
    assert [(r.value, r.shown, r.respondents, r.engagement) for r in layer.rows] == [
        ("frontline", True, 9, 100.0),
        ("back-office", True, 7, 50.0),
    ]
    text = str(digest_blocks(digest=digest))
    assert "*Proximity*: frontline 100 (9) · back-office 50 (7)" in text
