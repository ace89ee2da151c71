"""Closing the loop: a manager commits, the team sees it, the next pulse asks if it helped;
or the manager proposes actions and the team chooses its commitment in its next pulse."""

from __future__ import annotations

import datetime as dt
import json
import os
from typing import Any

import pytest
from sqlmodel import col, update

from bot import ids
from bot.messages import SlackMessages
from jobs import closing, sync
from jobs.delivery import Sender
from jobs.pulses import open_now
from sandbox import company
from settings.runtime import Settings
from settings.slack import make_client
from storage.db import session_scope
from storage.models import Pulse
from storage.org import workspace_by_slack_id
from tests.acceptance.conftest import SECRET, Stack, wait_for

# HTTP on SQLite: commitments' storage runs on PostgreSQL in tests/bot/test_cocreate.py
# and the storage tests; the team's choice (a vote tally in SQL) runs on both
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


SUCCESS = company.team_members("success")  # eight people
ONBOARDING = company.team_members("onboarding")  # six people and their lead
ACTIONS = ["No meetings on Friday mornings", "A buddy for every new starter", "Shadow a call"]


def _propose(stack: Stack, manager: str, actions: list[str]) -> dict[str, Any]:
    """The manager's report → *Let the team choose* → the modal, submitted."""
    stack.reply_to(manager, "report")
    stack.slack.click(manager, stack.ws.ephemerals(manager)[-1], action_id=ids.COCREATE_OPEN)

    def modal() -> dict[str, Any] | None:
        shown = [v for v in stack.ws.views(manager) if v.get("callback_id") == ids.COCREATE_MODAL]
        return shown[-1] if shown else None

    wait_for(lambda: modal() is not None)
    values: dict[str, Any] = {
        ids.COMMIT_DRIVER_BLOCK: {
            ids.COMMIT_DRIVER: {
                "type": "static_select",
                "selected_option": {"value": "recognition"},
            }
        }
    }
    for n, text in enumerate(actions, start=1):
        values[f"{ids.COCREATE_OPTION}:{n}"] = {
            ids.COCREATE_OPTION: {"type": "plain_text_input", "value": text}
        }
    return dict(stack.slack.submit_view(manager, modal() or {}, values).json())


def _button(dm: dict[str, Any], n: int) -> dict[str, Any]:
    """The *Choose this* button of the n-th proposed action in a pulse DM."""
    return next(b["accessory"] for b in dm["blocks"] if b.get("block_id", "").endswith(f":o{n}"))


def _choose(stack: Stack, user: str, n: int, *, forged_value: str | None = None) -> str:
    """Click the n-th action in the user's latest DM: the DM as updated, or the notice."""
    dm, notices = stack.latest_dm(user), len(stack.ws.response_url_posts())
    before = json.dumps(dm)
    button = _button(dm, n)
    stack.slack.click(
        user, dm, action_id=button["action_id"], value=button["value"], forged_value=forged_value
    )
    wait_for(
        lambda: (
            json.dumps(stack.latest_dm(user)) != before
            or len(stack.ws.response_url_posts()) > notices
        )
    )
    if len(stack.ws.response_url_posts()) > notices:
        return json.dumps(stack.ws.response_url_posts()[-1]["body"])
    return json.dumps(stack.latest_dm(user), ensure_ascii=False)


def _close(stack: Stack) -> None:
    """Close every open pulse now through the worker's closing job (it counts the votes)."""
    now = dt.datetime.now(dt.UTC)
    with session_scope(stack.engine) as s:
        s.exec(
            update(Pulse)
            .where(col(Pulse.closed_at).is_(None))
            .values(closes_at=now - dt.timedelta(seconds=1))
        )
        closing.run(s, now=now, secret=SECRET.encode())


def _send_both(stack: Stack) -> None:
    """Open a pulse for both teams and deliver it, as `pulse send-pulse` does, in this process
    (the CLI's start-up would cost seconds a call: the suite's budget)."""
    settings = Settings.from_env({**os.environ, **stack.env})
    now = dt.datetime.now(dt.UTC)
    with session_scope(stack.engine) as s:
        ws = workspace_by_slack_id(s, slack_team_id=stack.ws.team_id)
        assert ws is not None and ws.id is not None
        opened = [
            open_now(
                s,
                config=settings.config,
                bank=settings.bank,
                workspace_id=ws.id,
                team_key=key,
                now=now,
            )
            for key in ("success", "onboarding")
        ]
    sender = Sender.from_settings(settings, stack.engine, worker="t", messages=SlackMessages())
    for pulse in opened:
        sender.drain(pulse_id=pulse.pulse_id, timeout=30)
    assert sender.stats.failed == 0


@pytest.mark.databases("sqlite", "postgresql")  # the vote tally is counted in SQL
def test_the_team_chooses_its_commitment_from_k_voters(stack: Stack) -> None:
    settings = Settings.from_env({**os.environ, **stack.env})
    with session_scope(stack.engine) as s:
        sync.run(s, make_client(settings), settings.config, dt.datetime.now(dt.UTC))
    _send_both(stack)  # a first pulse: a report (and its buttons) needs k respondents
    for user in SUCCESS[:5] + ONBOARDING[:5]:
        dm = stack.latest_dm(user)
        button = next(b for b in dm["blocks"] if b["type"] == "actions")["elements"][3]
        stack.slack.click(user, dm, action_id=button["action_id"], value=button["value"])
    wait_for(lambda: all("Recorded" in json.dumps(stack.latest_dm(u)) for u in SUCCESS[:5]))
    wait_for(lambda: all("Recorded" in json.dumps(stack.latest_dm(u)) for u in ONBOARDING[:5]))
    _close(stack)

    assert _propose(stack, "U0SUCCESSLEAD", ACTIONS)["response_action"] == "update"
    assert _propose(stack, "U0ONBOARDLEAD", ACTIONS[:2])["response_action"] == "update"
    _send_both(stack)
    assert "which should it be?" in json.dumps(stack.latest_dm(SUCCESS[0]))
    success_vote = _button(stack.latest_dm(SUCCESS[0]), 1)["value"]  # pulse:question:1
    onboarding_vote = _button(stack.latest_dm(ONBOARDING[0]), 1)["value"]
    pulse_id = int(success_vote.split(":")[0])

    for user, n in zip(SUCCESS, [1, 2, 2, 3, 2, 1], strict=False):
        assert "Chosen" in _choose(stack, user, n)
    _choose(stack, SUCCESS[0], 2)  # changeable until the close: 1, 4, 1
    for user in ONBOARDING[:4]:  # fewer than k = 5 choose
        _choose(stack, user, 1)
    held = stack.answers(pulse_id)
    assert len(held) == 6
    open_report = json.dumps(stack.reply_to("U0SUCCESSLEAD", "report"), ensure_ascii=False)
    assert "the team is choosing until the pulse closes" in open_report  # no count while open
    assert "votes per action" not in open_report
    assert ids.COCREATE_OPEN not in open_report  # one choice at a time

    # forged votes, signed as Slack signs them: a clear notice, nothing changes
    outsider = _choose(stack, ONBOARDING[5], 1, forged_value=success_vote)
    other_team = _choose(
        stack, SUCCESS[6], 1, forged_value=f"{pulse_id}:{onboarding_vote.split(':')[1]}:1"
    )
    no_such_action = _choose(stack, SUCCESS[6], 1, forged_value=success_vote[:-1] + "4")
    for notice in (outsider, other_team, no_such_action):
        assert "wasn't sent to you, so nothing was recorded" in notice
    assert stack.answers(pulse_id) == held

    _close(stack)
    late = _choose(stack, SUCCESS[7], 3)
    assert "This pulse has closed, so answers can no longer be changed" in late
    assert len(stack.answers(pulse_id)) == 6

    success = json.dumps(stack.reply_to("U0SUCCESSLEAD", "report"), ensure_ascii=False)
    assert f"the team chose “{ACTIONS[1]}” (votes per action: 1: 1, 2: 4, 3: 1)" in success
    onboarding = json.dumps(stack.reply_to("U0ONBOARDLEAD", "report"), ensure_ascii=False)
    assert "fewer than 5 chose, so nothing was decided and no choice is shown" in onboarding
    assert not any(f"“{a}”" in onboarding for a in ACTIONS)
    again = _propose(stack, "U0ONBOARDLEAD", ACTIONS[1:])  # counted: propose again at once
    assert again["response_action"] == "update"

    _send_both(stack)
    announced = "Your team's commitment since the last pulse"
    assert announced in json.dumps(stack.latest_dm(SUCCESS[7]))
    assert ACTIONS[1] in json.dumps(stack.latest_dm(SUCCESS[7]), ensure_ascii=False)
    assert announced not in json.dumps(stack.latest_dm(ONBOARDING[0]))
    assert "which should it be?" in json.dumps(stack.latest_dm(ONBOARDING[0]))  # asked again
    _close(stack)
