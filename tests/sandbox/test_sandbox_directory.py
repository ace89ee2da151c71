"""People and channels through the real WebClient: pagination, lookups, user groups."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from sandbox import Workspace


def test_users_list_paginates_with_cursors(client: WebClient, workspace: Workspace) -> None:
    pages = [page["members"] for page in client.users_list(limit=2)]
    assert [len(page) for page in pages] == [2, 2, 2]  # five people and the bot itself
    listed = [member["id"] for page in pages for member in page]
    assert sorted(listed) == sorted([*(u["id"] for u in workspace.all_users())])
    assert len(set(listed)) == 6


def test_users_list_default_limit_is_one_page(client: WebClient) -> None:
    response = client.users_list()
    assert len(response["members"]) == 6
    assert response["response_metadata"]["next_cursor"] == ""


def test_conversation_members_paginate(client: WebClient, workspace: Workspace) -> None:
    workspace.add_channel("C0ALL", "everyone", ["U0ALICE", "U0BOB", "U0CAROL", "U0DAN", "U0ERIN"])
    # SlackResponse iterates by fetching the next page into itself: copy each page out.
    pages = [page["members"] for page in client.conversations_members(channel="C0ALL", limit=2)]
    assert pages == [["U0ALICE", "U0BOB"], ["U0CAROL", "U0DAN"], ["U0ERIN"]]


def test_bad_cursor_and_unknown_channel(client: WebClient) -> None:
    with pytest.raises(SlackApiError, match="invalid_cursor"):
        client.users_list(cursor="not-a-cursor")
    with pytest.raises(SlackApiError, match="channel_not_found"):
        client.conversations_members(channel="C0NOPE")


def test_users_info_has_the_member_shape(client: WebClient) -> None:
    user = client.users_info(user="U0ALICE")["user"]
    assert user["tz"] == "Europe/London" and user["tz_offset"] in (0, 3600)
    assert user["profile"]["email"] == "alice@example.test" and user["deleted"] is False
    assert set(user) >= {"id", "team_id", "name", "real_name", "tz_label", "is_bot"}
    with pytest.raises(SlackApiError, match="user_not_found"):
        client.users_info(user="U0NOBODY")


def test_tz_offset_follows_the_time_zone(workspace: Workspace) -> None:
    kolkata = workspace.add_user("U0RAVI", "ravi", tz="Asia/Kolkata")
    assert kolkata["tz_offset"] == 19800
    assert workspace.add_user("U0X", "x", tz="Asia/Kolkata", tz_offset=1)["tz_offset"] == 1


def test_usergroup_members(client: WebClient) -> None:
    users = client.usergroups_users_list(usergroup="S0SUPPORT")["users"]
    assert users == ["U0ALICE", "U0BOB", "U0CAROL", "U0DAN"]
    with pytest.raises(SlackApiError, match="no_such_subteam"):
        client.usergroups_users_list(usergroup="S0NOPE")


def test_a_method_refuses_a_token_without_its_scope_as_slack_does(
    client: WebClient, workspace: Workspace
) -> None:
    """A reinstall that dropped a scope breaks what needs it, and only that: Slack answers
    `missing_scope` with the scopes needed and those the token holds."""
    workspace.scopes.remove("chat:write")
    dm = client.conversations_open(users="U0ALICE")["channel"]["id"]  # im:write: still fine
    with pytest.raises(SlackApiError) as refused:
        client.chat_postMessage(channel=dm, text="hello")
    assert refused.value.response["error"] == "missing_scope"
    assert refused.value.response["needed"] == "chat:write"
    assert "chat:write" not in refused.value.response["provided"].split(",")
    assert "im:write" in refused.value.response["provided"].split(",")
    assert refused.value.response.headers["x-oauth-scopes"] == ",".join(workspace.scopes)
    assert workspace.history(dm, with_metadata=False) == []  # nothing was posted
