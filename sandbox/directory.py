"""Who is in the sandbox workspace: users, user groups, channels and the bot's DMs.

`Directory` is the base of `Workspace`; every read and write holds `self.lock`,
the single lock that guards all sandbox state.
"""

from __future__ import annotations

import copy
import re
import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sandbox.errors import ApiError

# What the app manifest asks for (slack-manifest.yml); tests narrow `scopes` to break it.
MANIFEST_SCOPES = (
    "chat:write",
    "im:write",
    "im:history",
    "commands",
    "users:read",
    "usergroups:read",
    "channels:read",
    "groups:read",
    "files:write",
)


class Directory:
    """People and conversations, stored in the shapes Slack's Web API returns."""

    def __init__(self, team_id: str, team_name: str, bot_token: str, bot_user_id: str) -> None:
        self.lock = threading.RLock()
        self.team_id = team_id
        self.team_name = team_name
        self.team_domain = re.sub(r"[^a-z0-9]+", "-", team_name.lower()).strip("-") or "sandbox"
        self.bot_token = bot_token
        self.bot_user_id = bot_user_id
        self.bot_id = "B0SANDBOX"
        self.app_token = "xapp-sandbox"  # app-level token: only for apps.connections.open
        self.scopes: list[str] = list(MANIFEST_SCOPES)  # sent as the x-oauth-scopes header
        self.app_id = "A0SANDBOX"
        self._users: dict[str, dict] = {}
        self._usergroups: dict[str, dict] = {}
        self._channels: dict[str, dict] = {}
        self._dms: dict[str, str] = {}  # user id -> DM channel id
        self._dm_users: dict[str, str] = {}  # DM channel id -> user id
        self._dm_blocked: set[str] = set()
        self.add_user(bot_user_id, "oxygen_pulse", real_name="Oxygen Pulse", is_bot=True)

    # -- setup -----------------------------------------------------------------------------

    def add_user(
        self,
        user_id: str,
        name: str,
        *,
        real_name: str | None = None,
        tz: str = "Europe/London",
        tz_offset: int | None = None,
        is_bot: bool = False,
        deleted: bool = False,
        email: str | None = None,
        locale: str = "en-US",
        fields: dict[str, str] | None = None,
    ) -> dict:
        """Add (or replace) a member; returns it in `users.info` shape (`locale` included,
        which Slack returns only when asked with `include_locale`)."""
        try:
            now = datetime.now(ZoneInfo(tz))
        except (ZoneInfoNotFoundError, ValueError):  # a zone this machine does not know
            now = datetime.now(ZoneInfo("UTC"))
        offset = now.utcoffset() or timedelta(0)
        real = real_name or name
        profile: dict[str, object] = {"real_name": real, "display_name": name, "email": email}
        if fields:  # custom profile fields, as users.profile.get returns them
            profile["fields"] = {fid: {"value": value, "alt": ""} for fid, value in fields.items()}
        member = {
            "id": user_id,
            "team_id": self.team_id,
            "name": name,
            "real_name": real,
            "tz": tz,
            "tz_label": now.tzname() or tz,
            "tz_offset": tz_offset if tz_offset is not None else int(offset.total_seconds()),
            "deleted": deleted,
            "is_bot": is_bot,
            "is_app_user": False,
            "profile": profile,
            "locale": locale,
        }
        with self.lock:
            self._users[user_id] = member
            return copy.deepcopy(member)

    def add_usergroup(self, usergroup_id: str, handle: str, user_ids: list[str]) -> None:
        """Add a user group (`S…`) whose members `usergroups.users.list` returns."""
        with self.lock:
            self._usergroups[usergroup_id] = {
                "id": usergroup_id,
                "handle": handle,
                "users": list(user_ids),
            }

    def add_channel(self, channel_id: str, name: str, member_ids: list[str]) -> None:
        """Add a public channel; the bot may post there whether or not it is a member."""
        with self.lock:
            self._channels[channel_id] = {
                "id": channel_id,
                "name": name,
                "members": list(member_ids),
            }

    def set_dm_blocked(self, user_id: str, blocked: bool = True) -> None:
        """Model a user who turned off the app's Messages tab: posts to their DM fail."""
        with self.lock:
            if blocked:
                self._dm_blocked.add(user_id)
            else:
                self._dm_blocked.discard(user_id)

    # -- lookups used by the Web API methods -----------------------------------------------

    def user(self, user_id: str) -> dict:
        """The member as stored (callers hold the lock and must not mutate it)."""
        with self.lock:
            member = self._users.get(user_id)
            if member is None:
                raise ApiError("user_not_found")
            return member

    def all_users(self) -> list[dict]:
        with self.lock:
            return copy.deepcopy(list(self._users.values()))

    def usergroup_members(self, usergroup_id: str) -> list[str]:
        with self.lock:
            group = self._usergroups.get(usergroup_id)
            if group is None:
                raise ApiError("no_such_subteam")
            return list(group["users"])

    def dm_id(self, user_id: str) -> str:
        """The DM channel id between the bot and a user; stable for the user's lifetime."""
        with self.lock:
            if user_id not in self._dms:
                suffix = user_id[1:] if user_id[:1] in ("U", "W") else user_id
                self._dms[user_id] = f"D{suffix}"
                self._dm_users[f"D{suffix}"] = user_id
            return self._dms[user_id]

    def has_dm(self, user_id: str) -> bool:
        with self.lock:
            return user_id in self._dms

    def open_dm(self, user_id: str) -> str:
        """`conversations.open` semantics: a DM with a live human member."""
        with self.lock:
            member = self.user(user_id)
            if member["is_bot"] or user_id == self.bot_user_id:
                raise ApiError("cannot_dm_bot")
            if member["deleted"]:
                raise ApiError("user_disabled")
            return self.dm_id(user_id)

    def dm_user(self, channel_id: str) -> str | None:
        """The user on the other side of a DM channel id, or None if it is not a DM."""
        with self.lock:
            return self._dm_users.get(channel_id)

    def resolve_channel(self, channel: str) -> str:
        """Map what a caller may pass as `channel` (C…, D…, or a user id) to a channel id."""
        with self.lock:
            if channel in self._channels or self.dm_user(channel) is not None:
                return channel
            if channel in self._users:
                return self.open_dm(channel)
            raise ApiError("channel_not_found")

    def check_postable(self, channel_id: str) -> None:
        """Refuse posts Slack would refuse: blocked Messages tab, deactivated DM partner."""
        with self.lock:
            user_id = self.dm_user(channel_id)
            if user_id is None:
                return
            if self._users[user_id]["deleted"]:
                raise ApiError("is_archived")
            if user_id in self._dm_blocked:
                raise ApiError("messages_tab_disabled")

    def channel_name(self, channel_id: str) -> str:
        """What Slack puts in `channel_name` / `channel.name` of payloads."""
        with self.lock:
            if channel_id in self._channels:
                return self._channels[channel_id]["name"]
            return "directmessage"

    def channel_info(self, channel_id: str) -> dict:
        """A channel as `conversations.info` shows it to the bot (`is_member` included)."""
        with self.lock:
            channel = self._channels.get(channel_id)
            if channel is None:
                raise ApiError("channel_not_found")
            return {
                "id": channel_id,
                "name": channel["name"],
                "is_channel": True,
                "is_private": False,
                "is_archived": False,
                "is_member": self.bot_user_id in channel["members"],
                "num_members": len(channel["members"]),
            }

    def channel_members(self, channel_id: str) -> list[str]:
        with self.lock:
            if channel_id in self._channels:
                return list(self._channels[channel_id]["members"])
            user_id = self.dm_user(channel_id)
            if user_id is None:
                raise ApiError("channel_not_found")
            return [user_id, self.bot_user_id]

    def directory_json(self) -> dict:
        """Users, groups, channels and DMs for the debug snapshot."""
        with self.lock:
            return copy.deepcopy(
                {
                    "team": {"id": self.team_id, "name": self.team_name},
                    "users": list(self._users.values()),
                    "usergroups": list(self._usergroups.values()),
                    "channels": list(self._channels.values()),
                    "dms": dict(self._dms),
                    "dm_blocked": sorted(self._dm_blocked),
                }
            )
