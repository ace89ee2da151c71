"""Red-flag alerts: DM a team's managers and the HR admins when a flag appears, once per flag.

Who: the team's own managers (a team without any: the managers of its nearest parent that
has some) and every HR admin; one DM per person and team, listing that team's new flags, in
that person's language (their Home choice, else their Slack locale; `[hr] locale` for someone
the bot has not synced).
Managers of parent teams that have their own managers below them are not alerted: they see
the flags in reports and HR in the digest, and fewer, better-aimed alerts get read.

What: flags of the latest shown week (figures.org.org_view over the one pipeline, the rule the
report flags by), only from k+ respondents about a team that may be named
(figures.digest.safe_flags), and only once that team's pulses of the week have closed, since an
open pulse's figures still move.

Once: `SentAlert` (team, week, kind, driver) is claimed before sending; if nobody could be
reached, the claim is released so the next run retries.
"""

from __future__ import annotations

import datetime as dt
import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine, delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from figures import store
from figures.digest import safe_flags
from figures.org import org_view
from figures.pipeline import EXTRA_WEEKS, Window
from insights.alerts import RedFlag
from jobs.messages import Messages
from settings.config import AppConfig
from settings.i18n import tr, using
from storage.db import read_scope, session_scope
from storage.models import Pulse, SentAlert, Team
from storage.org import locales_of

log = logging.getLogger("pulse.alerts")
WEEKS = 6  # enough history for every flag: a 4-week baseline, 3 weeks of bottom decile
Key = tuple[int, dt.date, str, str]  # SentAlert's unique key: team id, week, kind, driver


def recipients(config: AppConfig, team_key: str) -> dict[str, str]:
    """Slack user id -> why they get this team's alerts (one sentence)."""
    team = config.team(team_key)
    name = team.name if team else team_key
    out: dict[str, str] = {}
    for key in [team_key, *config.ancestors(team_key)]:
        owner = config.team(key)
        if owner is not None and owner.managers:
            why = (
                tr("You manage {team}.").format(team=name)
                if key == team_key
                else tr("You manage {team}, and {name} has no manager of its own.").format(
                    team=owner.name, name=name
                )
            )
            out.update(dict.fromkeys(owner.managers, why))
            break
    for admin in config.hr.admins:
        out.setdefault(admin, tr("You are an HR admin."))
    return out


def run(
    engine: Engine,
    client: WebClient,
    *,
    config: AppConfig,
    workspace_id: int,
    now: dt.datetime,
    messages: Messages,
) -> int:
    """Send alerts for new flags; returns how many DMs were posted."""
    if not config.hr.alerts:
        return 0
    with read_scope(engine) as s:
        window = Window.ending(now.date(), weeks=WEEKS, history=WEEKS + EXTRA_WEEKS)
        fig = store.read(
            s, config=config, workspace_id=workspace_id, window=window, closed_by=now, nodes=None
        )
        org = org_view(fig, config=config, links=False)
        ids = _team_ids(s, workspace_id=workspace_id)
        still_open = _open_weeks(s, workspace_id=workspace_id)
        flags = {
            _key(f, ids): f
            for f in safe_flags(org)
            if f.team in ids and (f.team, f.period.date()) not in still_open
        }
        weeks = {key[1] for key in flags}
        everyone = {u for f in flags.values() for u in recipients(config, f.team)}
        locales = locales_of(s, workspace_id=workspace_id, slack_user_ids=everyone)
        sent = set(
            s.exec(
                select(
                    col(SentAlert.team_id),
                    col(SentAlert.period_start),
                    col(SentAlert.kind),
                    col(SentAlert.driver),
                ).where(col(SentAlert.period_start).in_(weeks))
            ).all()
        )
    new = {key: flag for key, flag in flags.items() if key not in sent}
    claimed = _claim(engine, keys=list(new), now=now)
    delivered: set[Key] = set()
    posted = 0
    for team_key in dict.fromkeys(new[key].team for key in claimed):
        keys = [key for key in claimed if new[key].team == team_key]
        team = config.team(team_key)
        for user in recipients(config, team_key):
            locale = locales.get(user) or config.hr.locale
            with using(locale):
                why = recipients(config, team_key)[user]
            message = messages.alert(
                team_name=team.name if team else team_key,
                team_key=team_key,
                week=new[keys[0]].period.date(),
                reasons=[new[key].reason for key in keys],
                k=org.k,
                why=why,
                locale=locale,
            )
            try:
                client.chat_postMessage(channel=user, **message)
            except SlackApiError as exc:
                log.warning("alert to %s not sent: %s", user, exc.response.get("error"))
                continue
            posted += 1
            delivered.update(keys)
    _release(engine, keys=[key for key in claimed if key not in delivered])
    return posted


def _key(flag: RedFlag, ids: dict[str, int]) -> Key:
    return (ids[flag.team], flag.period.date(), flag.kind, flag.driver or "")


def _team_ids(session: Session, *, workspace_id: int) -> dict[str, int]:
    rows = session.exec(select(Team.key, Team.id).where(Team.workspace_id == workspace_id))
    return {key: tid for key, tid in rows.all() if tid is not None}


def _open_weeks(session: Session, *, workspace_id: int) -> set[tuple[str, dt.date]]:
    rows = session.exec(
        select(col(Team.key), col(Pulse.period_start))
        .join(Team, col(Team.id) == Pulse.team_id)
        .where(Pulse.workspace_id == workspace_id, col(Pulse.closed_at).is_(None))
        .distinct()
    )
    return set(rows.all())


def _claim(engine: Engine, *, keys: list[Key], now: dt.datetime) -> list[Key]:
    """Insert a SentAlert per key; returns those this run inserted (others were taken)."""
    claimed = []
    with session_scope(engine) as s:
        for team_id, week, kind, driver in keys:
            try:
                with s.begin_nested():
                    s.add(
                        SentAlert(
                            team_id=team_id,
                            period_start=week,
                            kind=kind,
                            driver=driver,
                            sent_at=now,
                        )
                    )
            except IntegrityError:
                continue
            claimed.append((team_id, week, kind, driver))
    return claimed


def _release(engine: Engine, *, keys: list[Key]) -> None:
    if not keys:
        return
    with session_scope(engine) as s:
        for team_id, week, kind, driver in keys:
            s.exec(
                delete(SentAlert).where(
                    col(SentAlert.team_id) == team_id,
                    col(SentAlert.period_start) == week,
                    col(SentAlert.kind) == kind,
                    col(SentAlert.driver) == driver,
                )
            )
