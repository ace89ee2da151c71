"""An employee's own choices: pause pulses for a while, opt out, opt back in."""

from __future__ import annotations

import datetime as dt
import re

from sqlmodel import Session

from settings.i18n import N_, day_label, tr
from storage.models import Employee
from storage.org import employee_by_slack_id, has_team, workspace_by_slack_id

MAX_PAUSE_DAYS = 90
PAUSE_USAGE = N_("Usage: `/pulse pause 2w` (or `10d`, up to 12 weeks), `/pulse resume`.")


def parse_duration(text: str) -> int | None:
    """'2w' -> 14, '10d' -> 10, '3 weeks' -> 21; None when unreadable or out of range."""
    match = re.fullmatch(r"(\d{1,3})\s*(d|day|days|w|wk|week|weeks)", text.strip().lower())
    if match is None:
        return None
    days = int(match.group(1)) * (7 if match.group(2).startswith("w") else 1)
    return days if 1 <= days <= MAX_PAUSE_DAYS else None


def _me(session: Session, slack_team_id: str, user_id: str) -> Employee | None:
    ws = workspace_by_slack_id(session, slack_team_id=slack_team_id)
    if ws is None or ws.id is None:
        return None
    me = employee_by_slack_id(session, workspace_id=ws.id, slack_user_id=user_id)
    if me is None or me.id is None or not has_team(session, employee_id=me.id):
        return None
    return me


NOT_ENROLLED = N_(
    "You're not part of a pulse team yet, so there's nothing to change. "
    "HR adds teams in Oxygen Pulse's configuration."
)


def pause(session: Session, *, slack_team_id: str, user_id: str, text: str, today: dt.date) -> str:
    days = parse_duration(text)
    if days is None:
        return tr(PAUSE_USAGE)
    me = _me(session, slack_team_id, user_id)
    if me is None:
        return tr(NOT_ENROLLED)
    me.paused_until = today + dt.timedelta(days=days)
    session.add(me)
    return tr(
        "Paused: no pulses until after {day}. Enjoy the break! "
        "`/pulse resume` brings them back sooner."
    ).format(day=day_label(me.paused_until))


def resume(session: Session, *, slack_team_id: str, user_id: str) -> str:
    me = _me(session, slack_team_id, user_id)
    if me is None:
        return tr(NOT_ENROLLED)
    me.paused_until = None
    session.add(me)
    if me.opted_out:
        return tr(
            "Your pause is cleared, but you're opted out: `/pulse optin` to get pulses again."
        )
    return tr("Welcome back: you'll get the next pulse.")


def set_opt_out(session: Session, *, slack_team_id: str, user_id: str, out: bool) -> str:
    me = _me(session, slack_team_id, user_id)
    if me is None:
        return tr(NOT_ENROLLED)
    me.opted_out = out
    session.add(me)
    if out:
        return tr(
            "You're opted out: no more pulses. Answers you already gave stay anonymous in your "
            "team's figures. `/pulse optin` any time to come back."
        )
    return tr("You're opted back in: you'll get the next pulse. Thank you!")
