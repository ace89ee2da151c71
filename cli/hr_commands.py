"""`pulse digest`, `pulse export` and `pulse close`: HR's commands at the command line.

Digest and export read the database only (a read-only transaction), so they are safe
beside a running web process and worker. `--dry-run` and `export` need no Slack
credentials: an install serves one workspace, taken from the database.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine
from sqlmodel import select

from bot.blocks.terminal import panel
from bot.messages import SlackMessages
from cli import console
from cli.main import CommandError, open_database
from figures.digest_ready import weekly_digest
from figures.export import write_export
from jobs import digest as digest_job
from settings.runtime import Settings
from settings.slack import make_client
from storage.db import read_scope, session_scope
from storage.models import Workspace


def _workspace_id(settings: Settings, engine: Engine) -> int:
    """The install's workspace: the only one stored, else the bot token's."""
    with read_scope(engine) as s:
        rows = s.exec(select(Workspace.id, Workspace.slack_team_id)).all()
    if not rows:
        raise CommandError("no workspace in the database yet: run `pulse teams sync` first")
    if len(rows) == 1 and rows[0][0] is not None:
        return rows[0][0]
    if not settings.slack_bot_token:
        raise CommandError("several workspaces are stored: set SLACK_BOT_TOKEN to pick this one")
    team_id = make_client(settings).auth_test()["team_id"]
    found = [wid for wid, slack_id in rows if slack_id == team_id and wid is not None]
    if not found:
        raise CommandError("this workspace has not been synced: run `pulse teams sync`")
    return found[0]


def cmd_figures(args: argparse.Namespace) -> int:
    """`pulse figures`: what the worker does after every close, now (after a restore, a new
    config.toml, or a CX import you want reports to show at once)."""
    from jobs import kept_figures

    settings = Settings.from_env()
    engine = open_database(settings)
    started = time.monotonic()
    kept = kept_figures.run(
        engine,
        config=settings.config,
        workspace_id=_workspace_id(settings, engine),
        now=dt.datetime.now(dt.UTC),
        secret=settings.segment_secret(),
        driver_labels=digest_job.hr_labels(settings.config, settings.bank),
    )
    took = time.monotonic() - started
    print(
        f"figures kept ready: {kept.weeks} weeks built, {kept.reports} team reports "
        f"worked out ahead ({took:.1f} s)"
    )
    return 0


def cmd_digest(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    engine = open_database(settings)
    now = dt.datetime.now(dt.UTC)
    labels = digest_job.hr_labels(settings.config, settings.bank)  # HR's language
    if args.dry_run:
        return _dry_run(args, settings, engine, now, labels)
    settings.require_slack(http=False)
    try:
        result = digest_job.run(
            engine,
            make_client(settings),
            config=settings.config,
            workspace_id=_workspace_id(settings, engine),
            now=now,
            messages=SlackMessages(),
            scheduled=False,
            force=args.force,
            driver_labels=labels,
            secret=settings.segment_secret(),
        )
    except SlackApiError as exc:
        raise CommandError(f"Slack refused the digest: {exc.response.get('error')}") from None
    if result.status == "no_channel":
        raise CommandError("set [hr] digest_channel in config.toml to post the digest")
    if result.status == "already_sent":
        raise CommandError(
            f"this week's digest (week of {result.week:%d %b %Y}) was already posted to "
            f"{result.channel}; --force posts it again"
        )
    charts = ", ".join(result.files) or "none (not enough answers yet)"
    print(f"digest posted to {result.channel}: {result.messages} message(s); charts: {charts}")
    return 0


def _dry_run(
    args: argparse.Namespace,
    settings: Settings,
    engine: Engine,
    now: dt.datetime,
    labels: dict[str, str],
) -> int:
    """Print the digest as Slack would show it, and save its charts under ``args.out``."""
    workspace_id = _workspace_id(settings, engine)
    with read_scope(engine) as s:
        digest = weekly_digest(  # as the post job gets it: kept, else built
            s,
            config=settings.config,
            workspace_id=workspace_id,
            now=now,
            driver_labels=labels,
            secret=settings.segment_secret(),
        )
    out = console.console()
    for message in SlackMessages().digest(digest=digest, locale=settings.config.hr.locale):
        out.print(panel(message, title=message["text"]))
    args.out.mkdir(parents=True, exist_ok=True)
    for chart in digest.charts:
        path = args.out / chart.filename
        path.write_bytes(chart.png)
        print(f"chart saved: {path}")
        print(f"  {chart.title}: {chart.takeaway}")
    if not digest.charts:
        print("no chart: no week with enough answers yet")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    if not 1 <= args.weeks <= 520:
        raise CommandError("--weeks must be between 1 and 520")
    settings = Settings.from_env()
    engine = open_database(settings)
    workspace_id = _workspace_id(settings, engine)
    with read_scope(engine) as s, console.bar(unit="weeks") as shown:
        written = write_export(
            s,
            config=settings.config,
            workspace_id=workspace_id,
            out=args.out,
            weeks=args.weeks,
            now=dt.datetime.now(dt.UTC),
            progress=console.Steps(shown, f"exporting {args.weeks} weeks"),
            secret=settings.segment_secret(),
        )
    for path, rows in written.items():
        print(f"{path}: {rows} rows")
    return 0


def cmd_close(args: argparse.Namespace) -> int:
    """Close the team's open pulse now (the scheduled close path), then update its DMs."""
    from bot.messages import SlackMessages
    from jobs.delivery import Sender
    from jobs.pulses import PulseError, close_now
    from jobs.scheduler import worker_id

    settings = Settings.from_env()
    engine = open_database(settings)
    workspace_id = _workspace_id(settings, engine)
    try:
        with session_scope(engine) as s:
            pulse = close_now(
                s,
                config=settings.config,
                workspace_id=workspace_id,
                team_key=args.team,
                now=dt.datetime.now(dt.UTC),
                secret=settings.secret(),
            )
    except PulseError as exc:
        raise CommandError(str(exc)) from None
    print(f"{args.team}: pulse {pulse.id} closed")
    if not settings.slack_bot_token:
        print("its DMs are updated to show it closed by the running worker")
        return 0
    sender = Sender.from_settings(settings, engine, worker=worker_id(), messages=SlackMessages())
    stats = sender.drain(pulse_id=pulse.id, timeout=args.timeout)
    print(f"updated {stats.updated} DMs to show it closed, {stats.update_failed} failed")
    return 0 if stats.update_failed == 0 else 1


def cmd_relay(args: argparse.Namespace) -> int:
    """Pass on the authors' replies waiting in conversations now, as one batch (the worker
    does it every few hours at fixed times; this is for trying it out and for operators)."""
    from bot.home import refresher
    from jobs import relay

    settings = Settings.from_env()
    engine = open_database(settings)
    settings.require_slack(http=False)
    with session_scope(engine) as s:
        client = make_client(settings)
        homes = refresher(
            client, config=settings.config, bank=settings.bank, secret=settings.secret()
        )
        released = relay.run(
            s,
            client,
            dt.datetime.now(dt.UTC),
            messages=SlackMessages(),
            force=True,
            refresh_home=homes,
        )
    print(f"relayed {released} waiting repl{'y' if released == 1 else 'ies'}")
    return 0
