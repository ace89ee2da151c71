"""The state of the sandbox Slack workspace: what the bot posted, opened and uploaded.

Pure Python and thread-safe: every method holds `self.lock` (one RLock for all
state). Query methods return deep copies, so tests can keep and inspect them
while the server goes on changing the workspace.
"""

from __future__ import annotations

import copy
import itertools
import secrets
import time
from typing import Any

from sandbox.calllog import CallLog
from sandbox.directory import Directory
from sandbox.errors import ApiError
from sandbox.limits import with_ids
from sandbox.surfaces import Surfaces

_SANDBOX_KEYS = ("channel", "updates", "metadata")


class Workspace(Surfaces, CallLog, Directory):
    """One Slack team with one bot and everything it did.

    People and channels live in `Directory`, views and files in `Surfaces`, the
    received Web API calls in `CallLog`; messages and response URLs are here.
    """

    def __init__(
        self,
        team_id: str = "T0SANDBOX",
        team_name: str = "Sandbox Co",
        bot_token: str = "xoxb-sandbox",
        bot_user_id: str = "U0PULSEBOT",
    ) -> None:
        Directory.__init__(self, team_id, team_name, bot_token, bot_user_id)
        Surfaces.__init__(self)
        CallLog.__init__(self)
        self._seq = itertools.count(1)
        self._last_ts_us = 0
        self._messages: dict[tuple[str, str], dict] = {}  # insertion order = post order
        self._ephemerals: list[dict] = []
        self._response_urls: dict[str, dict] = {}
        self._response_posts: list[dict] = []

    # -- messages ----------------------------------------------------------------------------

    def next_ts(self) -> str:
        """A Slack message ts ("1700000000.000100"): wall-clock based, unique, increasing."""
        with self.lock:
            self._last_ts_us = max(time.time_ns() // 1000, self._last_ts_us + 1)
            seconds, micros = divmod(self._last_ts_us, 1_000_000)
            return f"{seconds}.{micros:06d}"

    def post_message(
        self,
        channel_id: str,
        *,
        text: str = "",
        blocks: list | None = None,
        metadata: dict | None = None,
        thread_ts: str | None = None,
        files: list | None = None,
    ) -> dict:
        """Store a bot message in a resolved channel; returns a copy with its new ts."""
        with self.lock:
            self.check_postable(channel_id)
            message: dict[str, Any] = {
                "type": "message",
                "channel": channel_id,
                "ts": self.next_ts(),
                "user": self.bot_user_id,
                "bot_id": self.bot_id,
                "app_id": self.app_id,
                "team": self.team_id,
                "text": text,
                "blocks": with_ids(blocks),
                "metadata": metadata,
                "thread_ts": thread_ts,
                "updates": 0,
            }
            if files:
                message["files"] = files
            self._messages[(channel_id, message["ts"])] = message
            return copy.deepcopy(message)

    def message(self, channel_id: str, ts: str) -> dict:
        """The current version of one message, or `message_not_found`."""
        with self.lock:
            message = self._messages.get((channel_id, ts))
            if message is None:
                raise ApiError("message_not_found")
            return copy.deepcopy(message)

    def update_message(self, channel_id: str, ts: str, **changes: Any) -> dict:
        """Apply `chat.update` changes (text, blocks, metadata); keys given as None are kept."""
        with self.lock:
            message = self._messages.get((channel_id, ts))
            if message is None:
                raise ApiError("message_not_found")
            message.update({k: v for k, v in changes.items() if v is not None})
            if changes.get("blocks") is not None:
                message["blocks"] = with_ids(changes["blocks"])
            message["updates"] += 1
            message["edited"] = {"user": self.bot_user_id, "ts": self.next_ts()}
            return copy.deepcopy(message)

    def delete_message(self, channel_id: str, ts: str) -> None:
        with self.lock:
            if self._messages.pop((channel_id, ts), None) is None:
                raise ApiError("message_not_found")

    def post_ephemeral(self, channel_id: str, user_id: str, *, text: str, blocks: list) -> dict:
        """Store a message only `user_id` sees; Slack gives it a ts but no history entry."""
        with self.lock:
            record: dict[str, Any] = {"channel": channel_id, "user": user_id, "ts": self.next_ts()}
            record.update(text=text, blocks=with_ids(blocks), ephemeral=True)
            self._ephemerals.append(record)
            return copy.deepcopy(record)

    def history(self, channel_id: str, *, with_metadata: bool) -> list[dict]:
        """A channel's messages newest first, shaped as `conversations.history` returns them."""
        with self.lock:
            found = [m for (c, _), m in self._messages.items() if c == channel_id]
            found.sort(key=lambda m: m["ts"], reverse=True)
            return [slack_message(m, with_metadata=with_metadata) for m in found]

    # -- response URLs -----------------------------------------------------------------------

    def new_response_url(
        self,
        kind: str,
        *,
        channel: str | None = None,
        message_ts: str | None = None,
        user_id: str | None = None,
        ephemeral: bool = False,
    ) -> str:
        """Register a response URL; returns its path (`/response/<id>`) on the sandbox server.

        For block actions pass the clicked message's `channel` and `message_ts` (and
        `ephemeral`) so that `replace_original` / `delete_original` act on it.
        """
        with self.lock:
            token = f"{next(self._seq)}{secrets.token_hex(6)}"
            self._response_urls[token] = {
                "kind": kind,
                "channel": channel,
                "message_ts": message_ts,
                "user_id": user_id,
                "ephemeral": ephemeral,
            }
        return f"/response/{token}"

    def post_to_response_url(self, token: str, body: dict) -> bool:
        """Record a post to a response URL and apply it as Slack would; False if unknown.

        `delete_original` / `replace_original` act on the message the URL came from;
        otherwise `in_channel` posts to the channel and the default is an ephemeral.
        """
        with self.lock:
            target = self._response_urls.get(token)
            if target is None:
                return False
            post = {**copy.deepcopy(target), "url": f"/response/{token}", "body": body}
            self._response_posts.append({**post, "time": time.time()})
            channel, user_id = target["channel"], target["user_id"]
            content = {"text": body.get("text", ""), "blocks": body.get("blocks", [])}
            original = self._original(target)
            if body.get("delete_original") and original is not None:
                self._remove(original)
            elif body.get("replace_original") and original is not None:
                if original.get("ephemeral"):
                    original.update(text=content["text"], blocks=with_ids(content["blocks"]))
                else:
                    self.update_message(original["channel"], original["ts"], **content)
            elif body.get("response_type") == "in_channel" and channel:
                self.post_message(channel, **content)
            elif channel and user_id:
                self.post_ephemeral(channel, user_id, **content)
            return True

    def _original(self, target: dict) -> dict | None:
        channel, ts = target["channel"], target["message_ts"]
        if not (channel and ts):
            return None
        if not target["ephemeral"]:
            return self._messages.get((channel, ts))
        matches = (e for e in self._ephemerals if e["ts"] == ts and e["user"] == target["user_id"])
        return next(matches, None)

    def _remove(self, message: dict) -> None:
        if message.get("ephemeral"):
            self._ephemerals.remove(message)
        else:
            del self._messages[(message["channel"], message["ts"])]

    # -- queries -----------------------------------------------------------------------------

    def messages(self, channel: str | None = None) -> list[dict]:
        """Every live message (current version, post order), optionally in one channel."""
        with self.lock:
            found = [m for m in self._messages.values() if channel in (None, m["channel"])]
            return copy.deepcopy(found)

    def dm_messages(self, user_id: str) -> list[dict]:
        """Messages in the bot's DM with `user_id` (empty if the bot never opened one)."""
        with self.lock:
            dm = self._dms.get(user_id)
            return self.messages(dm) if dm else []

    def ephemerals(self, user_id: str | None = None) -> list[dict]:
        with self.lock:
            found = [e for e in self._ephemerals if user_id in (None, e["user"])]
            return copy.deepcopy(found)

    def response_url_posts(self) -> list[dict]:
        with self.lock:
            return copy.deepcopy(self._response_posts)

    def to_json(self) -> dict:
        """A JSON-serialisable snapshot for `GET /_sandbox/state`."""
        with self.lock:
            return {
                **self.directory_json(),
                "messages": self.messages(),
                "ephemerals": self.ephemerals(),
                "response_url_posts": self.response_url_posts(),
                "views": self.views(),
                "files": [{k: v for k, v in f.items() if k != "bytes"} for f in self.files()],
                "calls": self.call_counts(),
            }


def slack_message(message: dict, *, with_metadata: bool = False) -> dict:
    """A stored message as Slack shows it in history and interaction payloads."""
    shown = {k: v for k, v in message.items() if k not in _SANDBOX_KEYS and v is not None}
    if with_metadata and message.get("metadata"):
        shown["metadata"] = message["metadata"]
    return copy.deepcopy(shown)
