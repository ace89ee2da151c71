"""A team's cut by layer from sealed sums: shown values carry their own figures, a value
below k is hidden, and so is any value whose figure would give a hidden one away."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine
from sqlmodel import update

from bot.blocks.digest import digest_blocks
from bot.blocks.segments import segment_report
from figures import segment_ready, store
from figures.digest import build_digest
from figures.export import write_export
from figures.segment_figures import segment_cut
from settings.config import AppConfig, parse_config
from settings.i18n import using
from storage.cx import CxRow, upsert_metrics
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
        named = segment_ready.token(s, **asked, attribute="layer", now=LATER, **opens)
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
        # nor from what a process with the key kept: the kept cut is named by the key too
        served = segment_ready.cut_for(s, **asked, attribute="layer", now=LATER, secret=None)
        assert served == blind
    with session_scope(engine) as s:
        s.exec(update(Pulse).values(sealed_at=LATER))  # sealed again: the kept cut is stale
    with session_scope(engine) as s:
        assert segment_ready.token(s, **asked, attribute="layer", now=LATER, **opens) is None


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


def test_one_view_holds_the_orgs_cells_of_every_attribute_and_every_teams_total(
    engine: Engine, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """Which views a combination across two attributes needs (the org's "a" − a team's
    total − the org's frontline): HR's digest alone shows the org's cells of every attribute,
    and HR's export alone shows them beside every team's total. So the guard cannot reason
    per view or per attribute: figures.segment_audit checks every figure of the week."""
    ids = answered(
        engine,
        layers=["frontline"] * 9 + ["back-office"] * 7,
        scores=[5] * 9 + [3] * 7,
        started=["2026-01"] * 8 + ["2019-01"] * 8,
    )
    config = parse_config(
        {
            "teams": [{"key": "support", "name": "Customer Support", "usergroup": "S0SUPPORT"}],
            "segments": [
                {"key": "layer", "name": "Proximity", "values": ["frontline", "back-office"]},
                {"key": "tenure", "name": "Tenure", "bands": [12, 36]},
            ],
        }
    )
    close(engine, config)
    later = LATER + dt.timedelta(days=4)
    with session_scope(engine) as s:
        digest = build_digest(
            s,
            config=config,
            workspace_id=ids["workspace"],
            now=later,
            with_charts=False,
            secret=SECRET,
        )
        write_export(
            s,
            config=config,
            workspace_id=ids["workspace"],
            out=tmp_path,
            weeks=2,
            now=later,
            secret=SECRET,
        )
    assert [c.attribute for c in digest.segments] == ["layer", "tenure"]  # one message
    assert all(c.node == "(org)" for c in digest.segments)
    segments = (tmp_path / "segments.csv").read_text(encoding="utf-8")
    teams = (tmp_path / "teams.csv").read_text(encoding="utf-8")
    assert "(org),Whole organisation,2026-11-23,layer," in segments
    assert "(org),Whole organisation,2026-11-23,tenure," in segments
    assert "support,Customer Support,(org),2026-11-23,16," in teams  # the team's own total


def test_hr_org_by_layer_shows_the_digests_link_by_layer(engine: Engine) -> None:
    """One figure, one computation: HR's `/pulse report org by layer` carries the digest's
    EX↔CX link by value, word for word, computed or kept, and shows it under its own head."""
    ids = answered(engine, layers=["frontline"] * 9 + ["back-office"] * 7, scores=[5] * 9 + [3] * 7)
    config = parse_config(
        {
            "teams": [
                {
                    "key": "support",
                    "name": "Customer Support",
                    "usergroup": "S0SUPPORT",
                    "cx_metrics": ["csat"],
                }
            ],
            "segments": [
                {
                    "key": "layer",
                    "name": "Proximity",
                    "values": ["frontline", "back-office"],
                    "link": True,
                }
            ],
        }
    )
    close(engine, config)
    week = dt.date(2026, 11, 23)
    rows = [CxRow(ids["team"], "csat", week, 80.0, 80.0, "0-100", 120)]
    later = LATER + dt.timedelta(days=4)
    asked = {"config": config, "workspace_id": ids["workspace"], "now": later, "secret": SECRET}
    with session_scope(engine) as s:
        upsert_metrics(s, workspace_id=ids["workspace"], rows=rows)
        store.refresh(s, config=config, workspace_id=ids["workspace"])
    with session_scope(engine) as s:
        digest = build_digest(s, **asked, with_charts=False)  # type: ignore[arg-type]
        computed = segment_ready.cut_for(s, **asked, node="(org)", attribute="layer")  # type: ignore[arg-type]
        assert segment_ready.warm(s, **asked) == 2  # type: ignore[arg-type]
        kept = segment_ready.cut_for(s, **asked, node="(org)", attribute="layer")  # type: ignore[arg-type]
        team = segment_ready.cut_for(s, **asked, node="support", attribute="layer")  # type: ignore[arg-type]
    assert digest.segment_links and computed.links == tuple(digest.segment_links) == kept.links
    assert [x.label for x in kept.links] == ["CSAT · frontline", "CSAT · back-office"]
    assert team.links == ()  # a team's cut: the link by layer is the org's (the digest's)
    text = str(segment_report(node_name="All teams", cut=kept))
    assert "EX ↔ CX by Proximity: each team's cell of the value, as in the weekly digest" in text
    english = kept.links[0].sentence
    assert f"*CSAT · frontline*: {english}" in text
    with using("fr"):  # kept as values: a French HR reads the kept link in French
        french, said = str(segment_report(node_name="All teams", cut=kept)), kept.links[0].sentence
    assert said != english and f"*CSAT · frontline*: {said}" in french and english not in french
