"""Whose language a Slack request is answered in: the person who sent it.

A Bolt middleware puts the sender's locale in place (settings.i18n.set_reader) before the
listener runs (its thread pool copies the context); it is looked up only when a text is
first rendered, after the ack.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from slack_bolt import BoltContext, BoltResponse
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from settings.i18n import set_reader
from storage.db import read_scope
from storage.org import locale_of

log = logging.getLogger("pulse.reader")


def reader_locale(engine: Engine, *, slack_team_id: str, user_id: str) -> str | None:
    """The locale the person reads the bot in (None: unknown to the bot, so English).

    With the database away the reply that says so ("try again") must still go out: it is
    said in English rather than not at all."""
    try:
        with read_scope(engine) as session:
            return locale_of(session, slack_team_id=slack_team_id, slack_user_id=user_id)
    except DBAPIError as exc:
        log.warning("reader's language not read, answering in English: %s", type(exc).__name__)
        return None


def locale_middleware(engine: Engine) -> Callable[..., BoltResponse]:
    def in_reader_locale(context: BoltContext, next: Callable[[], BoltResponse]) -> BoltResponse:
        team, user = context.team_id, context.user_id
        if not team or not user:
            set_reader(None)
        else:
            set_reader(lambda: reader_locale(engine, slack_team_id=team, user_id=user))
        return next()

    return in_reader_locale
