"""Messages through the real WebClient: post, update, delete, DMs, history, errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from sandbox import SandboxServer, Workspace

BUTTONS: list[dict[str, Any]] = [
    {"type": "section", "text": {"type": "mrkdwn", "text": "How is your *energy*?"}},
    {
        "type": "actions",
        "elements": [
            {"type": "button", "text": {"type": "plain_text", "text": "Low"}, "action_id": "a1"},
            {"type": "button", "text": {"type": "plain_text", "text": "High"}, "action_id": "a5"},
        ],
    },
]


SECTION_3001 = {"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}


def error_of(call, **kwargs) -> str:
    with pytest.raises(SlackApiError) as raised:
        call(**kwargs)
    return raised.value.response["error"]


def test_dm_flow_open_post_update_delete(client: WebClient, workspace: Workspace) -> None:
    dm = client.conversations_open(users="U0ALICE")["channel"]["id"]
    assert dm == client.conversations_open(users=["U0ALICE"])["channel"]["id"]  # stable
    metadata = {"event_type": "pulse_question", "event_payload": {"pulse": 7}}
    posted = client.chat_postMessage(channel=dm, text="Q1", blocks=BUTTONS, metadata=metadata)
    assert posted["channel"] == dm
    client.chat_update(channel=dm, ts=posted["ts"], text="Thanks!", blocks=[])

    [message] = workspace.dm_messages("U0ALICE")
    assert message["text"] == "Thanks!" and message["updates"] == 1
    assert message["user"] == workspace.bot_user_id and message["metadata"] == metadata
    client.chat_delete(channel=dm, ts=posted["ts"])
    assert workspace.dm_messages("U0ALICE") == []


def test_posting_to_a_user_id_lands_in_their_dm(client: WebClient, workspace: Workspace) -> None:
    posted = client.chat_postMessage(channel="U0BOB", text="hello")
    assert posted["channel"].startswith("D")
    assert [m["text"] for m in workspace.dm_messages("U0BOB")] == ["hello"]
    assert workspace.messages(posted["channel"])[0]["ts"] == posted["ts"]


def test_ts_is_slack_shaped_unique_and_increasing(client: WebClient) -> None:
    stamps = [client.chat_postMessage(channel="C0GENERAL", text=str(i))["ts"] for i in range(20)]
    assert all(len(ts.split(".")[1]) == 6 for ts in stamps)
    assert stamps == sorted(set(stamps), key=float)


def test_buttons_get_block_ids_like_slack(client: WebClient, workspace: Workspace) -> None:
    client.chat_postMessage(channel="C0GENERAL", text="q", blocks=BUTTONS)
    [message] = workspace.messages("C0GENERAL")
    assert all(block["block_id"] for block in message["blocks"])


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"channel": "C0NOPE", "text": "x"}, "channel_not_found"),
        ({"channel": "C0GENERAL"}, "no_text"),
        ({"channel": "C0GENERAL", "text": "x" * 40_001}, "msg_too_long"),
        (
            {"channel": "C0GENERAL", "text": "t", "blocks": [{"type": "divider"}] * 51},
            "invalid_blocks",
        ),
        (
            {"channel": "C0GENERAL", "blocks": [{"text": {"type": "mrkdwn", "text": "x"}}]},
            "invalid_blocks",
        ),
        (
            {
                "channel": "C0GENERAL",
                "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}],
            },
            "invalid_blocks",
        ),
    ],
)
def test_post_errors_store_nothing(
    client: WebClient, workspace: Workspace, kwargs: dict, error: str
) -> None:
    assert error_of(client.chat_postMessage, **kwargs) == error
    assert workspace.messages() == []


def test_update_and_delete_unknown_message(client: WebClient) -> None:
    assert error_of(client.chat_update, channel="C0GENERAL", ts="1.000001", text="x") == (
        "message_not_found"
    )
    assert error_of(client.chat_delete, channel="C0GENERAL", ts="1.000001") == "message_not_found"


def test_dm_blocked_and_deactivated_users(client: WebClient, workspace: Workspace) -> None:
    workspace.set_dm_blocked("U0CAROL")
    dm = client.conversations_open(users="U0CAROL")["channel"]["id"]
    assert error_of(client.chat_postMessage, channel=dm, text="hi") == "messages_tab_disabled"
    workspace.add_user("U0GONE", "gone", deleted=True)
    assert error_of(client.conversations_open, users="U0GONE") == "user_disabled"
    assert error_of(client.conversations_open, users="U0NOBODY") == "user_not_found"
    assert error_of(client.conversations_open, users=workspace.bot_user_id) == "cannot_dm_bot"
    assert workspace.messages() == []


def test_ephemeral_needs_channel_membership(client: WebClient, workspace: Workspace) -> None:
    ts = client.chat_postEphemeral(channel="C0GENERAL", user="U0ALICE", text="psst")["message_ts"]
    assert workspace.ephemerals("U0ALICE")[0]["ts"] == ts
    error = error_of(client.chat_postEphemeral, channel="C0GENERAL", user="U0ERIN", text="x")
    assert error == "user_not_in_channel"
    assert workspace.messages() == []


def test_history_newest_first_with_metadata_only_on_request(client: WebClient) -> None:
    metadata = {"event_type": "digest", "event_payload": {"week": 3}}
    first = client.chat_postMessage(channel="C0GENERAL", text="one", metadata=metadata)["ts"]
    second = client.chat_postMessage(channel="C0GENERAL", text="two")["ts"]
    plain = client.conversations_history(channel="C0GENERAL")["messages"]
    assert [m["ts"] for m in plain] == [second, first]
    assert all("metadata" not in m for m in plain)
    rich = client.conversations_history(channel="C0GENERAL", include_all_metadata=True)
    assert rich["messages"][1]["metadata"] == metadata
    newer = client.conversations_history(channel="C0GENERAL", oldest=first)["messages"]
    assert [m["text"] for m in newer] == ["two"]


def test_form_encoded_bodies_decode_json_arguments(client: WebClient, workspace: Workspace) -> None:
    params = {"channel": "C0GENERAL", "text": "f", "blocks": json.dumps(BUTTONS)}
    client.api_call("chat.postMessage", params=params)
    assert workspace.messages()[0]["blocks"][0]["text"]["text"] == "How is your *energy*?"
    [call] = workspace.calls("chat.postMessage")
    assert call["params"]["blocks"][1]["type"] == "actions" and call["status"] == 200


def test_auth_and_unknown_methods(server: SandboxServer, client: WebClient) -> None:
    assert client.auth_test()["user_id"] == server.workspace.bot_user_id
    bad = WebClient(token="xoxb-wrong", base_url=server.url, retry_handlers=[])
    assert error_of(bad.auth_test) == "invalid_auth"
    anonymous = WebClient(base_url=server.url, retry_handlers=[])
    assert error_of(anonymous.chat_postMessage, channel="C0GENERAL", text="x") == "not_authed"
    assert error_of(client.api_call, api_method="chat.teleport") == "unknown_method"
    assert server.workspace.messages() == []


def test_calls_are_recorded_and_resettable(server: SandboxServer, client: WebClient) -> None:
    client.chat_postMessage(channel="C0GENERAL", text="x")
    [call] = server.workspace.calls("chat.postMessage")
    assert call["params"]["channel"] == "C0GENERAL" and call["status"] == 200
    server.workspace.reset_calls()
    assert server.workspace.calls() == []


def test_concurrent_posts_are_all_kept_with_unique_ts(
    make_client: Callable[..., WebClient], workspace: Workspace
) -> None:
    def post(n: int) -> list[str]:
        client = make_client()
        return [client.chat_postMessage(channel="C0GENERAL", text=f"{n}")["ts"] for _ in range(25)]

    with ThreadPoolExecutor(max_workers=8) as pool:
        stamps = [ts for batch in pool.map(post, range(8)) for ts in batch]
    assert len(set(stamps)) == 200
    assert sorted(m["ts"] for m in workspace.messages()) == sorted(stamps)
