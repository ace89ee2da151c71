"""Post the weekly HR digest to `[hr] digest_channel`, once per week, at HR's local time.

The digest is due once this week's `digest_day` `digest_time` in `digest_timezone` has
passed. `SentDigest` (unique per workspace and week, claimed before posting) makes the post
happen once however often the job ticks and however many clocks run; a worker that was down
at that moment posts at its next tick in the same week, and a week missed entirely is
skipped (a stale digest is not news). A failed post releases the claim, so the next tick
retries.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine, delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from figures.digest import Digest
from figures.digest_ready import weekly_digest
from insights.questions import QuestionBank
from jobs.messages import Messages
from settings.config import AppConfig
from settings.i18n import language
from storage.db import read_scope, session_scope
from storage.models import SentDigest

log = logging.getLogger("pulse.digest")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class DigestRun:
    """What a run did: ``posted``, ``not_due``, ``already_sent`` or ``no_channel``."""

    status: str
    week: dt.date | None = None
    channel: str | None = None
    ts: str | None = None
    messages: int = 0
    files: tuple[str, ...] = ()


def hr_labels(config: AppConfig, bank: QuestionBank) -> dict[str, str]:
    """The drivers' labels in HR's language: the digest's texts and charts name them so."""
    lang = language(config.hr.locale)
    return {key: d.label_in(lang) for key, d in bank.drivers.items()}


def week_of(now: dt.datetime, tz: str) -> dt.date:
    """Monday of ``now``'s week in ``tz``: the key a digest is sent once under."""
    today = now.astimezone(ZoneInfo(tz)).date()
    return today - dt.timedelta(days=today.weekday())


def due_week(now: dt.datetime, *, day: str, at: str, tz: str) -> dt.date | None:
    """This week's Monday once this week's digest moment has passed, else None."""
    monday = week_of(now, tz)
    hour, minute = (int(part) for part in at.split(":"))
    moment = dt.datetime.combine(
        monday + dt.timedelta(days=WEEKDAYS.index(day)), dt.time(hour, minute), ZoneInfo(tz)
    )
    return monday if now >= moment else None


def run(
    engine: Engine,
    client: WebClient,
    *,
    config: AppConfig,
    workspace_id: int,
    now: dt.datetime,
    messages: Messages,
    scheduled: bool = True,
    force: bool = False,
    driver_labels: Mapping[str, str] | None = None,
    secret: bytes | None = None,
) -> DigestRun:
    """Post this week's digest if due (``scheduled``) or now; ``force`` posts it again."""
    hr = config.hr
    if hr.digest_channel is None:
        return DigestRun("no_channel")
    week = week_of(now, hr.digest_timezone)
    if (
        scheduled
        and due_week(now, day=hr.digest_day, at=hr.digest_time, tz=hr.digest_timezone) is None
    ):
        return DigestRun("not_due", week)
    with read_scope(engine) as s:
        if not force and _sent(s, workspace_id=workspace_id, week=week):
            return DigestRun("already_sent", week, hr.digest_channel)
        digest = weekly_digest(  # kept by the worker (jobs.kept_figures), else built
            s,
            config=config,
            workspace_id=workspace_id,
            now=now,
            driver_labels=driver_labels,
            secret=secret,
        )
    claimed = _claim(engine, workspace_id=workspace_id, week=week, now=now)
    if not claimed and not force:
        return DigestRun("already_sent", week, hr.digest_channel)
    try:
        ts, count = post(
            client, channel=hr.digest_channel, digest=digest, messages=messages, locale=hr.locale
        )
    except SlackApiError:
        if claimed:
            _release(engine, workspace_id=workspace_id, week=week)
        raise
    log.info("digest for the week of %s posted to %s (%s messages)", week, hr.digest_channel, count)
    files = tuple(c.filename for c in digest.charts)
    return DigestRun("posted", week, hr.digest_channel, ts, count, files)


def post(
    client: WebClient, *, channel: str, digest: Digest, messages: Messages, locale: str = ""
) -> tuple[str, int]:
    """First message to the channel, later parts in its thread, charts to the channel; in
    HR's `locale` ([hr] locale in config.toml)."""
    parts = messages.digest(digest=digest, locale=locale)
    ts = str(client.chat_postMessage(channel=channel, **parts[0])["ts"])
    for part in parts[1:]:
        client.chat_postMessage(channel=channel, thread_ts=ts, **part)
    if digest.charts:
        client.files_upload_v2(
            channel=channel,
            initial_comment=messages.charts_comment(digest=digest, locale=locale),
            file_uploads=[
                {
                    "file": c.png,
                    "filename": c.filename,
                    "title": c.title,
                    "alt_txt": f"{c.title}. {c.takeaway}"[:1000],
                }
                for c in digest.charts
            ],
        )
    return ts, len(parts)


def _sent(session: Session, *, workspace_id: int, week: dt.date) -> bool:
    found = session.exec(
        select(SentDigest.id).where(
            SentDigest.workspace_id == workspace_id, SentDigest.period_start == week
        )
    ).first()
    return found is not None


def _claim(engine: Engine, *, workspace_id: int, week: dt.date, now: dt.datetime) -> bool:
    """Record the week's digest as sent; False when another run already has."""
    try:
        with session_scope(engine) as s:
            s.add(SentDigest(workspace_id=workspace_id, period_start=week, sent_at=now))
    except IntegrityError:
        return False
    return True


def _release(engine: Engine, *, workspace_id: int, week: dt.date) -> None:
    with session_scope(engine) as s:
        s.exec(
            delete(SentDigest).where(
                col(SentDigest.workspace_id) == workspace_id, col(SentDigest.period_start) == week
            )
        )
