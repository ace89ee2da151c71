"""`/pulse admin …` for HR admins: send or close a pulse now, schedules and delivery health,
questions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import Session

from bot.access import is_hr_admin
from bot.blocks import admin as blocks
from bot.blocks.reply import message
from bot.blocks.text import escape
from insights.questions import QuestionBank
from jobs.calendar import Schedule, cycle_dates, schedule_for, send_date
from jobs.pulses import AlreadyOpen, PulseError, close_now, open_now
from settings.config import AppConfig
from settings.i18n import N_, current_language, day_label, ngettext, tr, weekday
from storage.org import team_by_key, team_member_count, workspace_by_slack_id
from storage.pulses import delivery_failures, latest_pulse
from storage.questions import retired_keys, set_retired, sync_questions

# the weekday a schedule names, as the reader's language writes it (a date in that week)
CADENCES = {"weekly": N_("weekly"), "biweekly": N_("biweekly"), "monthly": N_("monthly")}
DAYS = tuple(dt.date(2024, 1, day) for day in range(1, 6))  # Mon 1 Jan 2024 … Fri 5 Jan


def admin_command(
    session: Session,
    *,
    config: AppConfig,
    bank: QuestionBank,
    slack_team_id: str,
    user_id: str,
    args: list[str],
    now: dt.datetime,
    secret: bytes,
) -> dict[str, Any]:
    ws = workspace_by_slack_id(session, slack_team_id=slack_team_id)
    if not is_hr_admin(config, user_id) or ws is None or ws.id is None:
        return message(tr("Admin commands are for the HR admins listed in Oxygen Pulse's config."))
    sub, rest = (args[0].lower(), args[1:]) if args else ("help", [])
    if sub == "send" and len(rest) == 1:
        try:
            opened = open_now(
                session,
                config=config,
                bank=bank,
                workspace_id=ws.id,
                team_key=rest[0].lower(),
                now=now,
            )
        except AlreadyOpen as exc:
            return message(
                tr(
                    "Couldn't open a pulse: {reason}. Nothing was sent; "
                    "`/pulse admin close {team}` closes it early."
                ).format(reason=escape(str(exc), limit=500), team=escape(exc.team_key, limit=100))
            )
        except PulseError as exc:
            return message(
                tr("Couldn't open a pulse: {reason}.").format(reason=escape(str(exc), limit=500))
            )
        name = config.team(opened.team_key).name  # type: ignore[union-attr]
        return message(
            ngettext(
                "Opened a pulse for *{team}*: {n} person gets it in the next minute.",
                "Opened a pulse for *{team}*: {n} people get it in the next minute.",
                opened.invited,
            ).format(team=escape(name, limit=300), n=opened.invited)
        )
    if sub == "close" and len(rest) == 1:
        key = rest[0].lower()
        return _close(
            session, config=config, workspace_id=ws.id, team_key=key, now=now, secret=secret
        )
    if sub == "schedules" and not rest:
        return blocks.schedules(_schedule_rows(session, config=config, workspace_id=ws.id, now=now))
    if sub == "questions" and not rest:
        sync_questions(session, bank.active())
        retired, lang = retired_keys(session), current_language()
        return blocks.questions(
            [
                (d.label_in(lang), [(q.key, q.text_in(lang), q.key in retired) for q in qs])
                for d, qs in _by_driver(bank)
            ]
        )
    if sub in ("retire", "restore") and len(rest) == 1:
        key = rest[0]
        if key not in bank:
            return message(
                tr("No question `{key}`. `/pulse admin questions` lists the keys.").format(
                    key=escape(key, limit=100)
                )
            )
        sync_questions(session, bank.active())
        set_retired(session, key=key, retired=sub == "retire")
        said = (
            tr("`{key}` is retired: no pulse will ask it.")
            if sub == "retire"
            else tr("`{key}` is back in rotation.")
        )
        return message(said.format(key=escape(key, limit=100)))
    return message(tr(blocks.ADMIN_USAGE))


def _close(
    session: Session,
    *,
    config: AppConfig,
    workspace_id: int,
    team_key: str,
    now: dt.datetime,
    secret: bytes,
) -> dict[str, Any]:
    try:
        pulse = close_now(
            session,
            config=config,
            workspace_id=workspace_id,
            team_key=team_key,
            now=now,
            secret=secret,
        )
    except PulseError as exc:
        return message(tr("Nothing to close: {reason}.").format(reason=escape(str(exc), limit=500)))
    name = escape(config.team(team_key).name, limit=300)  # type: ignore[union-attr]
    return message(
        tr(
            "Closed the *{team}* pulse opened {day}: answers are no longer taken, and "
            "everyone's DM will show it closed within a minute."
        ).format(team=name, day=day_label(pulse.opened_at.date()))
    )


def _by_driver(bank: QuestionBank) -> list[tuple[Any, list[Any]]]:
    grouped = bank.by_driver()
    return [(bank.drivers[key], grouped.get(key, [])) for key in bank.drivers]


def _schedule_rows(
    session: Session, *, config: AppConfig, workspace_id: int, now: dt.datetime
) -> list[dict[str, Any]]:
    rows = []
    for team_cfg in config.teams:
        if team_cfg.usergroup is None and team_cfg.channel is None:
            continue
        schedule = schedule_for(config, team_cfg.key)
        upcoming = cycle_dates(schedule, now.date(), now.date() + dt.timedelta(days=70))
        team = team_by_key(session, workspace_id=workspace_id, key=team_cfg.key)
        pulse = latest_pulse(session, team_id=team.id) if team and team.id else None
        rows.append(
            {
                "name": team_cfg.name,
                "rule": schedule_rule(schedule),
                "next": day_label(send_date(schedule, upcoming[0])) if upcoming else "—",
                "members": team_member_count(session, team_id=team.id) if team and team.id else 0,
                "synced": team is not None and team.synced_at is not None,
                "failures": delivery_failures(session, pulse_id=pulse.id)
                if pulse and pulse.id
                else {},
            }
        )
    return rows


def schedule_rule(schedule: Schedule) -> str:
    """ "weekly on Tue at 10:00 local time, open 48 h, reminder 24 h before close"."""
    cadence = tr(CADENCES[schedule.cadence]) if schedule.cadence in CADENCES else schedule.cadence
    said = tr("{cadence} on {day} at {time} local time, open {hours} h").format(
        cadence=cadence,
        day=weekday(DAYS[schedule.weekday]),
        time=f"{schedule.clock:%H:%M}",
        hours=schedule.open_hours,
    )
    if schedule.reminder_hours:
        return (
            said
            + ", "
            + tr("reminder {hours} h before close").format(hours=schedule.reminder_hours)
        )
    return said + ", " + tr("no reminder")
