"""Closing the loop: a manager commits, the team sees it, the next pulse asks if it helped."""

from __future__ import annotations

import json

import pytest

from bot import ids
from sandbox import company
from tests.acceptance.conftest import Stack, wait_for

# HTTP on SQLite: commitments' storage runs on PostgreSQL in tests/bot/test_cocreate.py
# and the storage tests
pytestmark = pytest.mark.databases("sqlite")

SUPPORT = company.team_members("support")


def _everyone_answers(stack: Stack, value_index: int = 3) -> None:
    for user in SUPPORT[:6]:
        for row in [b for b in stack.latest_dm(user)["blocks"] if b["type"] == "actions"]:
            button = row["elements"][value_index]
            before = json.dumps(stack.latest_dm(user))
            stack.slack.click(
                user, stack.latest_dm(user), action_id=button["action_id"], value=button["value"]
            )
            wait_for(lambda user=user, before=before: json.dumps(stack.latest_dm(user)) != before)


def _send(stack: Stack) -> None:
    result = stack.pulse("send-pulse", "--team", "support")
    assert result.returncode == 0, result.stderr


def test_commitment_is_announced_then_followed_up_and_reported(stack: Stack) -> None:
    assert stack.pulse("teams", "sync").returncode == 0
    _send(stack)
    _everyone_answers(stack)
    stack.close_pulses()
    stack.reply_to("U0MANAGER", "report")
    report = stack.ws.ephemerals("U0MANAGER")[-1]
    stack.slack.click("U0MANAGER", report, action_id=ids.COMMIT_OPEN)
    wait_for(lambda: any(v["type"] == "modal" for v in stack.ws.views("U0MANAGER")))
    modal = [v for v in stack.ws.views("U0MANAGER") if v["type"] == "modal"][-1]

    promise = "We protect Friday afternoons for training"
    text = {
        ids.COMMIT_TEXT_BLOCK: {ids.COMMIT_TEXT: {"type": "plain_text_input", "value": promise}}
    }
    no_focus = stack.slack.submit_view("U0MANAGER", modal, text)
    assert no_focus.json()["response_action"] == "errors"
    focus = {
        ids.COMMIT_DRIVER_BLOCK: {
            ids.COMMIT_DRIVER: {"type": "static_select", "selected_option": {"value": "knowledge"}}
        }
    }
    saved = stack.slack.submit_view("U0MANAGER", modal, {**text, **focus})
    assert saved.json()["response_action"] == "update"

    _send(stack)  # the next pulse announces it
    assert all(promise in json.dumps(stack.latest_dm(u), ensure_ascii=False) for u in SUPPORT)
    stack.close_pulses()  # one pulse open per team at a time
    _send(stack)  # the one after asks whether it made a difference
    followup = json.dumps(stack.latest_dm(SUPPORT[0]), ensure_ascii=False)
    assert "this commitment has made a real difference" in followup
    _everyone_answers(stack, value_index=4)  # Strongly agree
    pending = json.dumps(stack.reply_to("U0MANAGER", "report"), ensure_ascii=False)
    assert "follow-up question pending" in pending  # no figure while it is open
    stack.close_pulses()

    reply = json.dumps(stack.reply_to("U0MANAGER", "report"), ensure_ascii=False)
    assert promise in reply
    assert "follow-up: 5.0 / 5 from 6 people; the team says it was kept" in reply
