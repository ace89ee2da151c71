"""`pulse status`: what the worker is doing, read from the database, for operators.

Open pulses per team (participation only once k people have answered, as in the report),
the DM outboxes (queued, claimed, failed by reason), each team's next scheduled pulse and
the last digest. Reads only, in one read-only transaction; needs no Slack token.
"""

from __future__ import annotations

import argparse
import datetime as dt
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from cli.main import CommandError, open_database
from insights.privacy import visible
from jobs.calendar import cycle_dates, schedule_for, send_date, window
from jobs.digest import WEEKDAYS, week_of
from jobs.pulses import LEAD
from settings.config import AppConfig
from settings.runtime import Settings
from storage import worker_status
from storage.db import read_scope
from storage.models import Workspace
from storage.org import team_by_key
from storage.pulses import pulse_in_cycle
from storage.responses import pulse_aggregate

RECENT = dt.timedelta(days=7)  # sent / failed DMs are counted for pulses closed this recently
PLANNER_EVERY = dt.timedelta(minutes=5)  # jobs.scheduler runs the planner this often


def cmd_status(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    engine = open_database(settings)
    try:
        with read_scope(engine) as s:
            lines = status_lines(s, config=settings.config, now=dt.datetime.now(dt.UTC))
    finally:
        engine.dispose()
    print("\n".join(lines))
    return 0


def status_lines(session: Session, *, config: AppConfig, now: dt.datetime) -> list[str]:
    workspaces = session.exec(select(Workspace)).all()
    if not workspaces:
        raise CommandError("no workspace in the database yet: run `pulse teams sync` first")
    ws = workspaces[0]
    ws_id = ws.id or 0
    lines = [f"Oxygen Pulse in {ws.name} ({ws.slack_team_id}), {_utc(now)}", ""]
    lines += [_worker(session, ws_id, now), ""]
    lines += [*_open_pulses(session, ws_id, config.privacy.min_group_size, now), ""]
    since = f"(pulses open, or closed in the last {RECENT.days} days)"
    lines.append(f"Pulse DMs {since}")
    lines.append("  " + _queue(worker_status.deliveries(session, now=now, since=now - RECENT), now))
    lines.append("Closed-pulse DM updates")
    updates = worker_status.closing_updates(session, now=now, since=now - RECENT)
    lines += ["  " + _queue(updates, now, done="updated"), ""]
    lines += [*_next_pulses(session, config, ws_id, now), ""]
    lines.append(_digest(session, config, ws_id, now))
    return lines


def _utc(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%a %d %b %Y, %H:%M UTC")


def _ago(then: dt.datetime, now: dt.datetime) -> str:
    seconds = max(0, int((now - then).total_seconds()))
    if seconds < 120:
        return f"{seconds} s ago"
    if seconds < 7200:
        return f"{seconds // 60} min ago"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86400} days ago"


def _worker(session: Session, ws_id: int, now: dt.datetime) -> str:
    last = worker_status.planner_last_run(session, workspace_id=ws_id)
    if last is None:
        return "Worker: its planner has never run here: start `pulse worker`"
    line = f"Worker: planner last ran {_ago(last, now)} ({_utc(last)})"
    if now - last > 3 * PLANNER_EVERY:
        line += f"; it runs every {PLANNER_EVERY.seconds // 60} min: is `pulse worker` running?"
    return line


def _open_pulses(session: Session, ws_id: int, k: int, now: dt.datetime) -> list[str]:
    pulses = worker_status.open_pulses(session, workspace_id=ws_id, now=now)
    if not pulses:
        return ["Open pulses: none"]
    lines = ["Open pulses"]
    width = max(len(p.team_key) for p in pulses)
    for p in pulses:
        agg = pulse_aggregate(session, pulse_id=p.pulse_id)
        if p.opened_at > now:
            when = f"first DMs {_utc(p.opened_at)}, open until {_utc(p.closes_at)}"
        else:
            when = f"open until {_utc(p.closes_at)}"
        if visible(agg.respondents, k) and agg.invited:  # the report's rule for open pulses
            took_part = f"{agg.respondents / agg.invited:.0%} have answered so far"
        else:
            took_part = f"participation shows once {k} have answered"
        team = f"{p.team_key:<{width}}"
        lines.append(f"  {team}  pulse {p.pulse_id}, {when}; {agg.invited} invited; {took_part}")
    return lines


def _counts(reasons: dict[str, int]) -> str:
    return ", ".join(f"{reason} {n}" for reason, n in sorted(reasons.items(), key=lambda x: -x[1]))


def _queue(q: worker_status.Queue, now: dt.datetime, *, done: str = "sent") -> str:
    queued = f"{q.queued} queued"
    if q.queued:
        later = f", next due {_utc(q.next_due)}" if q.next_due and q.due_now < q.queued else ""
        queued += f" ({q.due_now} due now{later})"
    claimed = f"{q.claimed} claimed"
    if q.claimed and q.oldest_claim is not None:
        workers = "1 worker" if q.workers == 1 else f"{q.workers} workers"
        claimed += f" by {workers}, oldest {_ago(q.oldest_claim, now)}"
    failed = f"{sum(q.failed.values())} failed"
    if q.failed:
        failed += f" ({_counts(q.failed)})"
    parts = [queued, claimed, f"{q.done} {done}", failed]
    if q.skipped:
        parts.append(f"{sum(q.skipped.values())} skipped ({_counts(q.skipped)})")
    return ", ".join(parts)


def _next_pulses(session: Session, config: AppConfig, ws_id: int, now: dt.datetime) -> list[str]:
    """Each team's next cycle that has not had its pulse, as the worker's planner sees it."""
    teams = [t for t in config.teams if t.usergroup or t.channel]
    if not teams:
        return ["Next pulses: no team has members configured"]
    lines = ["Next scheduled pulses"]
    width = max(len(t.key) for t in teams)
    for team_cfg in teams:
        team = team_by_key(session, workspace_id=ws_id, key=team_cfg.key)
        if team is None or team.id is None or team.synced_at is None:
            lines.append(f"  {team_cfg.key:<{width}}  not synced yet: run `pulse teams sync`")
            continue
        schedule = schedule_for(config, team_cfg.key)
        found = "none in the next 120 days"
        start, end = (now - dt.timedelta(days=40)).date(), (now + dt.timedelta(days=120)).date()
        for cycle in cycle_dates(schedule, start, end):
            starts, closes = window(schedule, cycle)
            if closes <= now:
                continue
            if pulse_in_cycle(session, team_id=team.id, cycle_date=cycle, starts=starts):
                continue  # this cycle had its pulse (or one open at its start uses it up)
            day = send_date(schedule, cycle)
            found = f"{day:%a %d %b} at {schedule.clock:%H:%M} in each person's time zone"
            found += f" ({schedule.cadence})"
            if starts <= now:
                found = f"due now, late (the {day:%a %d %b} pulse): the planner opens it next run"
            elif starts <= now + LEAD:
                found += "; the planner writes it ahead on its next run"
            break
        lines.append(f"  {team_cfg.key:<{width}}  {found}")
    return lines


def _digest(session: Session, config: AppConfig, ws_id: int, now: dt.datetime) -> str:
    hr = config.hr
    if hr.digest_channel is None:
        return "Digest: no [hr] digest_channel, so none is posted"
    last = worker_status.last_digest(session, workspace_id=ws_id)
    tz = ZoneInfo(hr.digest_timezone)
    monday = week_of(now, hr.digest_timezone)
    hour, minute = (int(x) for x in hr.digest_time.split(":"))
    moment = dt.datetime.combine(
        monday + dt.timedelta(days=WEEKDAYS.index(hr.digest_day)), dt.time(hour, minute), tz
    )
    if last is not None and last.period_start >= monday:
        due = f"next due {_utc(moment + dt.timedelta(days=7))}"
    elif moment <= now:
        due = f"this week's was due {_utc(moment)}: the worker posts it on its next check"
    else:
        due = f"next due {_utc(moment)}"
    if last is None:
        said = "none posted yet"
    else:
        covered = last.period_start - dt.timedelta(days=7)
        said = f"last posted {_utc(last.sent_at)} (the week of {covered:%d %b})"
    return f"Digest to {hr.digest_channel}: {said}; {due}"
