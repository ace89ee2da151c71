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
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from cli.doctor_slack import Check, Slack, error_text
from settings.runtime import MIN_SECRET_LENGTH, Settings, SettingsError


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
        for name in ("scopes", "directory", "teams", "managers and HR admins", "digest channel"):
            yield Check(name, None, "not checked: needs a working bot token")
    else:
        yield slack.scopes()
        directory = slack.directory()
        yield directory
        if directory.ok:
            for team in sourced:
                yield slack.team(team)
            yield slack.people(config)
            yield slack.time_zones(config, sourced)
        else:
            for name in ("teams", "managers and HR admins", "time zones"):
                yield Check(name, None, "not checked: needs users.list")
        yield slack.digest_channel(config.hr.digest_channel)
    yield check_translations(settings)
    yield check_secret(settings)
    yield check_web(settings, url)
    yield check_socket_mode(settings)


def check_translations(settings: Settings) -> Check:
    """Every question a pulse may ask has a text in each language the bot speaks; one
    without reads in English to those readers (so this never fails, it says who reads what)."""
    from settings.i18n import LANGUAGES

    languages = [lang for lang in LANGUAGES if lang != "en"]
    missing = settings.bank.missing_translations(languages)
    said = f"{', '.join(LANGUAGES)}; HR's digest and alerts in {settings.config.hr.locale}"
    if not missing:
        return Check("translations", True, f"every question in {said}")
    shown = "; ".join(missing[:5]) + (f"; and {len(missing) - 5} more" if len(missing) > 5 else "")
    return Check(
        "translations",
        True,
        f"{said}; {len(missing)} question{'s' if len(missing) > 1 else ''} in English only "
        f"for some readers ({shown}): "
        "add [questions.custom.translations.<lang>] text in config.toml",
    )


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
    names = ", ".join(f"{rev.revision} ({_title(rev.doc)})" for rev in pending)
    where = "empty" if current is None else f"schema at {current}"
    detail = f"{shown}: reachable, {where}; `pulse db upgrade` would apply {names}"
    return Check("database", False, detail, "run `pulse db upgrade`"), engine


def _title(doc: str | None) -> str:
    """A migration's message as one line (a long one wraps in its file): the check's
    detail and its fix must stay on the check's line."""
    return " ".join((doc or "").split())


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


# -- secrets, web process, Socket Mode -----------------------------------------------------


def check_secret(settings: Settings) -> Check:
    """Set and long enough; its value is never shown."""
    secret = settings.pulse_secret or ""
    if len(secret) >= MIN_SECRET_LENGTH:
        return Check("PULSE_SECRET", True, f"set, {len(secret)} characters")
    detail = f"only {len(secret)} characters" if secret else "not set"
    fix = (
        f"set it to {MIN_SECRET_LENGTH}+ random characters, "
        "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`, and keep it stable "
        "(a new one stops people editing answers to pulses open now)"
    )
    return Check("PULSE_SECRET", False, detail, fix)


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
        return Check(name, False, f"{base}/healthz: cannot connect ({error_text(exc)})", reach)
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
        return Check(name, False, f"{base}/slack/events: {error_text(exc)}", "check the URL")
    if status == 401:
        detail = "the web process refused a request signed with this SLACK_SIGNING_SECRET"
        fix = "give it and this shell the same Basic Information → Signing Secret"
        return Check(name, False, detail, fix)
    if status != 200 or challenge not in reply:
        detail = f"{base}/slack/events answered {status} to url_verification"
        return Check(name, False, detail, "point --url at the host that runs `pulse serve`")
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
        detail = f"apps.connections.open refused SLACK_APP_TOKEN ({error_text(exc)})"
        return Check(name, False, detail, fix)
    except Exception as exc:  # network
        return Check(name, False, f"cannot reach Slack ({error_text(exc)})", "check the network")
    return Check(name, True, "SLACK_APP_TOKEN opens a Socket Mode connection")
