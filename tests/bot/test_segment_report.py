"""`/pulse report TEAM by SEGMENT` and HR's `/pulse report org by layer`: read the way
people type them, answered from sealed sums through the one privacy rule, names escaped."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine

from bot.blocks.segments import segment_report
from bot.blocks.validate import check_message
from bot.report_args import DEFAULT_WEEKS, Refused, Wanted, read_report_args
from bot.reporting import report_command
from figures.segment_charts import segment_frame, segment_heatmap
from figures.segment_figures import SegmentCut, SegmentRow
from insights.questions import load_bank
from insights.scores import ORG
from settings.config import AppConfig, parse_config
from storage.db import session_scope
from tests.factories import NOW, WORKSPACE
from tests.storage.test_segment_seal import SECRET, answered, close

MANAGER, HR, STRANGER = "U0MANAGER", "U0HRLEAD", "U0NOBODY"


def _config(segments: bool = True) -> AppConfig:
    return parse_config(
        {
            "hr": {"admins": [HR]},
            "teams": [
                {
                    "key": "support",
                    "name": "Customer Support",
                    "usergroup": "S0SUPPORT",
                    "managers": [MANAGER],
                }
            ],
            "segments": [
                {
                    "key": "layer",
                    "name": "Proximity to the customer",
                    "values": ["frontline", "back-office"],
                }
            ]
            if segments
            else [],
        }
    )


def test_a_cut_is_read_from_team_by_segment_key_or_name() -> None:
    config = _config()
    read = read_report_args
    assert read(config, user_id=MANAGER, args=["support", "by", "layer"]) == Wanted(
        "support", DEFAULT_WEEKS, "layer"
    )
    assert read(config, user_id=MANAGER, args=["by", "layer"]) == Wanted(
        "support", DEFAULT_WEEKS, "layer"
    )
    said = ["org", "BY", "Proximity", "to", "the", "customer"]
    assert read(config, user_id=HR, args=said) == Wanted(ORG, DEFAULT_WEEKS, "layer")
    refused = read(config, user_id=MANAGER, args=["support", "by", "<!channel>"])
    assert isinstance(refused, Refused)
    assert refused.text == (
        "No segment called `&lt;!channel&gt;`. Segments: `layer` (Proximity to the customer)."
    )
    asked = read(config, user_id=HR, args=["by", "layer"])
    assert isinstance(asked, Refused) and asked.text.startswith(
        "Name the team to cut, e.g. `/pulse report all by layer`."
    )
    assert isinstance(read(config, user_id=STRANGER, args=["org", "by", "layer"]), Refused)
    none = read(_config(segments=False), user_id=MANAGER, args=["support", "by", "layer"])
    assert isinstance(none, Refused) and none.text.startswith("No segments are set up")


def test_the_cut_renders_names_as_text_and_hidden_values_without_counts() -> None:
    cut = SegmentCut(
        node="support",
        attribute="layer",
        name="*Layer* <@U0BOSS>",
        k=5,
        period=dt.date(2026, 11, 23),
        respondents=16,
        engagement=70.0,
        rows=(
            SegmentRow("frontline", True, 9, 0.9, 100.0, 20.0, (("wellbeing", 100.0),)),
            SegmentRow("other", False),
        ),
    )
    msg = segment_report(node_name="Support <!here>", cut=cut)
    check_message(msg)
    mrkdwn = [msg["text"], *(str(b) for b in msg["blocks"] if b["type"] != "header")]
    assert not any(
        "<!here>" in t or "<@U0BOSS>" in t for t in mrkdwn
    )  # plain_text header: as typed
    assert msg["text"].startswith("Support &lt;!here&gt; · by ∗Layer∗ &lt;@U0BOSS&gt;\n")
    assert "*frontline* · engagement 100 · 9 respondents (90%) · eNPS +20" in msg["text"]
    assert "*other* · hidden: fewer than 5 people" in msg["text"]


def test_a_manager_sees_their_team_by_layer_from_the_sealed_pulse(engine: Engine) -> None:
    config = _config()
    ids = answered(engine, layers=["frontline"] * 9 + ["back-office"] * 7, scores=[5] * 9 + [2] * 7)
    close(engine, config)
    with session_scope(engine) as s:
        replies = report_command(
            s,
            config=config,
            slack_team_id=WORKSPACE,
            user_id=MANAGER,
            args=["support", "by", "layer"],
            now=NOW + dt.timedelta(days=4),
            driver_labels={k: d.label for k, d in load_bank().drivers.items()},
            secret=SECRET,
        )
    assert ids["pulse"]
    [reply] = replies
    check_message(reply)
    assert reply["text"].splitlines()[1:5] == [
        "*frontline* · engagement 100 · 9 respondents (100%) · eNPS +100",
        "      Wellbeing &amp; energy 100",
        "*back-office* · engagement 25 · 7 respondents (100%) · eNPS +100",
        "      Wellbeing &amp; energy 25",
    ]
    # a later `pulse people import` does not re-cut this week, and the reply says so
    assert "Each week is cut by the values people had when its pulse closed" in str(reply)


def test_the_segment_heatmap_shows_shown_cells_and_names_no_hidden_one() -> None:
    cuts = [
        SegmentCut(
            node=ORG,
            attribute="layer",
            name="Layer",
            k=5,
            period=dt.date(2026, 11, 23),
            respondents=40,
            rows=(
                SegmentRow(
                    "frontline", True, 20, 0.8, 61.0, None, (("tools", 53.0), ("workload", 67.0))
                ),
                SegmentRow("back-office", False),
            ),
        )
    ]
    frame = segment_frame(cuts, {"tools": "Tools & processes"})
    assert list(frame.index) == ["Layer: frontline", "Layer: back-office"]
    assert frame.loc["Layer: back-office"].isna().all()
    chart = segment_heatmap(cuts, labels={}, week=dt.date(2026, 11, 23), k=5)
    assert chart is not None and chart.png.startswith(b"\x89PNG")
    assert chart.takeaway == (
        "Lowest: Layer: frontline on tools (53); highest: Layer: frontline on workload (67)."
    )
    hidden = [
        SegmentCut(ORG, "layer", "Layer", 5, dt.date(2026, 11, 23), 40, None, (cuts[0].rows[1],))
    ]
    assert segment_heatmap(hidden, labels={}, week=dt.date(2026, 11, 23), k=5) is None
