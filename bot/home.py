"""Assemble one person's App Home: their own answers (to them alone) and, for managers and
HR, a dashboard of the teams they may see, with an engagement chart."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot.access import is_hr_admin, viewable_teams
from bot.blocks.conversations import tone_name
from bot.blocks.dashboard import dashboard_blocks
from bot.blocks.home import AUTO_LANGUAGE, PastPulse, home_view
from bot.blocks.inbox import inbox_blocks
from bot.blocks.pulse import QuestionItem, options
from bot.blocks.validate import MAX_VIEW_BLOCKS
from bot.inbox import GENERAL, Filter, inbox
from figures.teams import load_team_figures
from insights.questions import QuestionBank
from jobs.calendar import local_label
from settings.config import AppConfig
from settings.i18n import LANGUAGES, current_language, day_label, tr, using
from storage.comments import delete_written, written_by
from storage.models import Employee
from storage.org import employee_by_slack_id, has_team, locale_of, workspace_by_slack_id
from storage.pseudonym import Respondent
from storage.pulses import is_open, pulse_view, recent_pulses_of
from storage.questions import localized
from storage.responses import answers_of

DASHBOARD_WEEKS = 12
DASHBOARD_TEAMS = 20  # sections; the rest are named by count with a hint
CHART_TEAMS = 6  # lines a chart can hold and still be read
Upload = Callable[[bytes, str], str | None]  # (PNG, title) -> a Slack file id, or None
log = logging.getLogger("pulse.home")
_uploaded: OrderedDict[tuple[str, str], str] = OrderedDict()  # (workspace, sha256) -> file id
_lock = threading.Lock()


def slack_upload(client: WebClient, *, workspace: str) -> Upload:
    """Upload a chart once as a private file of the bot (files upload v2, no channel).

    Charts are byte-identical for the same figures, so a process remembers what it already
    uploaded and a Home refresh with unchanged figures uploads nothing.
    """

    def upload(png: bytes, title: str) -> str | None:
        key = (workspace, hashlib.sha256(png).hexdigest())
        with _lock:
            if key in _uploaded:
                return _uploaded[key]
        try:
            sent = client.files_upload_v2(content=png, filename="engagement.png", title=title)
        except SlackApiError as exc:
            log.warning("chart not uploaded: %s", exc.response.get("error"))
            return None
        file_id = str(sent["file"]["id"])
        with _lock:
            _uploaded[key] = file_id
            while len(_uploaded) > 512:
                _uploaded.popitem(last=False)
        return file_id

    return upload


def publish(client: WebClient, *, user_id: str, view: dict[str, Any]) -> None:
    """views.publish; when Slack refuses an image (a just-uploaded file is processed
    asynchronously, so it may not be usable yet), publish again without images."""
    try:
        client.views_publish(user_id=user_id, view=view)
        return
    except SlackApiError as exc:
        images = [b for b in view["blocks"] if b["type"] == "image"]
        if exc.response.get("error") != "invalid_blocks" or not images:
            raise
        refused = {b.get("slack_file", {}).get("id") for b in images}
        with _lock:
            for key in [k for k, v in _uploaded.items() if v in refused]:
                del _uploaded[key]
    plain = {**view, "blocks": [b for b in view["blocks"] if b["type"] != "image"]}
    client.views_publish(user_id=user_id, view=plain)


def refresh(
    session: Session,
    client: WebClient,
    *,
    config: AppConfig,
    bank: QuestionBank,
    secret: bytes,
    slack_team_id: str,
    user_id: str,
    now: dt.datetime,
) -> None:
    """Publish a person's Home again because something on it changed (their inbox: a reply
    relayed to them, a thread they opened or answered), in the language they read the bot
    in, inbox unfiltered. Someone Slack refuses (departed) is skipped with a warning."""
    with using(locale_of(session, slack_team_id=slack_team_id, slack_user_id=user_id)):
        lang = current_language()
        view = build_home(
            session,
            config=config,
            secret=secret,
            slack_team_id=slack_team_id,
            user_id=user_id,
            now=now,
            upload=slack_upload(client, workspace=slack_team_id),
            driver_labels={key: d.label_in(lang) for key, d in bank.drivers.items()},
        )
    try:
        publish(client, user_id=user_id, view=view)
    except SlackApiError as exc:
        log.warning("home not republished: %s", exc.response.get("error"))


def refresher(
    client: WebClient, *, config: AppConfig, bank: QuestionBank, secret: bytes
) -> Callable[[Session, str, str], None]:
    """`refresh` bound to one client and configuration: what the relay job is given."""

    def refresh_home(session: Session, slack_team_id: str, user_id: str) -> None:
        refresh(
            session,
            client,
            config=config,
            bank=bank,
            secret=secret,
            slack_team_id=slack_team_id,
            user_id=user_id,
            now=dt.datetime.now(dt.UTC),
        )

    return refresh_home


def build_home(
    session: Session,
    *,
    config: AppConfig,
    secret: bytes,
    slack_team_id: str,
    user_id: str,
    now: dt.datetime,
    upload: Upload | None = None,
    driver_labels: dict[str, str] | None = None,
    inbox_filter: str = "",
) -> dict[str, Any]:
    """The Home view; ``upload`` stores a chart as a Slack file (no chart without it);
    ``inbox_filter`` is bot.inbox.Filter's value for a manager's inbox."""
    k = config.privacy.min_group_size
    ws = workspace_by_slack_id(session, slack_team_id=slack_team_id)
    teams = viewable_teams(config, user_id) if ws is not None else []  # another workspace: none
    managed = [team.name for key in teams if (team := config.team(key))]
    hr = ws is not None and is_hr_admin(config, user_id)
    manages = [t.name for t in config.teams if ws is not None and user_id in t.managers]
    me = (
        employee_by_slack_id(session, workspace_id=ws.id, slack_user_id=user_id)
        if ws and ws.id
        else None
    )
    mine = _own_part(
        session, secret=secret, slack_team_id=slack_team_id, user_id=user_id, me=me, now=now
    )
    if ws is None or ws.id is None or not managed:
        return home_view(**mine, hr=hr, manages=manages, k=k, manager_of=managed)
    feedback = _inbox(
        session,
        config=config,
        workspace_id=ws.id,
        user_id=user_id,
        now=now,
        driver_labels=driver_labels or {},
        raw_filter=inbox_filter,
    )
    view = home_view(**mine, hr=hr, manages=manages, k=k, manager_of=managed, inbox=feedback)
    room = MAX_VIEW_BLOCKS - len(view["blocks"])
    dashboard = _dashboard(
        session,
        config=config,
        workspace_id=ws.id,
        user_id=user_id,
        now=now,
        room=room,
        upload=upload,
        heading=tr("All teams") if hr else tr("Your teams"),
    )
    return home_view(
        **mine,
        hr=hr,
        manages=manages,
        k=k,
        manager_of=managed,
        dashboard=dashboard,
        inbox=feedback,
    )


def _inbox(
    session: Session,
    *,
    config: AppConfig,
    workspace_id: int,
    user_id: str,
    now: dt.datetime,
    driver_labels: dict[str, str],
    raw_filter: str,
) -> list[dict[str, Any]]:
    wanted = Filter.parse(raw_filter)
    found = inbox(
        session,
        config=config,
        workspace_id=workspace_id,
        user_id=user_id,
        now=now,
        driver_labels=driver_labels,
        wanted=wanted,
    )
    said = [
        tr("general comments")
        if wanted.driver == GENERAL
        else driver_labels.get(wanted.driver or "", wanted.driver or ""),
        tr("{tone} tone").format(tone=tone_name(wanted.tone)) if wanted.tone else "",
    ]
    return inbox_blocks(
        found.items,
        total=found.total,
        unread=found.unread,
        filter_value=wanted.value(),
        filter_text=", ".join(x for x in said if x) or None,
    )


def _dashboard(
    session: Session,
    *,
    config: AppConfig,
    workspace_id: int,
    user_id: str,
    now: dt.datetime,
    room: int,
    upload: Upload | None,
    heading: str,
) -> list[dict[str, Any]]:
    """One section per team the person may see (teams with a red flag first when they do
    not all fit in ``room`` blocks), and one chart of their engagement."""
    keys = viewable_teams(config, user_id)
    figs = load_team_figures(
        session,
        config=config,
        workspace_id=workspace_id,
        teams=keys,
        weeks=DASHBOARD_WEEKS,
        now=now,
    )
    cards = [(team.name, figs[key]) for key in keys if (team := config.team(key))]
    fit = max(1, min(DASHBOARD_TEAMS, room - 4))  # divider, header, chart, hint
    if len(cards) > fit:
        cards.sort(key=lambda card: (not card[1].flags, card[1].period is None))
    shown = cards[:fit]
    series = {name: list(f.series) for name, f in shown if f.series}
    file_id, picked = None, dict(list(series.items())[:CHART_TEAMS])
    if upload is not None and picked:
        from figures.charts import trend_chart  # matplotlib loads only when a chart is drawn

        png = trend_chart(picked, y_label=tr("Engagement (0–100)"))  # the Home names it
        file_id = upload(png, tr("Engagement, last {n} weeks").format(n=DASHBOARD_WEEKS))
    return dashboard_blocks(
        shown,
        weeks=DASHBOARD_WEEKS,
        k=config.privacy.min_group_size,
        chart_file_id=file_id,
        charted=list(picked),
        more=len(cards) - len(shown),
        title=heading,
    )


def _own_part(
    session: Session,
    *,
    secret: bytes,
    slack_team_id: str,
    user_id: str,
    me: Employee | None,
    now: dt.datetime,
) -> dict[str, Any]:
    """The person's own pulses and choices, as home_view's keyword arguments."""
    if me is None or me.id is None:
        return {"pulses": [], "paused_until": None, "opted_out": False, "enrolled": False}
    choice = {"picker": True, "chosen": me.locale_override}
    past = []
    for pulse in recent_pulses_of(session, employee_id=me.id):
        view = pulse_view(session, pulse_id=pulse.id or 0)
        if view is None:
            continue
        who = Respondent(secret, workspace=slack_team_id, user_id=user_id, pulse_id=pulse.id or 0)
        answers = answers_of(session, respondent=who)
        texts = written_by(session, respondent=who)
        lines = []
        for q in view.questions:
            text, scale = localized(q, current_language())
            item = QuestionItem(question_id=q.id or 0, text=text, kind=q.kind, scale=scale)
            if q.id in answers:
                lines.append((text, dict(options(item)).get(answers[q.id], str(answers[q.id]))))
            elif q.id in texts:
                lines.append((text, texts[q.id]))
        status = (
            tr("open until {when}").format(when=local_label(pulse.closes_at, me.tz))
            if is_open(pulse, now)
            else tr("closed")
        )
        past.append(
            PastPulse(
                pulse_id=pulse.id or 0,
                comment=texts.get(None),
                team_name=view.team_name,
                when=day_label(pulse.opened_at.date()),
                status=status,
                lines=lines,
            )
        )
    paused = me.paused_until if me.paused_until and me.paused_until >= now.date() else None
    return {
        "pulses": past,
        "paused_until": day_label(paused) if paused else None,
        "opted_out": me.opted_out,
        "enrolled": has_team(session, employee_id=me.id),
        **choice,
    }


def delete_comment(
    session: Session, *, secret: bytes, slack_team_id: str, user_id: str, raw_pulse_id: str
) -> int:
    """The author removes their own comment on one pulse; returns rows removed."""
    if not raw_pulse_id.isdigit():
        return 0
    who = Respondent(secret, workspace=slack_team_id, user_id=user_id, pulse_id=int(raw_pulse_id))
    return delete_written(session, respondent=who, question_id=None)


def set_language(session: Session, *, slack_team_id: str, user_id: str, choice: str) -> bool:
    """The person picks the language the bot speaks to them (``auto``: their Slack one).

    False, changing nothing, for an unknown person or a value that is not a language."""
    if choice != AUTO_LANGUAGE and choice not in LANGUAGES:
        return False
    ws = workspace_by_slack_id(session, slack_team_id=slack_team_id)
    me = (
        employee_by_slack_id(session, workspace_id=ws.id, slack_user_id=user_id)
        if ws and ws.id
        else None
    )
    if me is None:
        return False
    me.locale_override = None if choice == AUTO_LANGUAGE else choice
    session.add(me)
    return True
