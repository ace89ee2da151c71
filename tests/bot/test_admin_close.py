"""`/pulse admin close TEAM`: HR closes a pulse early; its DMs then show it closed, and a
click from a DM still showing buttons gets the closed answer."""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import urlencode

from bot.messages import SlackMessages
from jobs.delivery import Sender
from sandbox import company
from settings.slack import make_client
from tests.bot.conftest import World

HR = "U0HRLEAD"
USER = company.team_members("support")[0]


def _text(reply: dict) -> str:
    return json.dumps(reply, ensure_ascii=False)


def _click(world: World, dm: dict) -> int:
    """A click on the first answer button of `dm` as it was shown, whatever it shows now."""
    row = next(b for b in dm["blocks"] if b["type"] == "actions")["elements"]
    payload = {
        "type": "block_actions",
        "team": {"id": "T0SANDBOX"},
        "user": {"id": USER},
        "container": {"type": "message", "channel_id": dm["channel"], "message_ts": dm["ts"]},
        "trigger_id": "1.2.3",
        "response_url": world.response_url(USER),
        "actions": [{**row[3], "block_id": "b"}],
    }
    return world.dispatch(urlencode({"payload": json.dumps(payload)}))


def test_hr_closes_a_pulse_early_and_every_dm_shows_it_closed(world: World) -> None:
    ws = world.sandbox.workspace
    assert "for the HR admins" in _text(world.command(USER, "admin close support"))
    stale = ws.dm_messages(USER)[-1]  # the DM as the person's Slack client still shows it
    refused = _text(world.command(HR, "admin send support"))
    assert "Couldn't open a pulse: team 'support' already has a pulse open until" in refused
    assert "Nothing was sent; `/pulse admin close support` closes it early." in refused
    assert ws.dm_messages(USER)[-1]["ts"] == stale["ts"]

    closed = _text(world.command(HR, "admin close support"))
    assert "Closed the *Customer Support* pulse opened" in closed
    assert "everyone's DM will show it closed within a minute" in closed
    again = _text(world.command(HR, "admin close support"))
    assert "Nothing to close: team 'support' has no open pulse to close." in again

    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=10)
    settings = world.settings
    assert settings is not None
    sender = Sender(
        world.engine,
        make_client(settings, retries=False),
        worker="t",
        k=5,
        messages=SlackMessages(),
        rate=200,
        clock=lambda: later,
    )
    assert sender.drain(pulse_id=world.pulse_id, timeout=30).updated == 12
    now = ws.message(stale["channel"], stale["ts"])
    assert now["updates"] == 1
    assert not any(b["type"] == "actions" or "accessory" in b for b in now["blocks"])

    posts = len(ws.response_url_posts())
    assert _click(world, stale) == 200
    assert "This pulse has closed" in ws.response_url_posts()[posts]["body"]["text"]
    assert ws.message(stale["channel"], stale["ts"])["updates"] == 1  # left closed
