"""Signed requests into an app: signatures slack_sdk accepts, and Slack-shaped payloads."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier

from sandbox import SandboxServer, SlackSender, Workspace, sign
from sandbox.payloads import NoSuchButton, NoSuchInput

SECRET = "sandbox-signing-secret"
QUESTION: list[dict[str, Any]] = [
    {"type": "section", "block_id": "q1", "text": {"type": "mrkdwn", "text": "Energy?"}},
    {
        "type": "actions",
        "block_id": "a1",
        "elements": [
            {
                "type": "button",
                "text": {"type": "plain_text", "text": str(score)},
                "action_id": f"answer_{score}",  # Slack: unique within a block
                "value": str(score),
            }
            for score in (1, 5)
        ],
    },
]


def payload_of(receiver) -> dict:
    return json.loads(receiver.requests[-1]["form"]["payload"])


def test_sign_matches_slack_sdk_verifier() -> None:
    body, now = b"token=x&text=hello%20world", int(time.time())
    headers = sign(SECRET, body, now)
    assert headers["X-Slack-Signature"].startswith("v0=")
    assert SignatureVerifier(SECRET).is_valid(body, str(now), headers["X-Slack-Signature"])
    assert not SignatureVerifier("other-secret").is_valid(
        body, str(now), headers["X-Slack-Signature"]
    )


def test_slash_command_form_and_usable_trigger(
    sender: SlackSender, receiver, client: WebClient, workspace: Workspace
) -> None:
    assert sender.slash_command("U0ALICE", "team support").status == 200
    request = receiver.requests[-1]
    assert request["valid"]
    form = request["form"]
    assert (form["command"], form["text"], form["user_id"]) == ("/pulse", "team support", "U0ALICE")
    assert form["channel_id"] == workspace.dm_id("U0ALICE") and form["team_id"] == "T0SANDBOX"
    assert form["response_url"].startswith(sender.server.base + "/response/")
    modal = {"type": "modal", "title": {"type": "plain_text", "text": "Hi"}, "blocks": []}
    assert client.views_open(trigger_id=form["trigger_id"], view=modal)["ok"]


def test_stale_timestamp_and_bad_signature_are_refused(sender: SlackSender, receiver) -> None:
    assert sender.slash_command("U0ALICE", "", timestamp=int(time.time()) - 600).status == 401
    body = b"command=%2Fpulse"
    headers = {**sign("wrong-secret", body, int(time.time())), "Content-Type": "x"}
    assert sender.post_raw(body, headers).status == 401


def test_click_sends_a_block_actions_payload(
    sender: SlackSender, receiver, client: WebClient
) -> None:
    posted = client.chat_postMessage(channel="U0ALICE", text="Q", blocks=QUESTION)
    message = sender.workspace.dm_messages("U0ALICE")[0]
    assert sender.click("U0ALICE", message, action_id="answer_5", value="5").status == 200
    payload = payload_of(receiver)
    assert payload["type"] == "block_actions" and payload["user"]["id"] == "U0ALICE"
    assert payload["container"] == {
        "type": "message",
        "message_ts": posted["ts"],
        "channel_id": posted["channel"],
        "is_ephemeral": False,
    }
    [action] = payload["actions"]
    assert (action["action_id"], action["block_id"], action["value"]) == ("answer_5", "a1", "5")
    assert payload["message"]["ts"] == posted["ts"] and payload["message"]["blocks"] == QUESTION
    assert payload["response_url"].startswith(sender.server.base + "/response/")
    assert payload["state"] == {"values": {}} and payload["channel"]["id"] == posted["channel"]


def test_clicking_a_button_the_bot_never_sent_fails(sender: SlackSender, client: WebClient) -> None:
    client.chat_postMessage(channel="U0ALICE", text="Q", blocks=QUESTION)
    message = sender.workspace.dm_messages("U0ALICE")[0]
    with pytest.raises(NoSuchButton, match="action_id='answer_5', value='3'"):
        sender.click("U0ALICE", message, action_id="answer_5", value="3")
    with pytest.raises(NoSuchButton):
        sender.click("U0ALICE", message, action_id="skip")
    client.chat_delete(channel=message["channel"], ts=message["ts"])
    with pytest.raises(LookupError, match="message_not_found"):  # deleted: nothing to press
        sender.click("U0ALICE", message, action_id="answer_5")


def test_home_click_and_view_submission(sender: SlackSender, receiver, client: WebClient) -> None:
    home = client.views_publish(user_id="U0BOB", view={"type": "home", "blocks": QUESTION})["view"]
    sender.home_click("U0BOB", home, action_id="answer_1", value="1")
    payload = payload_of(receiver)
    assert payload["container"] == {"type": "view", "view_id": home["id"]}
    assert payload["view"]["id"] == home["id"] and "response_url" not in payload

    modal = {
        "type": "modal",
        "callback_id": "comment",
        "title": {"type": "plain_text", "text": "Comment"},
        "blocks": [
            {
                "type": "input",
                "block_id": "comment",
                "label": {"type": "plain_text", "text": "Say"},
                "element": {"type": "plain_text_input", "action_id": "text"},
            }
        ],
    }
    trigger = sender.workspace.issue_trigger("U0BOB")
    view = client.views_open(trigger_id=trigger, view=modal)["view"]
    receiver.reply = lambda request: (200, '{"response_action": "errors", "errors": {}}')
    values = {"comment": {"text": {"type": "plain_text_input", "value": "more coffee"}}}
    result = sender.submit_view("U0BOB", view, values)
    assert result.json()["response_action"] == "errors"
    submitted = payload_of(receiver)
    assert submitted["type"] == "view_submission" and submitted["view"]["callback_id"] == "comment"
    assert submitted["view"]["state"]["values"] == values
    with pytest.raises(NoSuchInput):
        sender.submit_view("U0BOB", view, {"nope": {"text": {"type": "x", "value": "y"}}})


def test_events_have_unique_ids_and_retries_replay_the_body(
    sender: SlackSender, receiver, client: WebClient
) -> None:
    client.views_publish(user_id="U0CAROL", view={"type": "home", "blocks": []})
    first = sender.app_home_opened("U0CAROL")
    sender.event({"type": "app_mention", "user": "U0CAROL", "text": "hi"})
    envelopes = [json.loads(r["raw"]) for r in receiver.requests]
    assert envelopes[0]["type"] == "event_callback"
    assert envelopes[0]["event"]["type"] == "app_home_opened"
    assert envelopes[0]["event"]["view"]["type"] == "home"
    assert envelopes[0]["event_id"] != envelopes[1]["event_id"]

    retried = sender.resend(first)
    again = sender.resend(retried, reason="http_error")
    assert retried.request_body == first.request_body == again.request_body
    headers = [r["headers"] for r in receiver.requests[-2:]]
    assert [h["x-slack-retry-num"] for h in headers] == ["1", "2"]
    assert [h["x-slack-retry-reason"] for h in headers] == ["http_timeout", "http_error"]
    assert all(r["valid"] for r in receiver.requests)


def test_sender_needs_no_running_app_to_fail_clearly(
    server: SandboxServer, workspace: Workspace
) -> None:
    sender = SlackSender("http://127.0.0.1:9/slack/events", SECRET, server, timeout=1)
    with pytest.raises(OSError):
        sender.slash_command("U0ALICE", "")
