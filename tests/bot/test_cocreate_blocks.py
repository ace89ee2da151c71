"""The co-created commitment's Slack surfaces: within Slack's limits, typed text kept as text,
and the validation of proposed actions."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from bot import ids
from bot.blocks.cocreate import (
    celebration_message,
    option_block,
    options_errors,
    proposal_modal,
    report_blocks,
)
from bot.blocks.pulse import QuestionItem, pulse_message
from bot.blocks.validate import check_message, check_view
from figures.cocreate import ProposalLine
from settings.i18n import using

HOSTILE = "<!channel> *bold* <https://evil.example|click> & `code` " + "é" * 150


def test_the_vote_in_the_dm_shows_each_action_whole_as_text() -> None:
    item = QuestionItem(7, "Which should it be?", "choice", (HOSTILE[:199], "Shadow a call"))
    dm = pulse_message(
        pulse_id=3, team_name="T", questions=[item], answers={7: 2}, closes_label="Friday"
    )
    check_message(dm)
    said = json.dumps(dm, ensure_ascii=False)
    assert "<!channel>" not in said and "&lt;!channel&gt;" in said
    chosen = [b["accessory"] for b in dm["blocks"] if b.get("block_id", "").startswith("q:7:o")]
    assert [b["text"]["text"] for b in chosen] == ["Choose this", "Chosen"]
    assert [b["value"] for b in chosen] == ["3:7:1", "3:7:2"]


def test_the_proposal_modal_and_the_report_and_the_celebration_fit_slack() -> None:
    check_view(proposal_modal(team_key="t", team_name=HOSTILE, drivers=[("k", "Knowledge")]))
    lines = [
        ProposalLine(("a" * 199, HOSTILE[:199], "c"), "Knowledge", dt.date(2026, 1, 5), s, w, c)
        for s, w, c in [
            ("waiting", None, None),
            ("chosen", HOSTILE[:199], (3, 4, 0)),
            ("chosen", "c", None),
            ("undecided", None, None),
        ]
    ]
    blocks = report_blocks(lines, team_key="t", k=5)
    check_message({"text": "r", "blocks": blocks})
    said = json.dumps(blocks, ensure_ascii=False)
    assert "(votes per action: 1: 3, 2: 4, 3: 0)" in said
    assert "fewer than 5 chose, so nothing was decided" in said
    assert ids.COCREATE_OPEN not in said  # no button while the team still has a choice to make
    settled = json.dumps(report_blocks(lines[1:], team_key="t", k=5))
    assert ids.COCREATE_OPEN in settled  # counted: the manager may propose again
    assert "<!channel>" not in said
    note = celebration_message(team_name=HOSTILE, text=HOSTILE)
    check_message(note)
    assert "<!channel>" not in json.dumps(note)
    plain = celebration_message(team_name="Support", text="Shadow a call")["text"]
    assert not any(ch.isdigit() for ch in plain)  # a celebration carries no figure
    with using("fr"):
        assert "vous l'avez fait" in celebration_message(team_name="T", text="x")["text"]


@pytest.mark.parametrize(
    ("options", "block", "says"),
    [
        (["Shadow a call", ""], 2, "needs two"),
        (["", "Shadow a call"], 1, "needs two"),
        (["   ", "  ", ""], 1, "needs two"),
        (["Shadow a call", "x" * 200], 2, "under 200 characters (200 now)"),
        (["Shadow a call", "shadow a CALL"], 2, "same"),
    ],
)
def test_bad_actions_are_refused_on_their_own_field(
    options: list[str], block: int, says: str
) -> None:
    errors = options_errors(options)
    assert says in errors[option_block(block)]


def test_two_or_three_actions_of_up_to_199_characters_are_fine() -> None:
    assert options_errors(["a", "b"]) == {}
    assert options_errors(["a", "b", ""]) == {}
    assert options_errors(["a" * 199, "b", "c"]) == {}
    forged = options_errors(["a", "b", "c", "d"])  # a forged fourth field
    assert forged == {option_block(1): "Please propose two or three actions."}
