"""App Home, modals, files upload v2 and response URLs through the real slack_sdk clients."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from sandbox import SandboxServer, Workspace

MODAL = {
    "type": "modal",
    "callback_id": "comment",
    "title": {"type": "plain_text", "text": "Comment"},
    "blocks": [
        {
            "type": "input",
            "block_id": "comment",
            "label": {"type": "plain_text", "text": "Anything else?"},
            "element": {"type": "plain_text_input", "action_id": "text"},
        }
    ],
}
HOME = {"type": "home", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Hi"}}]}


def test_publish_home_keeps_one_view_per_user(client: WebClient, workspace: Workspace) -> None:
    first = client.views_publish(user_id="U0ALICE", view=HOME)["view"]
    second = client.views_publish(user_id="U0ALICE", view={**HOME, "private_metadata": "2"})
    assert second["view"]["id"] == first["id"]
    [home] = workspace.views("U0ALICE")
    assert home["type"] == "home" and home["private_metadata"] == "2"


def test_publish_refuses_more_than_100_blocks(client: WebClient) -> None:
    too_big = {"type": "home", "blocks": [{"type": "divider"}] * 101}
    with pytest.raises(SlackApiError, match="invalid_arguments"):
        client.views_publish(user_id="U0ALICE", view=too_big)
    with pytest.raises(SlackApiError, match="user_not_found"):
        client.views_publish(user_id="U0NOBODY", view=HOME)


def test_views_open_needs_a_fresh_trigger(client: WebClient, workspace: Workspace) -> None:
    trigger = workspace.issue_trigger("U0ALICE")
    view = client.views_open(trigger_id=trigger, view=MODAL)["view"]
    assert workspace.views("U0ALICE")[0]["id"] == view["id"]
    for bad, error in [
        (trigger, "exchanged_trigger_id"),
        (workspace.issue_trigger("U0ALICE", age=3.5), "expired_trigger_id"),
        ("123.456.nope", "invalid_trigger_id"),
    ]:
        with pytest.raises(SlackApiError, match=error):
            client.views_open(trigger_id=bad, view=MODAL)
    updated = client.views_update(view_id=view["id"], view={**MODAL, "callback_id": "done"})
    assert updated["view"]["id"] == view["id"]
    assert workspace.views("U0ALICE")[-1]["callback_id"] == "done"


def test_files_upload_v2_end_to_end(client: WebClient, workspace: Workspace) -> None:
    chart = bytes(range(256)) * 40
    response = client.files_upload_v2(
        channel="C0GENERAL",
        content=chart,
        filename="engagement.png",
        title="Engagement",
        initial_comment="This week's chart",
    )
    assert response["file"]["title"] == "Engagement"
    [stored] = workspace.files()
    assert stored["bytes"] == chart and stored["filename"] == "engagement.png"
    assert stored["channel_id"] == "C0GENERAL" and stored["initial_comment"] == "This week's chart"
    [message] = workspace.messages("C0GENERAL")
    assert message["text"] == "This week's chart" and message["files"][0]["id"] == stored["id"]


def test_response_url_replace_original_updates_the_message(
    server: SandboxServer, client: WebClient, workspace: Workspace
) -> None:
    posted = client.chat_postMessage(channel="U0ALICE", text="Q1")
    path = workspace.new_response_url(
        "block_actions", channel=posted["channel"], message_ts=posted["ts"], user_id="U0ALICE"
    )
    webhook = WebhookClient(server.base + path)
    assert webhook.send(text="Thanks!", replace_original=True).status_code == 200
    assert workspace.dm_messages("U0ALICE")[0]["text"] == "Thanks!"
    [post] = workspace.response_url_posts()
    assert post["kind"] == "block_actions" and post["body"]["replace_original"] is True
    webhook.send(text="", delete_original=True)
    assert workspace.dm_messages("U0ALICE") == []


def test_slash_command_response_url_defaults_to_ephemeral(
    server: SandboxServer, workspace: Workspace
) -> None:
    path = workspace.new_response_url("slash_command", channel="C0GENERAL", user_id="U0BOB")
    WebhookClient(server.base + path).send(text="Only you can see this")
    assert [e["text"] for e in workspace.ephemerals("U0BOB")] == ["Only you can see this"]
    WebhookClient(server.base + path).send(text="Everyone", response_type="in_channel")
    assert [m["text"] for m in workspace.messages("C0GENERAL")] == ["Everyone"]
    assert len(workspace.response_url_posts()) == 2
    assert WebhookClient(server.base + "/response/unknown").send(text="x").status_code == 404
