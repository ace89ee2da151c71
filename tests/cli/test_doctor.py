"""`pulse doctor` against the sandbox workspace: a healthy install passes every check and
exits 0; each way an install goes wrong gives exactly one ✗ line, with its fix, and exit 1."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from cli.doctor_slack import REINSTALL, SCOPES
from cli.main import main
from sandbox.directory import MANIFEST_SCOPES
from settings.config import load_config
from storage.db import make_engine, session_scope
from storage.migrate import upgrade
from storage.models import Workspace as WorkspaceRow
from tests.cli.conftest import Install
from tests.conftest import REPO


def doctor(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str]]:
    code = main(["doctor", *args])
    out, err = capsys.readouterr()
    assert err == ""
    return code, out.splitlines()


def test_healthy_install_passes_every_check(
    install: Install, capsys: pytest.CaptureFixture[str]
) -> None:
    code, lines = doctor(capsys, "--url", install.web_url)
    assert code == 0, "\n".join(lines)
    marks = [line[0] for line in lines[:-1]]
    assert set(marks) <= {"✓", "–"} and marks.count("✓") == 17
    assert "✓ Slack token: bot @oxygen_pulse in workspace Sandbox Co (T0SANDBOX)" in lines
    assert "✓ scopes: all 9 the app manifest asks for are granted" in lines
    assert "✓ directory: 61 active people in the workspace" in lines
    assert "✓ team support: user group S0SUPPORT, 12 people" in lines[6]
    assert "✓ team onboarding: channel C0ONBOARD, 7 people" in lines
    assert "✓ digest channel: #people-team (C0PEOPLE), the bot is in it" in lines
    assert f"✓ web process: {install.web_url} is healthy and answered a signed" in lines[-3]
    assert lines[-1] == f"all {marks.count('✓')} checks passed"


def test_socket_mode_token_checked_when_set(
    install: Install, capsys: pytest.CaptureFixture[str]
) -> None:
    install.set("SLACK_APP_TOKEN", install.ws.app_token)
    code, lines = doctor(capsys)
    assert code == 0
    assert "✓ Socket Mode: SLACK_APP_TOKEN opens a Socket Mode connection" in lines
    assert "– web process: Socket Mode (SLACK_APP_TOKEN set): no public URL needed" in lines


def _scope(i: Install) -> None:
    i.ws.scopes.remove("files:write")


def _digest_channel_without_bot(i: Install) -> None:
    i.ws.add_channel("C0PEOPLE", "people-team", ["U0HRLEAD"])


def _unknown_zone(i: Install) -> None:
    i.ws.add_user("U0SUP03", "chen", real_name="Chen Wei", tz="Mars/Olympus_Mons")


def _other_workspace(i: Install) -> None:
    url = f"sqlite:///{i.tmp / 'other.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with session_scope(engine) as s:
        s.add(WorkspaceRow(slack_team_id="T0OTHER", name="Other Co"))
    engine.dispose()
    i.set("DATABASE_URL", url)


def _old_schema(i: Install) -> None:
    url = f"sqlite:///{i.tmp / 'old.db'}"
    engine = make_engine(url)
    upgrade(engine, "0002")
    engine.dispose()
    i.set("DATABASE_URL", url)


BROKEN: dict[str, tuple[Callable[[Install], None], str, str]] = {
    # case: (break it, the ✗ line contains, its fix contains)
    "missing scopes": (
        _scope,
        "✗ scopes: missing files:write (the weekly digest cannot upload its charts)",
        "reinstall the app to the workspace",
    ),
    "unknown user group": (
        lambda i: i.config('usergroup = "S0SUCCESS"', 'usergroup = "S0NOSUCH"'),
        "✗ team success: user group S0NOSUCH not found (no_such_subteam)",
        "set usergroup of team 'success' in config.toml to an id from this workspace",
    ),
    "unknown channel": (
        lambda i: i.config('channel = "C0RENEWALS"', 'channel = "C0NOSUCH"'),
        "✗ team renewals: channel C0NOSUCH not found (channel_not_found)",
        "a private channel also needs the bot: in that channel type `/invite @Oxygen Pulse`",
    ),
    "team of bots": (
        lambda i: i.ws.add_channel("C0RENEWALS", "renewals", ["U0HELPERBOT", "U0FORMER"]),
        "✗ team renewals: channel C0RENEWALS has nobody to ask (2 bots or deactivated",
        "add people to channel C0RENEWALS",
    ),
    "bot not in digest channel": (
        _digest_channel_without_bot,
        "✗ digest channel: the bot is not in #people-team (C0PEOPLE)",
        "in that channel type `/invite @Oxygen Pulse`",
    ),
    "digest channel unknown": (
        lambda i: i.config('digest_channel = "C0PEOPLE"', 'digest_channel = "C0GONE"'),
        "✗ digest channel: C0GONE not found (channel_not_found)",
        "set [hr] digest_channel to a channel id from this workspace",
    ),
    "manager not a user": (
        lambda i: i.config('managers = ["U0MANAGER"]', 'managers = ["U0GHOST"]'),
        "✗ managers and HR admins: U0GHOST (manager of support) is not a user in this workspace",
        "correct [hr] admins / [[teams]] managers in config.toml",
    ),
    "HR admin deactivated": (
        lambda i: i.config('admins = ["U0HRLEAD"]', 'admins = ["U0HRLEAD", "U0FORMER"]'),
        "✗ managers and HR admins: U0FORMER (HR admin) is deactivated",
        "Copy member ID",
    ),
    "wrong signing secret": (
        lambda i: i.set("SLACK_SIGNING_SECRET", "not-the-web-process-secret-0000"),
        "✗ web process: the web process refused a request signed with this SLACK_SIGNING_SECRET",
        "the same Basic Information → Signing Secret",
    ),
    "web process unreachable": (
        lambda i: setattr(i, "web_url", "http://127.0.0.1:9"),
        "✗ web process: http://127.0.0.1:9/healthz: cannot connect",
        "check `pulse serve` is running and this URL reaches it",
    ),
    "URL of something else": (
        lambda i: setattr(i, "web_url", i.sandbox.base),
        "/healthz answered 404 — fix: ",
        "check `pulse serve` is running and this URL reaches it",
    ),
    "short PULSE_SECRET": (
        lambda i: i.set("PULSE_SECRET", "too-short"),
        "✗ PULSE_SECRET: only 9 characters",
        "secrets.token_urlsafe(32)",
    ),
    "unknown time zone": (
        _unknown_zone,
        "✗ time zones: zones this machine does not know (their pulses would go by UTC): "
        "Mars/Olympus_Mons: U0SUP03",
        "pip install -U tzdata",
    ),
    "database not migrated": (
        _old_schema,
        "✗ database: sqlite:///",
        "run `pulse db upgrade`",
    ),
    "token for another workspace": (
        _other_workspace,
        "✗ workspace: the bot token is for T0SANDBOX, but this database belongs to Other Co "
        "(T0OTHER)",
        "one install serves one workspace",
    ),
    "bad Socket Mode token": (
        lambda i: i.set("SLACK_APP_TOKEN", "xapp-revoked"),
        "✗ Socket Mode: apps.connections.open refused SLACK_APP_TOKEN (invalid_auth)",
        "App-Level Tokens",
    ),
    "users cannot be listed": (
        lambda i: i.sandbox.inject_fault("users.list", "error:missing_scope", times=None),
        "✗ directory: users.list failed (missing_scope), so names and time zones cannot be read",
        "reinstall the app to the workspace",
    ),
    "bot token as app token": (
        lambda i: i.set("SLACK_APP_TOKEN", i.ws.bot_token),
        "✗ Socket Mode: apps.connections.open refused SLACK_APP_TOKEN (not_allowed_token_type)",
        "create an app-level token with connections:write",
    ),
}


def test_a_missing_scope_names_every_team_it_breaks(
    install: Install, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without usergroups:read the sandbox refuses usergroups.users.list as Slack does: the
    scopes line says what breaks, and each user-group team says it cannot be read; teams
    from channels still resolve."""
    install.ws.scopes.remove("usergroups:read")
    code, lines = doctor(capsys)
    failed = [x for x in lines if x.startswith("✗")]
    assert code == 1
    assert failed[0].startswith(
        "✗ scopes: missing usergroups:read (teams whose members come from a user group cannot "
        "be synced)"
    )
    groups = {t.key: t.usergroup for t in load_config(REPO / "config.toml").teams if t.usergroup}
    assert sorted(failed[1:]) == sorted(
        f"✗ team {key}: user group {group}: missing scope usergroups:read — fix: " + REINSTALL
        for key, group in groups.items()
    )
    assert any(x.startswith("✓ team renewals: channel C0RENEWALS") for x in lines)


@pytest.mark.parametrize("case", list(BROKEN))
def test_each_broken_check_gives_its_line_and_fix(
    install: Install, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    breaks, line, fix = BROKEN[case]
    breaks(install)
    code, lines = doctor(capsys, "--url", install.web_url)
    failed = [x for x in lines if x.startswith("✗")]
    assert code == 1
    assert len(failed) == 1, "\n".join(lines)
    assert line in failed[0], failed[0]
    assert " — fix: " in failed[0] and fix in failed[0].split(" — fix: ")[1]
    assert lines[-1].startswith("1 of ") and lines[-1].endswith(" checks failed")


def test_migration_plan_names_what_upgrade_would_apply(
    install: Install, capsys: pytest.CaptureFixture[str]
) -> None:
    _old_schema(install)
    _, lines = doctor(capsys)
    (line,) = [x for x in lines if x.startswith("✗ database")]
    assert re.search(r"schema at 0002; `pulse db upgrade` would apply 0003 \(.+\), 0004 \(", line)


def test_bad_bot_token_skips_what_needs_it(
    install: Install, capsys: pytest.CaptureFixture[str]
) -> None:
    install.set("SLACK_BOT_TOKEN", "xoxb-from-another-app")
    code, lines = doctor(capsys)
    assert code == 1
    assert [x for x in lines if x.startswith("✗")] == [
        "✗ Slack token: auth.test refused the bot token (invalid_auth) — fix: copy OAuth & "
        "Permissions → Bot User OAuth Token (xoxb-…) into SLACK_BOT_TOKEN"
    ]
    assert "– scopes: not checked: needs a working bot token" in lines


def test_questions_without_a_text_in_a_language_are_listed(
    install: Install, capsys: pytest.CaptureFixture[str]
) -> None:
    install.config(
        "retired = []",
        'retired = []\n[[questions.custom]]\nkey = "tools.crm"\ndriver = "tools"\n'
        'text = "Our CRM helps me."\n[questions.custom.translations.fr]\n'
        'text = "Notre CRM m\'aide."',
    )
    _, lines = doctor(capsys)
    said = next(line for line in lines if line.startswith("✓ translations: "))
    assert "1 question in English only for some readers (tools.crm: de, es)" in said


def test_invalid_config_stops_with_its_reason(
    install: Install, capsys: pytest.CaptureFixture[str]
) -> None:
    install.config("min_group_size = 5", "min_grup_size = 5")
    code, lines = doctor(capsys)
    assert code == 1
    assert lines[0].startswith("✗ config: ") and "unknown key 'privacy.min_grup_size'" in lines[0]


def test_scopes_follow_the_app_manifest() -> None:
    """The scopes doctor explains are the manifest's, as the sandbox grants them."""
    manifest = (REPO / "slack-manifest.yml").read_text(encoding="utf-8")
    bot = manifest.split("    bot:\n", 1)[1].split("\nsettings:", 1)[0]
    asked = re.findall(r"^      - ([a-z:.]+)", bot, flags=re.M)
    assert asked and list(SCOPES) == asked == list(MANIFEST_SCOPES)
