"""The Slack side of `pulse doctor`, read once through slack_sdk's WebClient: who the bot
is, which scopes its token carries (the `x-oauth-scopes` header), each team's members, the
managers and HR admins, the digest channel and everyone's time zone.

`Check` is one line of doctor's report; `cli.doctor` runs the checks and prints them.
"""

from __future__ import annotations

import urllib.error
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from settings.config import AppConfig, TeamConfig
from settings.runtime import Settings
from settings.slack import make_client

# Every bot scope slack-manifest.yml asks for, and what stops working without it
# (tests/cli/test_doctor.py keeps this in step with the manifest).
SCOPES = {
    "chat:write": "no pulse DM, reminder, digest or alert can be posted",
    "im:write": "the bot cannot open a DM, so nobody gets a pulse",
    "im:history": "a retried DM cannot be checked first, so someone could get a pulse twice",
    "commands": "/pulse does not work",
    "users:read": "names and time zones cannot be read, so `pulse teams sync` fails",
    "usergroups:read": "teams whose members come from a user group cannot be synced",
    "channels:read": "teams whose members come from a public channel cannot be synced",
    "groups:read": "teams whose members come from a private channel cannot be synced",
    "files:write": "the weekly digest cannot upload its charts",
}
REINSTALL = (
    "add the missing scopes under OAuth & Permissions → Bot Token Scopes (or create the app from "
    "slack-manifest.yml) and reinstall the app to the workspace"
)
INVITE = "in that channel type `/invite @Oxygen Pulse`"


@dataclass(frozen=True)
class Check:
    """One line of the report: `ok` None means the check does not apply here."""

    name: str
    ok: bool | None
    detail: str
    fix: str = ""

    def line(self) -> str:
        mark = {True: "✓", False: "✗", None: "–"}[self.ok]
        text = f"{mark} {self.name}: {self.detail}"
        return f"{text} — fix: {self.fix}" if self.ok is False and self.fix else text


def error_text(exc: Exception) -> str:
    if isinstance(exc, SlackApiError):
        return str(exc.response.get("error") or exc.response.status_code)
    if isinstance(exc, urllib.error.URLError):
        return str(exc.reason)
    return str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__


@dataclass
class Slack:
    """The bot's view of the workspace, read once: who it is, its scopes, its directory."""

    client: WebClient
    auth: Check
    team_id: str = ""
    granted: list[str] | None = None
    _users: dict[str, dict[str, Any]] | None = None
    _members: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def connect(cls, settings: Settings) -> Slack:
        client = make_client(settings)  # waits out 429s on users.list in large workspaces
        if not settings.slack_bot_token:
            fix = "copy OAuth & Permissions → Bot User OAuth Token (xoxb-…) into SLACK_BOT_TOKEN"
            return cls(client, Check("Slack token", False, "SLACK_BOT_TOKEN is not set", fix))
        try:
            reply = client.auth_test()
        except SlackApiError as exc:
            fix = "copy OAuth & Permissions → Bot User OAuth Token (xoxb-…) into SLACK_BOT_TOKEN"
            if error_text(exc) == "account_inactive":
                fix = "the app was uninstalled or the workspace closed: reinstall it, then " + fix
            detail = f"auth.test refused the bot token ({error_text(exc)})"
            return cls(client, Check("Slack token", False, detail, fix))
        except Exception as exc:  # network: DNS, refused, TLS, proxy
            detail = f"cannot reach Slack at {settings.slack_api_url} ({error_text(exc)})"
            fix = "check this machine's network and proxy, and SLACK_API_URL if you set it"
            return cls(client, Check("Slack token", False, detail, fix))
        header = {k.lower(): v for k, v in reply.headers.items()}.get("x-oauth-scopes")
        granted = None if header is None else [s.strip() for s in header.split(",") if s.strip()]
        if not str(settings.slack_bot_token).startswith("xoxb-"):
            detail = f"auth.test ok, but SLACK_BOT_TOKEN is not a bot token (user {reply['user']})"
            fix = "use the Bot User OAuth Token (xoxb-…), not a user or app-level token"
            return cls(client, Check("Slack token", False, detail, fix), reply["team_id"], granted)
        detail = f"bot @{reply['user']} in workspace {reply['team']} ({reply['team_id']})"
        return cls(client, Check("Slack token", True, detail), reply["team_id"], granted)

    def scopes(self) -> Check:
        if self.granted is None:
            detail = "Slack did not say which scopes the token has (no x-oauth-scopes header)"
            return Check("scopes", False, detail, "check SLACK_API_URL points at Slack's Web API")
        missing = [s for s in SCOPES if s not in self.granted]
        if not missing:
            return Check("scopes", True, f"all {len(SCOPES)} the app manifest asks for are granted")
        lines = "; ".join(f"{s} ({SCOPES[s]})" for s in missing)
        return Check("scopes", False, f"missing {lines}", REINSTALL)

    def users(self) -> dict[str, dict[str, Any]]:
        """Everyone in the workspace by id, bots and deactivated accounts included."""
        if self._users is None:
            found: dict[str, dict[str, Any]] = {}
            for page in self.client.users_list(limit=200):
                for user in page["members"]:
                    found[user["id"]] = user
            self._users = found
        return self._users

    def directory(self) -> Check:
        """users.list: every later check reads people, bots and time zones from it."""
        try:
            users = self.users()
        except SlackApiError as exc:
            error = error_text(exc)
            detail = f"users.list failed ({error}), so names and time zones cannot be read"
            fix = REINSTALL if error == "missing_scope" else "run `pulse doctor` again"
            return Check("directory", False, detail, fix)
        return Check(
            "directory", True, f"{len(self.humans(list(users)))} active people in the workspace"
        )

    def humans(self, user_ids: list[str]) -> list[str]:
        """Of these ids, the active people of this workspace (whom `teams sync` keeps)."""
        users = self.users()
        return [
            u
            for u in dict.fromkeys(user_ids)
            if u in users
            and not users[u].get("deleted")
            and not users[u].get("is_bot")
            and users[u].get("team_id", self.team_id) == self.team_id
        ]

    def members(self, team: TeamConfig) -> list[str]:
        """The user ids in the team's user group or channel (read once per team)."""
        if team.key not in self._members:
            if team.usergroup is not None:
                reply = self.client.usergroups_users_list(usergroup=team.usergroup)
                ids = list(reply["users"])
            else:
                ids = []
                pages = self.client.conversations_members(channel=team.channel or "", limit=200)
                for page in pages:
                    ids.extend(page["members"])
            self._members[team.key] = ids
        return self._members[team.key]

    def team(self, team: TeamConfig) -> Check:
        name = f"team {team.key}"
        source = f"user group {team.usergroup}" if team.usergroup else f"channel {team.channel}"
        key = "usergroup" if team.usergroup else "channel"
        try:
            ids = self.members(team)
            people = self.humans(ids)
        except SlackApiError as exc:
            error = error_text(exc)
            if error == "missing_scope":
                needed = exc.response.get("needed") or ("usergroups:read" if team.usergroup else "")
                return Check(name, False, f"{source}: missing scope {needed}", REINSTALL)
            fix = f"set {key} of team '{team.key}' in config.toml to an id from this workspace"
            if team.channel:
                fix += f" (a private channel also needs the bot: {INVITE})"
            return Check(name, False, f"{source} not found ({error})", fix)
        skipped = len(set(ids)) - len(people)
        note = f" ({skipped} bots or deactivated accounts skipped)" if skipped else ""
        if not people:
            fix = f"add people to {source}, or point team '{team.key}' at the right one"
            return Check(name, False, f"{source} has nobody to ask{note}", fix)
        return Check(name, True, f"{source}, {len(people)} people{note}")

    def people(self, config: AppConfig) -> Check:
        """Managers and HR admins must be active people, or nobody sees those reports."""
        roles: dict[str, list[str]] = {}
        for uid in config.hr.admins:
            roles.setdefault(uid, []).append("HR admin")
        for team in config.teams:
            for uid in team.managers:
                roles.setdefault(uid, []).append(f"manager of {team.key}")
        users = self.users()
        problems = []
        for uid, what in roles.items():
            user = users.get(uid)
            state = (
                "is not a user in this workspace"
                if user is None
                else "is deactivated"
                if user.get("deleted")
                else "is a bot"
                if user.get("is_bot")
                else None
            )
            if state:
                problems.append(f"{uid} ({', '.join(what)}) {state}")
        if problems:
            fix = (
                "correct [hr] admins / [[teams]] managers in config.toml (a member id is "
                "in their Slack profile → ⋯ → Copy member ID)"
            )
            return Check("managers and HR admins", False, "; ".join(problems), fix)
        return Check("managers and HR admins", True, f"{len(roles)} people, all active users")

    def digest_channel(self, channel: str | None) -> Check:
        name = "digest channel"
        if channel is None:
            return Check(name, None, "not set: no weekly digest is posted ([hr] digest_channel)")
        try:
            info = self.client.conversations_info(channel=channel)["channel"]
        except SlackApiError as exc:
            fix = "set [hr] digest_channel to a channel id from this workspace (C…)"
            return Check(
                name, False, f"{channel} not found ({error_text(exc)})", fix + f"; {INVITE}"
            )
        label = f"#{info.get('name', '?')} ({channel})"
        if info.get("is_archived"):
            return Check(name, False, f"{label} is archived", "unarchive it or pick another")
        if not info.get("is_member"):
            return Check(name, False, f"the bot is not in {label}", INVITE)
        return Check(name, True, f"{label}, the bot is in it")

    def time_zones(self, config: AppConfig, teams: list[TeamConfig]) -> Check:
        """Pulses go out at local time: a zone this machine does not know falls back to UTC."""
        people: set[str] = set()
        for team in teams:
            try:
                people.update(self.humans(self.members(team)))
            except SlackApiError:
                continue  # reported by that team's own check
        users = self.users()
        zones: dict[str, list[str]] = {}
        for uid in people:
            zones.setdefault(users[uid].get("tz") or "UTC", []).append(uid)
        unknown = {tz: ids for tz, ids in zones.items() if not known_zone(tz)}
        hr = config.hr
        digest = f"digest {hr.digest_day.title()} {hr.digest_time} {hr.digest_timezone}"
        if unknown:
            listed = "; ".join(f"{tz}: {', '.join(sorted(ids))}" for tz, ids in unknown.items())
            detail = f"zones this machine does not know (their pulses would go by UTC): {listed}"
            fix = "update the tz database this Python uses (`pip install -U tzdata`)"
            return Check("time zones", False, detail, fix)
        detail = f"{len(people)} people in {len(zones)} zones, all known; {digest}"
        return Check("time zones", True, detail)


def known_zone(tz: str) -> bool:
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True
