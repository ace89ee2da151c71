"""Block Kit output: within Slack's limits, and stable (snapshot) for what users see."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pandas as pd
import pytest

from bot import ids
from bot.blocks import modal, report
from bot.blocks.dashboard import card, dashboard_blocks, sparkline, trend_text
from bot.blocks.pulse import QuestionItem, pulse_message
from bot.blocks.validate import BlockLimitError, check_message, check_view
from figures.teams import DriverFigure, TeamFigures
from insights.alerts import RedFlag

SNAPSHOTS = Path(__file__).parent / "snapshots"
QUESTIONS = [
    QuestionItem(11, "I have the energy I need to give customers my best.", "likert5"),
    QuestionItem(
        12,
        "How do you think our customers felt about us this week?",
        "likert5",
        ("Very unhappy", "Unhappy", "Neutral", "Happy", "Very happy"),
    ),
    QuestionItem(13, "How likely are you to recommend working here to a friend?", "nps10"),
    QuestionItem(14, "What got in the way of serving customers this week?", "text"),
]


def _snapshot(name: str, rendered: dict) -> None:
    path = SNAPSHOTS / f"{name}.json"
    text = json.dumps(rendered, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":  # after a deliberate change, then review
        path.write_text(text, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == text, f"{name} changed; review and update {path}"


def _dm(**kw) -> dict:  # type: ignore[no-untyped-def]
    args = dict(
        pulse_id=7,
        team_name="Customer Support",
        questions=QUESTIONS,
        answers={},
        closes_label="Fri 27 Nov, 10:00 CET",
    )
    return pulse_message(**{**args, **kw})


def test_fresh_pulse_dm() -> None:
    message = _dm()
    check_message(message)
    _snapshot("pulse_fresh", message)
    rows = [b for b in message["blocks"] if b["type"] == "actions"]
    assert [len(r["elements"]) for r in rows] == [5, 5, 11]
    assert ids.parse_answer_value(rows[2]["elements"][10]["value"]) == (7, 13, 10)


def test_answered_dm_shows_the_choice_and_progress() -> None:
    message = _dm(answers={11: 4, 13: 9}, written=frozenset({14}), commented=True)
    check_message(message)
    _snapshot("pulse_answered", message)
    text = json.dumps(message, ensure_ascii=False)
    assert "Recorded: *Agree*" in text and "Recorded: *9*" in text
    assert "3 of 4 answered." in text
    assert "Your anonymous comment is saved" in text


def test_closed_dm_has_no_buttons() -> None:
    message = _dm(answers={11: 4}, closed=True)
    check_message(message)
    assert not [b for b in message["blocks"] if b["type"] == "actions"]
    assert "This pulse has closed. You answered 1 of 4" in json.dumps(message)


def test_report_and_modal_are_valid() -> None:
    lines = [
        report.QuestionLine(text=q.text, kind=q.kind, n=6, mean=3.5 if q.kind != "nps10" else 7.2)
        for q in QUESTIONS[:3]
    ] + [report.QuestionLine(text="Few answers", kind="likert5", n=2, mean=None)]
    week = dt.date(2026, 11, 23)
    figures = TeamFigures(
        team="support",
        since=week - dt.timedelta(weeks=3),
        weeks=4,
        period=week,
        respondents=9,
        invited=12,
        engagement=68.2,
        sentence="Up 4 points from last week — within noise for 9 respondents",
        enps=12.5,
        enps_n=8,
        series=((week - dt.timedelta(weeks=2), 61.0), (week, 68.2)),
        drivers=(DriverFigure("tools", 52.0, 9, week, -12.0, False),),
        flags=(RedFlag("support", pd.Timestamp(week), "low_enps", "eNPS is −20.", 9),),
    )
    (rendered,) = report.team_report(
        team_name="Customer Support",
        fig=figures,
        k=5,
        pulse=report.LatestPulse(
            label="opened 24 Nov 2026 · closed", respondents=6, participation=0.5, lines=lines
        ),
        links=[report.LinkLine("CSAT", "No reliable link yet (r = 0.12, n = 9, p = 0.75).")],
        driver_labels={"tools": "Tools and processes"},
    )
    check_message(rendered)
    _snapshot("report", rendered)
    view = modal.text_answer_modal(
        question_text=QUESTIONS[3].text, initial="x", private_metadata="1:2:D1:1.0"
    )
    check_view(view)
    assert (
        modal.text_error("  ") and modal.text_error("x" * 2001) and modal.text_error("fine") is None
    )


def test_the_validator_catches_what_slack_would_refuse() -> None:
    with pytest.raises(BlockLimitError):
        check_message({"blocks": [{"type": "divider"}] * 51})
    with pytest.raises(Exception, match="3000"):
        check_message(
            {"blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}]}
        )


def test_the_home_chart_is_named_once_with_a_takeaway_and_the_sparkline_is_plain_text() -> None:
    week = dt.date(2026, 11, 23)
    fig = TeamFigures(
        team="support",
        since=week - dt.timedelta(weeks=3),
        weeks=4,
        period=week,
        respondents=9,
        invited=12,
        engagement=68.2,
        sentence="Up 4 points from last week — within noise for 9 respondents",
        series=((week - dt.timedelta(weeks=2), 61.4), (week, 68.2)),
    )
    flat = TeamFigures(
        team="billing",
        since=fig.since,
        weeks=1,
        period=week,
        series=((week - dt.timedelta(weeks=2), 70.2), (week, 69.8)),
    )
    blocks = dashboard_blocks(
        [("Support", fig), ("Billing", flat)],
        weeks=12,
        k=5,
        chart_file_id="F1",
        charted=["Support", "Billing"],
    )
    check_view({"type": "home", "blocks": blocks})
    image = next(b for b in blocks if b["type"] == "image")
    assert image["title"]["text"] == (
        "Engagement now, and since 9 Nov: Support 68, up 7; Billing 70, no change"
    )
    header = next(b for b in blocks if b["type"] == "header")["text"]["text"]
    assert header == "Your teams · last 12 weeks" and header not in image["title"]["text"]
    assert "`" not in sparkline(fig) and sparkline(fig) == "·▂·▇"  # 61 → 68 over its own range
    assert trend_text(fig) == "61 ·▂·▇ 68"
    text = json.dumps(blocks, ensure_ascii=False)
    assert "`·" not in text and "no week with 5+" not in text
    assert card("Billing", TeamFigures("billing", week, 1, None), k=5).endswith("last week.")
