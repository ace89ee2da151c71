"""`pulse run` and `pulse demo`: the product on its own, with or without a Slack account.

With Slack credentials in the environment, `run` migrates and supervises `serve` and
`worker`. Without them, both start the local sandbox workspace (a stand-in for Slack with
a seeded company), run the real web process against it, and walk through one pulse:
team sync, DMs, simulated employees answering, and a manager's `/pulse report`.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import shutil
import socket
import sys
import time
from collections.abc import Callable
from contextlib import suppress
from functools import partial
from pathlib import Path
from typing import Any

from rich.text import Text

from bot.blocks.terminal import panel
from cli import console
from cli.main import CommandError
from cli.processes import ChildFailed, Supervisor
from settings.runtime import Settings, config_path
from storage.db import make_engine
from storage.migrate import upgrade

SANDBOX_SECRET = "sandbox-only-pseudonymisation-key"

DEMO_CONFIG = Path(__file__).with_name("demo_config.toml")  # package data: the sandbox company


def cmd_run(args: argparse.Namespace) -> int:
    socket_mode = bool(getattr(args, "socket_mode", False))
    if _bundled() and not Settings.from_env(_demo_env()).has_slack_credentials:
        return _sandbox(
            keep_running=True,
            workdir=Path("pulse-demo"),
            database="sandbox.db",
            socket_mode=socket_mode,
        )
    settings = Settings.from_env()  # Slack credentials without a config.toml: says it is missing
    if not settings.has_slack_credentials:
        print(
            "No Slack credentials in the environment (SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET,"
            " or SLACK_APP_TOKEN): starting on the local sandbox workspace instead.\n"
        )
        return _sandbox(
            keep_running=True, workdir=Path("."), database="sandbox.db", socket_mode=socket_mode
        )
    if socket_mode and not settings.slack_app_token:
        raise CommandError("--socket-mode is for the sandbox; on Slack, set SLACK_APP_TOKEN")
    settings.secret()
    upgrade(make_engine(settings.database_url))
    procs = Supervisor({})
    procs.start("serve", "serve")
    procs.start("worker", "worker")
    print(f"Oxygen Pulse is running: web on port {settings.port}, worker started. Ctrl-C stops.")
    try:
        return procs.wait_any()
    except KeyboardInterrupt:
        return 0
    finally:
        procs.stop()


def cmd_demo(args: argparse.Namespace) -> int:
    workdir = Path("pulse-demo" if _bundled() else "out")
    return _sandbox(
        keep_running=args.keep_running,
        workdir=workdir,
        database="demo.db",
        socket_mode=bool(getattr(args, "socket_mode", False)),
    )


def _bundled() -> bool:
    """No config.toml here and no PULSE_CONFIG: run on the demo company shipped in the package."""
    return not os.environ.get("PULSE_CONFIG") and not config_path(os.environ).exists()


def _demo_env() -> dict[str, str]:
    return {**os.environ, "PULSE_CONFIG": str(DEMO_CONFIG)}


def _sandbox(*, keep_running: bool, workdir: Path, database: str, socket_mode: bool = False) -> int:
    """Everything this writes (database, charts) goes under `workdir`, which it prints.
    With `socket_mode` the app connects to the sandbox over Socket Mode (no HTTP server)."""
    from sandbox import company
    from sandbox.sender import SlackSender
    from sandbox.server import SandboxServer
    from sandbox.socket_sender import SocketSender
    from sandbox.workspace import Workspace

    config = DEMO_CONFIG if _bundled() else config_path(os.environ).resolve()
    try:
        workdir.mkdir(exist_ok=True)
    except OSError as exc:
        raise CommandError(f"cannot write the demo's files to {workdir.resolve()}: {exc}") from None
    workdir = workdir.resolve()
    (workdir / database).unlink(missing_ok=True)
    why = " (no config.toml here and PULSE_CONFIG unset)" if config == DEMO_CONFIG else ""
    print(f"Demo company: {config}{why}\nThe demo writes its files to {workdir}\n", flush=True)
    signing_secret = secrets.token_hex(16)
    port = _free_port()
    with SandboxServer(company.seed(Workspace())) as sandbox:
        env = {
            "SLACK_API_URL": sandbox.url,
            "SLACK_BOT_TOKEN": sandbox.workspace.bot_token,
            "SLACK_SIGNING_SECRET": "" if socket_mode else signing_secret,
            "SLACK_APP_TOKEN": sandbox.workspace.app_token if socket_mode else "",
            "PULSE_SECRET": SANDBOX_SECRET,
            "PULSE_CONFIG": str(config),
            "DATABASE_URL": f"sqlite:///{workdir / database}",
            "PORT": str(port),
            "HOST": "127.0.0.1",
            "WEB_CONCURRENCY": "1",
            "LOG_FORMAT": "text",
            "LOG_LEVEL": "WARNING",
        }
        upgrade(make_engine(env["DATABASE_URL"]))
        procs = Supervisor(env, cwd=workdir)
        try:
            procs.start("serve", "serve")
            slack: SlackSender
            if socket_mode:  # the page drives the app over its socket once it is connected
                _wait_connected(procs, sandbox.socket_mode)
                slack = SocketSender(sandbox)
                print("The app connected to the sandbox over Socket Mode (no HTTP endpoint).")
            else:
                procs.wait_healthy(f"http://127.0.0.1:{port}/healthz")
                sandbox.connect_app(f"http://127.0.0.1:{port}/slack/events", signing_secret)
                slack = SlackSender(
                    f"http://127.0.0.1:{port}/slack/events", signing_secret, sandbox
                )
            _walkthrough(procs, slack, sandbox.workspace, env, workdir)
            if not keep_running:
                _next_steps(workdir)
                return 0
            procs.start("worker", "worker")
            _what_to_try(env, sandbox.base, None if socket_mode else port)
            return procs.wait_any()
        except KeyboardInterrupt:
            return 0
        except ChildFailed as exc:
            raise CommandError(str(exc)) from None
        finally:
            procs.stop()


def _walkthrough(
    procs: Supervisor, slack: Any, ws: Any, env: dict[str, str], workdir: Path
) -> None:
    from sandbox import company

    _step("1. Sync teams from the sandbox workspace's user groups and channels: pulse teams sync")
    procs.run("teams", "sync")
    people = workdir / "people.csv"
    people.write_text(company.people_csv(), encoding="utf-8")
    _step(
        "1a. HR's file of people's layers (frontline, support, back office), personas and "
        f"start dates: pulse people import {people.name}"
    )
    procs.run("people", "import", str(people))
    answers = _history(env)
    print(f"   + 12 weeks of history for the demo company: {answers} answers and weekly CX metrics")
    import datetime as dt

    from cli.demo_history import helpdesk_export

    export = workdir / "helpdesk-export.csv"
    tickets = helpdesk_export(export, now=dt.datetime.now(dt.UTC))
    _step(
        f"1b. CSAT from the helpdesk's export ({tickets} rated tickets, one row each): "
        f"pulse cx import --responses {export.name} --source helpdesk"
    )
    procs.run("cx", "import", "--responses", str(export), "--source", "helpdesk", "--no-progress")
    _step("2. Open a pulse for Customer Support and deliver it: pulse send-pulse --team support")
    procs.run("send-pulse", "--team", "support")
    members = company.team_members("support")
    first = members[0]
    _show(ws.dm_messages(first)[-1], title=f"DM to {first}, as Slack shows it")

    _step("3. Employees answer with buttons (simulated: 9 of 12 answer)")
    rng = random.Random(7)
    for uid in members[:9]:
        for block in list(ws.dm_messages(uid)[-1]["blocks"]):
            if block["type"] != "actions":
                continue
            button = rng.choice(block["elements"][1:] if rng.random() < 0.8 else block["elements"])
            before = _answered(ws, uid)
            slack.click(
                uid, ws.dm_messages(uid)[-1], action_id=button["action_id"], value=button["value"]
            )
            _wait(partial(_answered_more, ws, uid, before))
    _show(ws.dm_messages(first)[-1], title=f"The same DM after {first} answered")

    _step("4. The Support manager types /pulse report while the pulse is still open")
    _show(_reply(slack, ws, "U0MANAGER", "report"), title="Ephemeral reply to U0MANAGER")
    _step("5. The pulse closes (after 72 hours; the demo closes it now) and the report shows it")
    _close_open_pulses(env)
    _show(_reply(slack, ws, "U0MANAGER", "report"), title="Ephemeral reply to U0MANAGER")
    _step("5b. The Support manager cuts the report by proximity to the customer")
    _show(
        _reply(slack, ws, "U0MANAGER", "report support by layer"),
        title="Ephemeral reply to U0MANAGER",
    )
    _step("5c. HR cuts the whole organisation by layer: /pulse report org by layer")
    _show(_reply(slack, ws, "U0HRLEAD", "report org by layer"), title="Ephemeral reply to U0HRLEAD")
    _step("6. Someone who does not manage Support asks for its report")
    _show(_reply(slack, ws, members[1], "report support"), title=f"Ephemeral reply to {members[1]}")
    _step("7. HR's weekly digest: posted to #people-team (pulse digest), charts saved (--dry-run)")
    procs.run("digest", "--force")
    procs.run("digest", "--dry-run", "--out", str(workdir))


def _history(env: dict[str, str]) -> int:
    """Seed the demo company's past twelve weeks (pulses, answers, CX metrics)."""
    import datetime as dt

    from cli.demo_history import seed
    from figures.segments import seal_stale
    from storage.db import session_scope
    from storage.org import workspace_by_slack_id

    settings = Settings.from_env({**os.environ, **env})
    engine = make_engine(settings.database_url)
    with session_scope(engine) as s:
        ws = workspace_by_slack_id(s, slack_team_id="T0SANDBOX")
        assert ws is not None and ws.id is not None
        stored = seed(
            s,
            config=settings.config,
            bank=settings.bank,
            workspace_id=ws.id,
            slack_team_id="T0SANDBOX",
            secret=settings.secret(),
            now=dt.datetime.now(dt.UTC),
            skip_metrics=frozenset({"csat"}),  # imported from the helpdesk export instead
        )
        seal_stale(s, config=settings.config, secret=settings.secret())  # sums per segment
    engine.dispose()
    return stored


def _close_open_pulses(env: dict[str, str]) -> None:
    """Close every open pulse now, as if its window had ended (a demo shortcut)."""
    import datetime as dt

    from sqlmodel import col, update

    from figures.segments import seal_stale
    from storage.db import session_scope
    from storage.models import Pulse
    from storage.release import release_closed

    settings = Settings.from_env({**os.environ, **env})
    engine = make_engine(settings.database_url)
    now = dt.datetime.now(dt.UTC)
    with session_scope(engine) as s:
        s.exec(
            update(Pulse).where(col(Pulse.closed_at).is_(None)).values(closes_at=now, closed_at=now)
        )
        release_closed(s, secret=settings.secret(), now=now)
        seal_stale(s, config=settings.config, secret=settings.secret())  # sums per segment
    engine.dispose()


def _answered(ws: Any, uid: str) -> int:
    text = str(ws.dm_messages(uid)[-1]["blocks"])
    return text.count("Recorded")


def _answered_more(ws: Any, uid: str, before: int) -> bool:
    return _answered(ws, uid) > before


def _reply(slack: Any, ws: Any, user: str, text: str) -> dict[str, Any]:
    before = len(ws.response_url_posts())
    slack.slash_command(user, text)
    _wait(lambda: len(ws.response_url_posts()) > before)
    return ws.response_url_posts()[-1]["body"]


def _wait(done: Callable[[], bool], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise ChildFailed("the app did not react in time")
        time.sleep(0.02)


def _step(text: str) -> None:
    console.console().print(Text(f"\n{text}", style="bold"), soft_wrap=True)


def _show(message: dict[str, Any], *, title: str) -> None:
    """A Slack message as Slack would show it, drawn by rich (in colour on a terminal)."""
    console.console().print(panel(message, title=title))


def _next_steps(workdir: Path) -> None:
    pulse = _pulse_command()
    print(
        f"""
Done. The demo's database and charts are in {workdir}
What to try next:
  {pulse} demo --keep-running
      the same company, left running: use it in a browser as anyone in it
  {pulse} run
      the whole product (web, scheduler, DMs) on the sandbox workspace
  {pulse} --help
      every command; the README's "Slack app setup" connects a real workspace
""",
        flush=True,
    )


def _pulse_command() -> str:
    """How to type `pulse` here: the bare name if it is on PATH, else this install's script."""
    script = Path(sys.executable).parent / "pulse"
    found = shutil.which("pulse")
    if found and script.exists() and Path(found).resolve() == script.resolve():
        return "pulse"
    if not script.exists():
        return "pulse"
    with suppress(ValueError):
        return str(script.absolute().relative_to(Path.cwd()))
    return str(script)


def _wait_connected(procs: Supervisor, hub: Any, timeout: float = 30) -> None:
    """Wait for the web process's Socket Mode connection to the sandbox."""
    deadline = time.monotonic() + timeout
    while not hub.wait_connected(0.1):
        for name, child in procs.children.items():
            if child.poll() is not None:
                raise ChildFailed(f"`pulse {name}` exited with status {child.returncode}")
        if time.monotonic() > deadline:
            raise ChildFailed(f"the app did not connect over Socket Mode within {timeout:.0f} s")


def _what_to_try(env: dict[str, str], sandbox_url: str, port: int | None) -> None:
    exports = " ".join(f"{k}={v}" for k, v in env.items() if k not in ("HOST", "WEB_CONCURRENCY"))
    endpoint = (
        f"http://127.0.0.1:{port}/slack/events (healthz: /healthz)"
        if port
        else "none: the app is connected over Socket Mode"
    )
    print(
        f"""
Oxygen Pulse is running on the sandbox workspace (Ctrl-C stops everything).
Open the workspace in a browser and use it as any person in it would use Slack:
  • {sandbox_url}/?as=U0SUP01             Alex (Support): the demo's pulse DM, now closed;
                                          send a new one (below) and press its buttons
  • {sandbox_url}/?as=U0SUP01&view=home   Alex's App Home tab (pause, opt out, history)
  • {sandbox_url}/?as=U0MANAGER           Maya (Support manager): type /pulse report, then
                                          "Let the team choose": propose 2-3 actions; the
                                          next pulse (below) asks the team to choose one
  • {sandbox_url}/?as=U0MANAGER&view=home  Maya's inbox: open an anonymous comment and reply;
                                          its author gets the reply in a DM and can answer
  Pick anyone from "Viewing as"; type /pulse help in the box at the bottom of a DM.
The app's endpoint: {endpoint}
To send another pulse, in another terminal of this folder:
  {exports} {_pulse_command()} send-pulse --team support
To close it now (votes are counted; /pulse report shows what the team chose, and the
pulse after announces it as the team's commitment):
  {exports} {_pulse_command()} close --team support
Authors' replies reach managers every 3 hours; to pass on waiting ones now:
  {exports} {_pulse_command()} relay
To use a real Slack workspace instead, see README.md → Slack app setup.
""",
        flush=True,
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
