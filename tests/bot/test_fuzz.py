"""Hostile and malformed input on every inbound Slack path, through the real Bolt app.

Requests are signed exactly as Slack signs them and dispatched in-process with listeners
finishing before the reply, so each example can check: Slack got a 200 ack (never a 500
or a trace), the error handler never fired, and nothing was written.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot import ids
from sandbox import company
from tests.bot.conftest import World

USER = company.team_members("support")[0]
FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


junk = st.text(max_size=200)


@FUZZ
@given(text=junk, user=st.sampled_from([USER, "U0MANAGER", "U0HRLEAD", "UNOBODY", ""]))
def test_any_slash_command_text_gets_an_answer_not_an_error(
    world: World, text: str, user: str
) -> None:
    form = {
        "team_id": "T0SANDBOX",
        "user_id": user,
        "command": "/pulse",
        "text": text,
        "response_url": world.response_url(USER),
        "trigger_id": "1.2.3",
        "channel_id": "D0X",
    }
    assert world.dispatch(urlencode(form)) == 200
    assert world.errors == []


@FUZZ
@given(
    action_id=st.sampled_from(
        [
            f"{ids.ANSWER}:3",
            f"{ids.ANSWER}:x",
            ids.TEXT_ANSWER,
            ids.COMMENT,
            ids.HOME_PAUSE,
            ids.MYDATA_ERASE,
        ]
    ),
    value=st.one_of(junk, st.from_regex(r"-?\d{1,6}:-?\d{1,6}:-?\d{1,3}", fullmatch=True)),
    user=st.sampled_from(["UNOBODY", "U0HRLEAD", ""]),
)
def test_forged_or_malformed_clicks_write_nothing(
    world: World, action_id: str, value: str, user: str
) -> None:
    before = world.counts()
    payload = {
        "type": "block_actions",
        "team": {"id": "T0SANDBOX"},
        "user": {"id": user},
        "container": {"type": "message", "channel_id": "D0X", "message_ts": "1.000001"},
        "trigger_id": "1.2.3",
        "response_url": world.response_url(USER),
        "actions": [{"action_id": action_id, "block_id": "b", "type": "button", "value": value}],
    }
    assert world.dispatch(urlencode({"payload": json.dumps(payload)})) == 200
    assert world.errors == []
    assert world.counts() == before


@FUZZ
@given(
    metadata=st.one_of(
        junk, st.from_regex(r"\d{1,4}:\d{1,4}:[A-Z0-9]{0,6}:[0-9.]{0,8}", fullmatch=True)
    ),
    text=junk,
    user=st.sampled_from([USER, "UNOBODY"]),
)
@example(metadata="1:0:0:0", text="000", user=USER)  # own comment, a DM that is not theirs
@example(metadata="1:0:D0MANAGER:1.000001", text="hello", user=USER)
def test_forged_modal_submissions_write_nothing(
    world: World, metadata: str, text: str, user: str
) -> None:
    before = world.counts()
    payload = {
        "type": "view_submission",
        "team": {"id": "T0SANDBOX"},
        "user": {"id": user},
        "trigger_id": "1.2.3",
        "view": {
            "id": "V1",
            "type": "modal",
            "callback_id": ids.TEXT_MODAL,
            "private_metadata": metadata,
            "state": {
                "values": {
                    ids.TEXT_BLOCK: {ids.TEXT_INPUT: {"type": "plain_text_input", "value": text}}
                }
            },
        },
    }
    updates = len(world.sandbox.workspace.calls("chat.update"))
    assert world.dispatch(urlencode({"payload": json.dumps(payload)})) == 200
    assert world.errors == []
    own = _own_comment(world, metadata, user, text)
    assert world.counts() == before or own  # only a person's own text on their own pulse
    # the DM updated is the person's own, whatever channel and ts the metadata names
    changed = world.sandbox.workspace.calls("chat.update")[updates:]
    assert {c["params"].get("channel") for c in changed} <= {world.sandbox.workspace.dm_id(USER)}


def _own_comment(world: World, metadata: str, user: str, text: str) -> bool:
    """Metadata naming the person's own pulse (its free comment or a written question) with
    a valid text is not forged: it is what the modal sends, whatever its DM part says."""
    parts = metadata.split(":")
    return (
        user == USER
        and len(parts) == 4
        and parts[0].isdigit()
        and int(parts[0]) == world.pulse_id
        and bool(text.strip())
    )


@FUZZ
@given(
    event=st.fixed_dictionaries(
        {"type": st.sampled_from(["app_home_opened", "message", "app_mention", "team_join"])},
        optional={
            "user": st.sampled_from([USER, "UNOBODY", ""]),
            "tab": st.sampled_from(["home", "messages"]),
            "text": junk,
        },
    )
)
def test_events_of_any_shape_are_acknowledged(world: World, event: dict) -> None:
    before = world.counts()
    envelope = {
        "type": "event_callback",
        "team_id": "T0SANDBOX",
        "api_app_id": "A0PULSE",
        "event": event,
        "event_id": "Ev1",
        "event_time": 1,
    }
    assert world.dispatch(json.dumps(envelope), "application/json") == 200
    assert world.errors == []
    assert world.counts() == before


def test_the_fuzzers_would_see_a_write(world: World) -> None:
    """Control: a genuine click through the same path does write (so the checks can fail)."""
    dm = world.sandbox.workspace.dm_messages(USER)[-1]
    button = next(b for b in dm["blocks"] if b["type"] == "actions")["elements"][0]
    before = world.counts()
    payload = {
        "type": "block_actions",
        "team": {"id": "T0SANDBOX"},
        "user": {"id": USER},
        "container": {"type": "message", "channel_id": dm["channel"], "message_ts": dm["ts"]},
        "trigger_id": "1.2.3",
        "response_url": world.response_url(USER),
        "actions": [{**button, "block_id": "b"}],
    }
    assert world.dispatch(urlencode({"payload": json.dumps(payload)})) == 200
    assert world.counts()[0] == before[0] + 1
