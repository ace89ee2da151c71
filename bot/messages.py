"""The edge's side of `jobs.messages.Messages`: each job's message as Block Kit.

Binds the port to the pure renderers in `bot.blocks` and checks every message against
Slack's limits before a job posts it, so a message Slack would refuse fails here, loudly,
rather than as a `invalid_blocks` per recipient.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from bot.blocks.cocreate import celebration_message
from bot.blocks.conversations import Line, pulse_label, relay_notice
from bot.blocks.digest import alert_message, charts_comment, digest_messages
from bot.blocks.pulse import closed_pulse_message, reminder_message
from bot.blocks.validate import check_message
from bot.dm import dm_message
from figures.digest import Digest
from jobs.calendar import local_label
from settings.i18n import long_date, tr, using
from storage.pulses import PulseView


class SlackMessages:
    """`jobs.messages.Messages` for Slack; stateless, so one instance serves every job."""

    def celebration(self, *, team_name: str, text: str, locale: str = "") -> dict[str, Any]:
        with using(locale):
            return _checked(celebration_message(team_name=team_name, text=text))

    def pulse_dm(
        self,
        *,
        view: PulseView,
        commitments: Sequence[str],
        tz: str,
        now: dt.datetime,
        k: int,
        locale: str = "",
    ) -> dict[str, Any]:
        with using(locale):
            return _checked(dm_message(view=view, tz=tz, now=now, k=k, commitments=commitments))

    def closed_dm(
        self,
        *,
        team_name: str,
        questions: Sequence[str],
        closed_at: dt.datetime,
        tz: str,
        respondents: int,
        k: int,
        locale: str = "",
    ) -> dict[str, Any]:
        with using(locale):
            message = closed_pulse_message(
                team_name=team_name,
                questions=list(questions),
                closed_label=local_label(closed_at, tz),
                respondents=respondents,
                min_group_size=k,
            )
            return _checked(message)

    def reminder(
        self, *, team_name: str, closes_at: dt.datetime, tz: str, locale: str = ""
    ) -> dict[str, Any]:
        with using(locale):
            return _checked(
                reminder_message(team_name=team_name, closes_label=local_label(closes_at, tz))
            )

    def digest(self, *, digest: Digest, locale: str = "") -> list[dict[str, Any]]:
        with using(locale):
            return [_checked(m) for m in digest_messages(digest=digest)]

    def charts_comment(self, *, digest: Digest, locale: str = "") -> str:
        with using(locale):
            return charts_comment(digest=digest)

    def alert(
        self,
        *,
        team_name: str,
        team_key: str,
        week: dt.date,
        reasons: Sequence[str],
        k: int,
        why: str,
        locale: str = "",
    ) -> dict[str, Any]:
        with using(locale):
            message = alert_message(
                team_name=team_name,
                team_key=team_key,
                week_label=tr("week of {day}").format(day=long_date(week)),
                reasons=list(reasons),
                k=k,
                why=why,
            )
            return _checked(message)

    def relay_notice(
        self,
        *,
        comment_id: str,
        team_name: str,
        opened: dt.datetime,
        body: str,
        at: dt.datetime,
        revealed_name: str | None,
        locale: str = "",
    ) -> dict[str, Any]:
        line = Line(side="author", body=body, at=at, revealed_name=revealed_name)
        with using(locale):
            return _checked(
                relay_notice(
                    comment_id=comment_id,
                    team_name=team_name,
                    pulse_label=pulse_label(opened),
                    line=line,
                )
            )


def _checked(message: dict[str, Any]) -> dict[str, Any]:
    check_message(message)
    return message
