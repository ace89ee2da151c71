"""The closed pulse DM: no buttons, when it closed, turnout only from k people, typed text
shown as text."""

from __future__ import annotations

import json

from bot.blocks.pulse import closed_pulse_message
from bot.blocks.validate import check_message
from tests.bot.test_blocks import QUESTIONS, _snapshot


def _closed(**kw) -> dict:  # type: ignore[no-untyped-def]
    args = dict(
        team_name="Customer Support",
        questions=[q.text for q in QUESTIONS],
        closed_label="Sun 06 Dec, 10:00 CET",
        respondents=9,
        min_group_size=5,
    )
    return closed_pulse_message(**{**args, **kw})


def test_closed_dm_says_when_and_how_many_without_buttons() -> None:
    message = _closed()
    check_message(message)
    _snapshot("pulse_closed", message)
    text = json.dumps(message)
    assert "This pulse closed Sun 06 Dec, 10:00 CET. 9 people answered." in text
    assert not any(b["type"] == "actions" or "accessory" in b for b in message["blocks"])


def test_turnout_is_shown_only_from_k_people() -> None:
    assert "5 people answered" in json.dumps(_closed(respondents=5))
    below = json.dumps(_closed(respondents=4))
    assert "answered" not in below and "This pulse closed Sun 06 Dec, 10:00 CET." in below
    assert "answered" not in json.dumps(_closed(respondents=0))


def test_typed_text_is_plain_text_not_markup() -> None:
    hostile = "<!channel> *bold* <https://evil.example|click>"
    message = _closed(team_name=hostile, questions=[hostile])
    check_message(message)
    for block in message["blocks"]:
        if hostile in json.dumps(block, ensure_ascii=False):
            assert block.get("text", {}).get("type") == "plain_text"
