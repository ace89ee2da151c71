"""Whose language a Slack request is answered in: the person who sent it.

A Bolt middleware puts the sender's locale in place (settings.i18n.set_reader) before the
listener runs (its thread pool copies the context); it is looked up only when a text is
first rendered, after the ack.
"""

from __future__ import annotations

from collections.abc import Callable

from slack_bolt import BoltContext, BoltResponse
from sqlalchemy import Engine

from settings.i18n import set_reader
from storage.db import read_scope
from storage.org import locale_of


def reader_locale(engine: Engine, *, slack_team_id: str, user_id: str) -> str | None:
    """The locale the person reads the bot in (None: unknown to the bot, so English)."""
    with read_scope(engine) as session:
        return locale_of(session, slack_team_id=slack_team_id, slack_user_id=user_id)


def locale_middleware(engine: Engine) -> Callable[..., BoltResponse]:
    def in_reader_locale(context: BoltContext, next: Callable[[], BoltResponse]) -> BoltResponse:
        team, user = context.team_id, context.user_id
        if not team or not user:
            set_reader(None)
        else:
            set_reader(lambda: reader_locale(engine, slack_team_id=team, user_id=user))
        return next()

    return in_reader_locale
