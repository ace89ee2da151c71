"""`pulse`: the operator's command line. Exit 0 on success; otherwise one line on stderr."""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from rich_argparse import RawDescriptionRichHelpFormatter

from settings import logs
from settings.runtime import Settings, SettingsError, normalise_database_url

if TYPE_CHECKING:
    from sqlalchemy import Engine

log = logging.getLogger("pulse.cli")
PROGRESS_FROM_BYTES = 256 * 1024  # `cx import`: smaller files import in a blink, no bar


class CommandError(Exception):
    """A failure the operator can act on; printed as one line."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    logs.configure_from_env()
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except (SettingsError, CommandError) as exc:
        print(f"pulse: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pulse",
        description="Oxygen Pulse, the Slack pulse bot.",
        epilog="examples:\n"
        "  pulse demo                        # the whole product offline, first\n"
        "  pulse run                         # Slack if configured, else the sandbox\n"
        "  pulse send-pulse --team support   # open a pulse now and deliver it\n"
        "  pulse digest --dry-run            # the weekly HR digest, printed here\n"
        "every command's --help has an example: pulse cx import --help",
        formatter_class=RawDescriptionRichHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("serve", help="run the web process (POST /slack/events, GET /healthz)")
    p.add_argument("--host", default=os.environ.get("HOST", "0.0.0.0"))
    p.set_defaults(handler=cmd_serve)

    p = sub.add_parser("worker", help="run the scheduler and the DM sender")
    p.add_argument(
        "--send-only",
        action="store_true",
        help="only send DMs from the outbox (extra senders beside the one scheduler clock)",
    )
    sending = p.add_argument_group("with --send-only")
    sending.add_argument("--until-idle", action="store_true", help="exit once nothing is left")
    sending.add_argument(
        "--worker",
        help="a stable name, unique among live workers: on start it takes back the claims "
        "its previous run left (default: $PULSE_WORKER, $DYNO or host:pid)",
    )
    sending.add_argument("--http-timeout", type=int, help="seconds per Slack call (default 10)")
    p.set_defaults(handler=cmd_worker)

    p = sub.add_parser("send-pulse", help="open a pulse now and deliver it before returning")
    p.add_argument("--team", action="append", help="team key (repeatable; default: every team)")
    p.add_argument("--timeout", type=float, default=600, help="seconds to wait for delivery")
    p.set_defaults(handler=cmd_send_pulse)

    p = sub.add_parser(
        "close",
        help="close a team's open pulse now; its DMs then show it closed",
        description="Close a team's open pulse now, as its scheduled close would, and update "
        "its DMs to show it closed.",
    )
    p.add_argument("--team", required=True, help="team key, e.g. support")
    p.add_argument("--timeout", type=float, default=120, help="seconds to wait for DM updates")
    p.set_defaults(handler=_lazy("cli.hr_commands", "cmd_close"))

    p = sub.add_parser("teams", help="team membership")
    teams = p.add_subparsers(dest="teams_command", required=True, metavar="ACTION")
    teams.add_parser("sync", help="read members from Slack").set_defaults(handler=cmd_teams_sync)

    p = sub.add_parser("db", help="database schema")
    db = p.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db.add_parser("upgrade", help="apply migrations").set_defaults(handler=cmd_db_upgrade)

    p = sub.add_parser("backup", help="write a consistent backup of the database to FILE")
    p.add_argument("file")
    p.set_defaults(handler=cmd_backup)
    p = sub.add_parser("restore", help="replace the database with a backup (stop web/worker)")
    p.add_argument("file")
    p.set_defaults(handler=cmd_restore)

    p = sub.add_parser("cx", help="CX metrics")
    cx = p.add_subparsers(dest="cx_command", required=True, metavar="ACTION")
    p = cx.add_parser(
        "import",
        help="import team,metric,period_start,value,sample_size[,scale][,period] rows, "
        "or a CX tool's per-response export (--responses FILE --source NAME)",
    )
    p.add_argument("file", type=Path, nargs="?", help="CSV file of aggregated rows")
    p.add_argument("--responses", type=Path, help="a per-response export to aggregate")
    p.add_argument("--source", help="its [[cx.sources]] name in config.toml")
    p.add_argument("--dry-run", action="store_true", help="check everything, write nothing")
    p.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        help="progress bar on stderr (default: for large files on a terminal)",
    )
    p.set_defaults(handler=cmd_cx_import)

    p = sub.add_parser("people", help="people's segment values (layer, persona, tenure ...)")
    people = p.add_subparsers(dest="people_command", required=True, metavar="ACTION")
    p = people.add_parser(
        "import", help="import slack_user_id|email,<segment key>... rows; all or nothing"
    )
    p.add_argument("file", type=Path, help="CSV file, one person per line")
    p.add_argument("--dry-run", action="store_true", help="check everything, write nothing")
    p.set_defaults(handler=cmd_people_import)

    p = sub.add_parser("digest", help="post the weekly HR digest now (or --dry-run it here)")
    p.add_argument("--dry-run", action="store_true", help="print it and save the charts instead")
    p.add_argument("--out", type=Path, default=Path("out"), help="where --dry-run saves charts")
    p.add_argument("--force", action="store_true", help="post even if this week's was posted")
    p.set_defaults(handler=_lazy("cli.hr_commands", "cmd_digest"))
    p = sub.add_parser("relay", help="pass on authors' waiting replies in conversations now")
    p.set_defaults(handler=_lazy("cli.hr_commands", "cmd_relay"))

    p = sub.add_parser(
        "figures", help="keep figures ready now, as the worker does after every close"
    )
    p.set_defaults(handler=_lazy("cli.hr_commands", "cmd_figures"))

    p = sub.add_parser("export", help="write CSVs of team, driver and CX aggregates (k-guarded)")
    p.add_argument("--out", type=Path, default=Path("out"), help="directory for the CSV files")
    p.add_argument("--weeks", type=int, default=52, help="completed weeks to export")
    p.set_defaults(handler=_lazy("cli.hr_commands", "cmd_export"))

    p = sub.add_parser("seed", help="fill an empty database with a large synthetic org")
    p.add_argument("--employees", type=int, default=10_000)
    p.add_argument("--teams", type=int, default=200)
    p.add_argument("--weeks", type=int, default=104, help="weeks of pulses, ending this week")
    p.add_argument("--database", help="database URL (default: DATABASE_URL)")
    p.add_argument("--seed", type=int, default=0, help="random seed")
    p.set_defaults(handler=cmd_seed)

    p = sub.add_parser("doctor", help="check this installation end to end, with a fix for each")
    p.add_argument("--url", help="public URL of `pulse serve`, e.g. https://pulse.example.com")
    p.set_defaults(handler=_lazy("cli.doctor", "cmd_doctor"))
    p = sub.add_parser("status", help="what the worker is doing: open pulses, DMs, schedule")
    p.set_defaults(handler=_lazy("cli.status", "cmd_status"))

    p = sub.add_parser("run", help="everything for a first try: Slack if configured, else sandbox")
    p.add_argument("--socket-mode", action="store_true", help=SOCKET_MODE_HELP)
    p.set_defaults(handler=_lazy("cli.demo", "cmd_run"))
    p = sub.add_parser("demo", help="the whole product offline on the sandbox workspace")
    p.add_argument("--keep-running", action="store_true", help="stay up after the walk-through")
    p.add_argument("--socket-mode", action="store_true", help=SOCKET_MODE_HELP)
    p.set_defaults(handler=_lazy("cli.demo", "cmd_demo"))
    _document(parser)
    return parser


SOCKET_MODE_HELP = "on the sandbox: the app connects over Socket Mode instead of serving HTTP"

EXAMPLES = {  # shown under each command's --help; keep one per command
    "serve": "PORT=3000 pulse serve --host 127.0.0.1",
    "worker": "pulse worker    # or, beside it: pulse worker --send-only",
    "send-pulse": "pulse send-pulse --team support",
    "close": "pulse close --team support",
    "teams": "pulse teams sync",
    "teams sync": "pulse teams sync",
    "db": "pulse db upgrade",
    "db upgrade": "pulse db upgrade",
    "backup": "pulse backup pulse-backup.db",
    "restore": "pulse restore pulse-backup.db",
    "cx": "pulse cx import cx.csv --dry-run",
    "cx import": "pulse cx import cx.csv --dry-run",
    "people": "pulse people import people.csv --dry-run",
    "people import": "pulse people import people.csv --dry-run",
    "digest": "pulse digest --dry-run --out charts",
    "figures": "pulse figures    # after a restore or a new config.toml",
    "relay": "pulse relay    # the worker does it every 3 hours",
    "export": "pulse export --out exports --weeks 12",
    "seed": "DATABASE_URL=sqlite:///bench.db pulse seed --employees 1000 --teams 20",
    "doctor": "pulse doctor --url https://pulse.example.com",
    "status": "pulse status",
    "run": "pulse run",
    "demo": "pulse demo --keep-running",
}


def _document(parser: argparse.ArgumentParser, prefix: str = "") -> None:
    """Give every subcommand's --help its one-line summary as description, and an example,
    all drawn by rich-argparse (colour only on a terminal, never with NO_COLOR)."""
    for action in parser._actions:
        if not isinstance(action, argparse._SubParsersAction):
            continue
        for choice in action._choices_actions:
            name = f"{prefix}{choice.dest}"
            command = action.choices[choice.dest]
            summary = choice.help or ""
            command.description = command.description or f"{summary[:1].upper()}{summary[1:]}."
            command.formatter_class = RawDescriptionRichHelpFormatter
            if name in EXAMPLES:
                command.epilog = f"example:\n  {EXAMPLES[name]}"
            _document(command, f"{name} ")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("oxygen-pulse")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "(not installed)"


def _lazy(module: str, name: str) -> Callable[[argparse.Namespace], int]:
    def call(args: argparse.Namespace) -> int:
        import importlib

        handler: Callable[[argparse.Namespace], int] = getattr(
            importlib.import_module(module), name
        )
        return handler(args)

    return call


def open_database(settings: Settings, *, require_schema: bool = True) -> Engine:
    """The database engine for a command; a CommandError unless its schema is current
    (``require_schema=False`` only for `pulse db upgrade`, which makes it current)."""
    from storage.db import make_engine
    from storage.schema import is_current

    engine = make_engine(settings.database_url)
    if require_schema and not is_current(engine):
        raise CommandError("the database schema is not up to date: run `pulse db upgrade`")
    return engine


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from storage.migrate import upgrade

    settings = Settings.from_env()
    upgrade(open_database(settings, require_schema=False))
    print("database is up to date")
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    from sqlalchemy.engine import make_url

    from cli import console
    from storage.backup import BackupError, backup

    url = Settings.from_env().database_url
    target = Path(args.file)
    source = make_url(url).database if make_url(url).get_backend_name() == "sqlite" else None
    size = Path(source).stat().st_size if source and Path(source).is_file() else None
    try:
        with console.working(f"backing up to {target.name}", watch=target, total=size):
            backup(url, target)
    except BackupError as exc:
        raise CommandError(str(exc)) from None
    print(f"backup written to {args.file}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from cli import console
    from storage.backup import BackupError, restore

    url = Settings.from_env().database_url
    unit = "pages" if url.startswith("sqlite") else "items"
    try:
        with console.bar(unit=unit) as shown:
            steps = console.Steps(shown, f"restoring from {Path(args.file).name}")
            restore(url, Path(args.file), progress=steps)
    except BackupError as exc:
        raise CommandError(str(exc)) from None
    print(f"database restored from {args.file}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from bot.web import StartError, run

    try:
        return run(host=args.host)
    except StartError as exc:
        raise CommandError(str(exc)) from exc


def cmd_worker(args: argparse.Namespace) -> int:
    """Run the scheduler; SIGTERM lets in-flight DMs finish and hands back the rest."""
    import signal
    import threading

    from bot.home import refresher
    from bot.messages import SlackMessages
    from jobs.scheduler import build_scheduler
    from settings.slack import make_client

    if args.send_only:
        return _send_only(args)
    if args.until_idle or args.worker or args.http_timeout is not None:
        raise CommandError("--until-idle, --worker and --http-timeout go with --send-only")

    settings = Settings.from_env()
    settings.require_slack(http=False)
    settings.secret()
    stop = threading.Event()
    homes = refresher(
        make_client(settings),
        config=settings.config,
        bank=settings.bank,
        secret=settings.secret(),
    )
    scheduler = build_scheduler(
        settings, open_database(settings), messages=SlackMessages(), stop=stop, refresh_home=homes
    )

    def shutdown(*_: object) -> None:
        stop.set()
        if scheduler.running:  # Ctrl-C in a terminal can bring SIGINT and SIGTERM both
            scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, shutdown)
    log.info("worker started")
    try:
        scheduler.start()
    except KeyboardInterrupt:
        shutdown()
    log.info("worker stopped")
    return 0


def _send_only(args: argparse.Namespace) -> int:
    """One sender process (scale out with several): sends until SIGTERM/SIGINT, or until idle
    with --until-idle; then prints `<worker>: <stats>` and exits 0."""
    import signal
    import threading
    from dataclasses import asdict

    from bot.messages import SlackMessages
    from jobs.delivery import Sender, send_until_stopped
    from jobs.scheduler import utc_now, worker_id
    from storage import outbox
    from storage.db import session_scope

    settings = Settings.from_env()
    settings.require_slack(http=False)
    engine = open_database(settings, require_schema=False)
    worker = args.worker or worker_id()
    with session_scope(engine) as s:  # a restarted worker takes back what it left at once
        outbox.reclaim_own(s, worker=worker, now=utc_now())
    sender = Sender.from_settings(
        settings,
        engine,
        worker=worker,
        messages=SlackMessages(),
        http_timeout=10 if args.http_timeout is None else args.http_timeout,
    )
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    stats = send_until_stopped(sender, stop=stop, until_idle=args.until_idle)
    engine.dispose()
    print(f"{worker}: {asdict(stats)}", flush=True)
    return 0


def cmd_teams_sync(args: argparse.Namespace) -> int:
    from jobs import sync
    from settings.slack import make_client
    from storage.db import session_scope

    settings = Settings.from_env()
    settings.require_slack(http=False)
    with session_scope(open_database(settings)) as s:
        result = sync.run(s, make_client(settings), settings.config, dt.datetime.now(dt.UTC))
    for key, count in result.teams.items():
        print(f"{key}: {count} members")
    print(f"{result.people} people in workspace {result.workspace}")
    return 0


def cmd_send_pulse(args: argparse.Namespace) -> int:
    from bot.messages import SlackMessages
    from jobs.delivery import Sender
    from jobs.pulses import AlreadyOpen, PulseError, open_now
    from jobs.scheduler import worker_id
    from settings.slack import make_client
    from storage.db import session_scope
    from storage.org import workspace_by_slack_id

    settings = Settings.from_env()
    settings.require_slack(http=False)
    settings.secret()
    engine = open_database(settings)
    client = make_client(settings)
    keys = args.team or [t.key for t in settings.config.teams if t.usergroup or t.channel]
    team_id = client.auth_test()["team_id"]
    opened = []
    try:
        with session_scope(engine) as s:
            ws = workspace_by_slack_id(s, slack_team_id=team_id)
            if ws is None or ws.id is None:
                raise CommandError("this workspace has not been synced: run `pulse teams sync`")
            now = dt.datetime.now(dt.UTC)
            for key in keys:
                opened.append(
                    open_now(
                        s,
                        config=settings.config,
                        bank=settings.bank,
                        workspace_id=ws.id,
                        team_key=key,
                        now=now,
                    )
                )
    except AlreadyOpen as exc:
        hint = f"`pulse close --team {exc.team_key}` closes it early"
        raise CommandError(f"{exc}; nothing sent. {hint}") from None
    except PulseError as exc:
        raise CommandError(str(exc)) from None
    sender = Sender.from_settings(settings, engine, worker=worker_id(), messages=SlackMessages())
    for pulse in opened:
        sender.drain(pulse_id=pulse.pulse_id, timeout=args.timeout)
    stats = sender.stats
    for pulse in opened:
        print(f"{pulse.team_key}: pulse {pulse.pulse_id} opened for {pulse.invited} people")
    print(f"sent {stats.sent} DMs, {stats.failed} failed")
    return 0 if stats.failed == 0 else 1


def cmd_cx_import(args: argparse.Namespace) -> int:
    from cli import console
    from cx.importer import import_file, summary
    from cx.validate import CxImportError

    if (args.file is None) == (args.responses is None):
        raise CommandError("give either FILE (aggregated rows) or --responses FILE --source NAME")
    if (args.responses is None) != (args.source is None):
        raise CommandError("--responses FILE and --source NAME go together")
    settings = Settings.from_env()
    if args.responses is not None:
        return _cx_import_responses(args, settings)
    show = args.progress
    if show is None and args.file.is_file() and args.file.stat().st_size < PROGRESS_FROM_BYTES:
        show = False  # a small file imports in a blink: no bar
    with console.bar(unit="rows", show=show) as shown:
        try:
            result = import_file(
                open_database(settings),
                args.file,
                config=settings.config,
                dry_run=args.dry_run,
                progress=console.Steps(shown, f"importing {args.file.name}"),
            )
        except CxImportError as exc:
            raise CommandError(str(exc)) from None
    print("\n".join(summary(args.file.name, result, dry_run=args.dry_run)))
    return 0


def _cx_import_responses(args: argparse.Namespace, settings: Settings) -> int:
    from cx.response_import import import_responses, summary
    from cx.validate import CxDataError, CxImportError

    try:
        result = import_responses(
            open_database(settings),
            args.responses,
            config=settings.config,
            source=args.source,
            dry_run=args.dry_run,
            progress=args.progress,
        )
    except CxDataError as exc:
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        count = f"{len(exc.problems)} problem{'s' if len(exc.problems) > 1 else ''}"
        raise CommandError(f"{count} in {args.responses.name} (listed above)") from None
    except CxImportError as exc:
        raise CommandError(str(exc)) from None
    print("\n".join(summary(args.responses.name, result, dry_run=args.dry_run)))
    return 0


def cmd_people_import(args: argparse.Namespace) -> int:
    from sqlmodel import select

    from cli.people import PeopleImportError, by_user_id, load, read_people
    from storage.db import session_scope
    from storage.models import Workspace
    from storage.people import set_values

    settings = Settings.from_env()
    source = args.file.name
    try:
        people = read_people(load(args.file), settings.config, source=source, today=dt.date.today())
        lookup = _email_lookup(settings) if people.by == "email" else lambda _: None
        values = by_user_id(people, source=source, lookup=lookup)
    except PeopleImportError as exc:
        raise CommandError(str(exc)) from None
    with session_scope(open_database(settings)) as s:
        spaces = s.exec(select(Workspace)).all()
        if len(spaces) != 1 or spaces[0].id is None:
            raise CommandError("no workspace synced yet: run `pulse teams sync` first")
        changed = set_values(s, workspace_id=spaces[0].id, values=values)
        if args.dry_run:
            s.rollback()
    verb = "would change" if args.dry_run else "changed"
    print(f"{source}: {len(values)} people, {verb} {changed} values")
    return 0


def _email_lookup(settings: Settings) -> Callable[[str], str | None]:
    from slack_sdk.errors import SlackApiError

    from settings.slack import make_client

    settings.require_slack(http=False)
    client = make_client(settings)

    def lookup(email: str) -> str | None:
        try:
            return str(client.users_lookupByEmail(email=email)["user"]["id"])
        except SlackApiError:
            return None

    return lookup


def cmd_seed(args: argparse.Namespace) -> int:
    if not 1 <= args.teams <= args.employees or args.weeks < 1:
        raise CommandError("need at least 1 week and 1 team, and no more teams than employees")
    from cli import console
    from cli.seed import SeedError, seed_database

    url = normalise_database_url(args.database or os.environ.get("DATABASE_URL", ""))
    with console.bar(unit="weeks", detail="{task.fields[answers]:,} answers") as shown:
        task = shown.add_task("seeding", total=args.weeks, answers=0)
        answers = 0

        def on_week(written: int) -> None:
            nonlocal answers
            answers += written
            shown.update(task, advance=1, answers=answers)
            if shown.finished:
                shown.stop()  # the bar stays above what seeding prints next

        try:
            seed_database(
                url,
                employees=args.employees,
                teams=args.teams,
                weeks=args.weeks,
                seed=args.seed,
                on_week=None if shown.disable else on_week,
            )
        except SeedError as exc:
            raise CommandError(str(exc)) from None
    return 0


if __name__ == "__main__":
    # Run the importable cli.main, not this __main__ copy: handlers imported lazily raise
    # cli.main.CommandError, which main() must recognise as its own.
    from cli.main import main as cli_main

    sys.exit(cli_main())
