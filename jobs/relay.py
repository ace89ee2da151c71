"""Relay: authors' replies in conversations are passed on in batches at fixed times.

A reply that reached a manager the moment it was written would tell them when its author
was at their keyboard, which narrows who wrote it. So replies wait (storage.conversations:
in `conversation_held`, no place in the thread, no time) and are released together every
RELAY_EVERY_HOURS hours, at fixed UTC times (00:00, 03:00, …), conversations in random
order, each author's replies in the order written, each stamped with the relay's time.
`run` is idempotent: a relay time is released once, however often the worker calls it.
Each manager reads the notice in their own language (their Slack locale or Home choice).
Their Home tab (its inbox says "new reply") is republished in the same batch, after the
DMs: like the DMs, at the relay's time, never at the time a reply was written.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from slack_sdk import WebClient
from sqlmodel import Session

from jobs.messages import Messages
from storage import conversations
from storage.models import SchedulerState
from storage.org import locale_of

RELAY_EVERY_HOURS = 3
log = logging.getLogger(__name__)

KEY = "conversation_relay"
HomeRefresh = Callable[[Session, str, str], None]  # (session, Slack team id, user id)


def relay_time(now: dt.datetime) -> dt.datetime:
    """The latest relay time at or before `now`."""
    at = now.astimezone(dt.UTC)
    return at.replace(hour=at.hour - at.hour % RELAY_EVERY_HOURS, minute=0, second=0, microsecond=0)


def next_relay(now: dt.datetime) -> dt.datetime:
    return relay_time(now) + dt.timedelta(hours=RELAY_EVERY_HOURS)


def run(
    session: Session,
    client: WebClient,
    now: dt.datetime,
    *,
    messages: Messages,
    force: bool = False,
    refresh_home: HomeRefresh | None = None,
) -> int:
    """Release the replies waiting at the latest relay time and DM them to the managers in
    each conversation; returns replies released (0 when this relay time already ran).
    ``force`` (`pulse relay`, the sandbox) releases whatever waits now, as one batch.
    ``refresh_home`` (the edge's) republishes each notified manager's Home once, after
    every DM of the batch."""
    at = relay_time(now)
    state = session.get(SchedulerState, KEY)
    if not force and state is not None and state.last_run_at >= at:
        return 0
    released = conversations.release_pending(session, at=at)
    session.merge(SchedulerState(key=KEY, last_run_at=at))
    session.flush()
    notified: dict[tuple[str, str], None] = {}
    for message in released:
        ref = conversations.find_comment(session, comment_id=message.comment_id)
        if ref is None:
            continue
        for manager in conversations.manager_ids(session, comment_id=message.comment_id):
            locale = locale_of(session, slack_team_id=ref.slack_team_id, slack_user_id=manager)
            notice = messages.relay_notice(
                comment_id=message.comment_id,
                team_name=ref.team_name,
                opened=ref.pulse.opened_at,
                body=message.body,
                at=at,
                revealed_name=message.revealed_name,
                locale=locale or "",
            )
            client.chat_postMessage(channel=manager, **notice)
            notified[(ref.slack_team_id, manager)] = None
    if refresh_home is not None:
        for slack_team_id, manager in notified:
            try:  # a Home is a view of what is stored: its failure must not undo the batch
                with session.begin_nested():
                    refresh_home(session, slack_team_id, manager)
            except Exception:  # the DMs went out: a rollback would send them twice
                log.exception("relay: the Home of a notified manager was not refreshed")
    return len(released)
