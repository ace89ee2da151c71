"""`pulse doctor`: check an installation end to end, one line per check, each with its fix.

Every check talks to the real thing: the database through the engine the processes use,
Slack through slack_sdk's WebClient at SLACK_API_URL, the web process over HTTP with a
request signed as Slack signs them. Nothing is written anywhere (an SQLite file that does
not exist is reported, not created). Exit 0 only when every check that applies passes.
"""

from __future__ import annotations

import argparse
import json
import secrets
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from settings.config import AppConfig, TeamConfig
from settings.runtime import MIN_SECRET_LENGTH, Settings, SettingsError
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
    "add them under OAuth & Permissions → Bot Token Scopes (or create the app from "
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


def cmd_doctor(args: argparse.Namespace) -> int:
    checks = 0
    failed = 0
    for check in run_checks(url=args.url):
        print(check.line(), flush=True)
        checks += check.ok is not None
        failed += check.ok is False
    if failed:
        print(f"{failed} of {checks} checks failed")
        return 1
    print(f"all {checks} checks passed")
    return 0


def run_checks(*, url: str | None, env: dict[str, str] | None = None) -> Iterator[Check]:
    """Every check in order; later ones are skipped (with a reason) when what they need failed."""
    try:
        settings = Settings.from_env(env)
    except SettingsError as exc:
        yield Check("config", False, str(exc), "correct it; the other checks need it")
        return
    config = settings.config
    sourced = [t for t in config.teams if t.usergroup or t.channel]
    yield Check(
        "config",
        True,
        f"{settings.config_path} is valid: {len(config.teams)} teams ({len(sourced)} with "
        f"members), k = {config.privacy.min_group_size}",
    )
    database, engine = check_database(settings.database_url)
    yield database
    slack = Slack.connect(settings)
    yield slack.auth
    if engine is not None and slack.team_id:
        yield from check_workspace(engine, slack.team_id)
    if engine is not None:
        engine.dispose()
    if not slack.team_id:
        for name in ("scopes", "teams", "managers and HR admins", "digest channel", "time zones"):
            yield Check(name, None, "not checked: needs a working bot token")
    else:
        yield slack.scopes()
        for team in sourced:
            yield slack.team(team)
        yield slack.people(config)
        yield slack.digest_channel(config.hr.digest_channel)
        yield slack.time_zones(config, sourced)
    yield check_secret(settings)
    yield check_web(settings, url)
    yield check_socket_mode(settings)


# -- database ------------------------------------------------------------------------------


def check_database(database_url: str) -> tuple[Check, Engine | None]:
    """Reachable, and at the schema this code expects; else what `pulse db upgrade` does."""
    from alembic.script import ScriptDirectory

    from storage.db import make_engine, ping
    from storage.migrate import alembic_config, current_revision

    shown = make_url(database_url).render_as_string(hide_password=True)
    fix_connect = "check DATABASE_URL and that the database server is running and reachable"
    path = database_url.removeprefix("sqlite:///")
    if database_url.startswith("sqlite:///") and path != ":memory:" and not Path(path).exists():
        check = Check("database", False, f"{shown}: no such file", "`pulse db upgrade` creates it")
        return check, None
    engine = make_engine(database_url)
    try:
        ping(engine)
        current = current_revision(engine)
    except Exception as exc:  # any driver error means the same to the operator: unreachable
        engine.dispose()
        reason = str(exc).strip().splitlines()[0][:200]
        return Check("database", False, f"{shown}: cannot connect ({reason})", fix_connect), None
    script = ScriptDirectory.from_config(alembic_config(engine))
    head = script.get_current_head()
    if current == head:
        return Check("database", True, f"{shown}: reachable, schema current ({head})"), engine
    known = {rev.revision for rev in script.walk_revisions()}
    if current is not None and current not in known:
        detail = f"{shown}: schema at {current}, which this version of pulse does not know"
        fix = "run the pulse version that migrated it, or restore a backup made for this one"
        return Check("database", False, detail, fix), engine
    pending = list(reversed(list(script.iterate_revisions(head, current or "base"))))
    names = ", ".join(f"{rev.revision} ({(rev.doc or '').strip()})" for rev in pending)
    where = "empty" if current is None else f"schema at {current}"
    detail = f"{shown}: reachable, {where}; `pulse db upgrade` would apply {names}"
    return Check("database", False, detail, "run `pulse db upgrade`"), engine


def check_workspace(engine: Engine, team_id: str) -> Iterator[Check]:
    """One install serves one workspace: a token for another one is a misconfiguration."""
    from sqlmodel import select

    from storage.db import read_scope
    from storage.models import Workspace
    from storage.schema import is_current

    if not is_current(engine):
        return
    with read_scope(engine) as s:
        stored = {w.slack_team_id: w.name for w in s.exec(select(Workspace))}
    if stored and team_id not in stored:
        others = ", ".join(f"{name} ({tid})" for tid, name in stored.items())
        yield Check(
            "workspace",
            False,
            f"the bot token is for {team_id}, but this database belongs to {others}",
            "use the bot token of the workspace this database was set up with "
            "(one install serves one workspace)",
        )
    elif not stored:
        yield Check("workspace", True, f"{team_id}, not synced yet: run `pulse teams sync`")
    else:
        yield Check("workspace", True, f"the database belongs to {stored[team_id]} ({team_id})")


# -- Slack -------------------------------------------------------------------------------


def _error(exc: Exception) -> str:
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

    @classmethod
    def connect(cls, settings: Settings) -> Slack:
        client = make_client(settings, retries=False)
        if not settings.slack_bot_token:
            fix = "copy OAuth & Permissions → Bot User OAuth Token (xoxb-…) into SLACK_BOT_TOKEN"
            return cls(client, Check("Slack token", False, "SLACK_BOT_TOKEN is not set", fix))
        try:
            reply = client.auth_test()
        except SlackApiError as exc:
            fix = "copy OAuth & Permissions → Bot User OAuth Token (xoxb-…) into SLACK_BOT_TOKEN"
            if _error(exc) == "account_inactive":
                fix = "the app was uninstalled or the workspace closed: reinstall it, then " + fix
            detail = f"auth.test refused the bot token ({_error(exc)})"
            return cls(client, Check("Slack token", False, detail, fix))
        except Exception as exc:  # network: DNS, refused, TLS, proxy
            detail = f"cannot reach Slack at {settings.slack_api_url} ({_error(exc)})"
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
        if team.usergroup is not None:
            return list(self.client.usergroups_users_list(usergroup=team.usergroup)["users"])
        ids: list[str] = []
        for page in self.client.conversations_members(channel=team.channel or "", limit=200):
            ids.extend(page["members"])
        return ids

    def team(self, team: TeamConfig) -> Check:
        name = f"team {team.key}"
        source = f"user group {team.usergroup}" if team.usergroup else f"channel {team.channel}"
        key = "usergroup" if team.usergroup else "channel"
        try:
            ids = self.members(team)
            people = self.humans(ids)
        except SlackApiError as exc:
            error = _error(exc)
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
            return Check(name, False, f"{channel} not found ({_error(exc)})", fix + f"; {INVITE}")
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
        unknown = {tz: ids for tz, ids in zones.items() if not _known_zone(tz)}
        hr = config.hr
        digest = f"digest {hr.digest_day.title()} {hr.digest_time} {hr.digest_timezone}"
        if unknown:
            listed = "; ".join(f"{tz}: {', '.join(sorted(ids))}" for tz, ids in unknown.items())
            detail = f"unknown here, so pulsed at {config.pulse.local_time} UTC: {listed}"
            fix = "update the tz database this Python uses (`pip install -U tzdata`)"
            return Check("time zones", False, detail, fix)
        detail = f"{len(people)} people in {len(zones)} zones, all known; {digest}"
        return Check("time zones", True, detail)


def _known_zone(tz: str) -> bool:
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


# -- secrets, web process, Socket Mode -----------------------------------------------------


def check_secret(settings: Settings) -> Check:
    try:
        length = len(settings.secret())
    except SettingsError as exc:
        fix = (
            f"set it to {MIN_SECRET_LENGTH}+ random characters: "
            "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`, and keep it stable"
        )
        return Check("PULSE_SECRET", False, str(exc).split(":")[0], fix)
    return Check("PULSE_SECRET", True, f"set, {length} characters")


def check_web(settings: Settings, url: str | None) -> Check:
    """The public URL answers, and accepts a request signed with our signing secret."""
    name = "web process"
    if settings.slack_app_token:
        return Check(name, None, "Socket Mode (SLACK_APP_TOKEN set): no public URL needed")
    if not settings.slack_signing_secret:
        detail = "SLACK_SIGNING_SECRET is not set, so Slack's requests cannot be verified"
        fix = "copy Basic Information → Signing Secret into it (or use Socket Mode)"
        return Check(name, False, detail, fix)
    if url is None:
        return Check(name, None, "not checked: pass --url https://YOUR-HOST (its public URL)")
    base = url.rstrip("/")
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return Check(name, False, f"{url} is not an http(s) URL", "pass --url https://YOUR-HOST")
    loopback = parts.hostname in ("localhost", "127.0.0.1", "::1")
    if parts.scheme != "https" and not loopback:
        detail = f"{base} is not HTTPS, and Slack only sends requests to https:// URLs"
        return Check(name, False, detail, "put `pulse serve` behind HTTPS")
    reach = "check `pulse serve` is running and this URL reaches it (DNS, load balancer, HTTPS)"
    try:
        status, _ = _http(f"{base}/healthz")
    except OSError as exc:
        return Check(name, False, f"{base}/healthz: cannot connect ({_error(exc)})", reach)
    if status != 200:
        detail = f"{base}/healthz answered {status}"
        if status == 503:
            return Check(name, False, detail + " (its database)", "check the web's DATABASE_URL")
        return Check(name, False, detail, reach)
    return _url_verification(name, base, settings.slack_signing_secret)


def _url_verification(name: str, base: str, signing_secret: str) -> Check:
    challenge = secrets.token_urlsafe(16)
    body = json.dumps({"type": "url_verification", "challenge": challenge, "token": "doctor"})
    timestamp = int(time.time())
    signature = SignatureVerifier(signing_secret).generate_signature(
        timestamp=str(timestamp), body=body
    )
    headers = {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": str(timestamp),
        "X-Slack-Signature": signature or "",
    }
    try:
        status, reply = _http(f"{base}/slack/events", body.encode(), headers)
    except OSError as exc:
        return Check(name, False, f"{base}/slack/events: {_error(exc)}", "check the URL")
    if status == 401:
        detail = "the web process refused a request signed with this SLACK_SIGNING_SECRET"
        fix = "give it and this shell the same Basic Information → Signing Secret"
        return Check(name, False, detail, fix)
    if status != 200 or challenge not in reply:
        detail = f"{base}/slack/events answered {status} to url_verification"
        return Check(name, False, detail, f"point --url at `pulse serve`; Slack posts to {base}")
    return Check(name, True, f"{base} is healthy and answered a signed url_verification")


def _http(url: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> Any:
    request = urllib.request.Request(url, data=body, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.status, reply.read(100_000).decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(100_000).decode("utf-8", "replace")


def check_socket_mode(settings: Settings) -> Check:
    name = "Socket Mode"
    if not settings.slack_app_token:
        return Check(name, None, "not used (SLACK_APP_TOKEN unset; Slack calls the web process)")
    fix = (
        "create an app-level token with connections:write (Basic Information → App-Level "
        "Tokens), put it in SLACK_APP_TOKEN, and turn Socket Mode on"
    )
    client = WebClient(base_url=settings.slack_api_url, timeout=10)
    try:
        client.apps_connections_open(app_token=settings.slack_app_token)
    except SlackApiError as exc:
        detail = f"apps.connections.open refused SLACK_APP_TOKEN ({_error(exc)})"
        return Check(name, False, detail, fix)
    except Exception as exc:  # network
        return Check(name, False, f"cannot reach Slack ({_error(exc)})", "check the network")
    return Check(name, True, "SLACK_APP_TOKEN opens a Socket Mode connection")
