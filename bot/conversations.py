"""Conversations about anonymous comments: who may read and answer, and what each answer does.

A manager (or HR) who may see a team replies to one of its comments from a pulse with k+
respondents; the author, found only by recomputing the comment's key (storage.conversations
.author_of), gets the reply in a DM and answers back. The author's replies wait for the
relay (jobs.relay); a reply carries their name only after they confirmed it in a second
step. Every refusal changes nothing. Texts are in the reader's language; the DM to the author
in the author's (looked up by their Slack id, held only in memory).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from bot import ids
from bot.access import can_view_team
from bot.blocks import conversations as blocks
from insights.privacy import visible
from insights.tone import tone
from jobs.relay import RELAY_EVERY_HOURS, next_relay
from settings.config import AppConfig
from settings.i18n import N_, number, tr, using
from storage import conversations
from storage.conversations import CommentRef
from storage.org import employee_by_slack_id, locale_of, workspace_by_slack_id

# English texts (msgids); translated with tr() where they are returned
GONE = N_("This comment has been deleted, so its conversation has ended.")
NOT_YOURS = N_("This conversation isn't yours.")
NOT_ALLOWED = N_("Only the team's managers and HR can read and answer its comments.")
EMPTY = N_("Write a reply before sending.")
EMPTY_OR_LABEL = N_("Write a reply (or change the label) before saving.")
TOO_LONG = N_("A reply can be at most {limit} characters; this one has {n}.")
NOT_STARTED = N_("Nobody has replied to this comment yet, so there is nothing to answer.")
BAD_LABEL = N_("Pick one of the labels offered.")
SENT = N_("Sent: the author gets your reply in a DM from Oxygen Pulse, with your name.")
SAVED = N_("Saved.")


@dataclass(frozen=True)
class Outcome:
    """What a submitted modal does: field errors (nothing changed), or a view to show and
    perhaps one DM to post (channel: a Slack id held only in memory)."""

    errors: dict[str, str] | None = None
    view: dict[str, Any] | None = None
    push: bool = False
    dm: tuple[str, dict[str, Any]] | None = None


def reply_error(text: str) -> str | None:
    if not text.strip():
        return tr(EMPTY)
    if len(text) > blocks.MAX_REPLY:
        return tr(TOO_LONG).format(limit=number(blocks.MAX_REPLY), n=number(len(text)))
    return None


def lines(messages: list[conversations.Message]) -> list[blocks.Line]:
    return [
        blocks.Line(
            side=m.side,
            body=m.body,
            at=m.at,
            manager_id=m.manager_id,
            revealed_name=m.revealed_name,
            tone=tone(m.body),
        )
        for m in messages
    ]


def _readable(config: AppConfig, ref: CommentRef, *, slack_team_id: str, user_id: str) -> bool:
    """The reader may see the comment's team, and the comment is shown to managers at all:
    its pulse is sealed with k or more respondents, in the reader's own workspace."""
    k = config.privacy.min_group_size
    return (
        ref.slack_team_id == slack_team_id
        and ref.pulse.sealed_at is not None
        and visible(ref.pulse.respondents or 0, k)
        and can_view_team(config, user_id, ref.team_key)
    )


def _find(session: Session, comment_id: str) -> CommentRef | None:
    if not ids.COMMENT_ID.match(comment_id):
        return None
    return conversations.find_comment(session, comment_id=comment_id)


def _thread_view(session: Session, ref: CommentRef, *, notice: str | None) -> dict[str, Any]:
    comment_id = ref.comment.id
    return blocks.thread_modal(
        comment_id=comment_id,
        team_name=ref.team_name,
        pulse_label=blocks.pulse_label(ref.pulse.opened_at),
        prompt=ref.prompt,
        body=ref.comment.body,
        tone=tone(ref.comment.body),
        lines=lines(conversations.thread(session, comment_id=comment_id)),
        label=conversations.label_of(session, comment_id=comment_id),
        notice=notice,
    )


def open_thread(
    session: Session,
    *,
    config: AppConfig,
    slack_team_id: str,
    user_id: str,
    comment_id: str,
) -> dict[str, Any] | str:
    """A manager opens a comment's conversation (and has now read it); or why not."""
    ref = _find(session, comment_id)
    if ref is None:
        return tr(GONE)
    if not _readable(config, ref, slack_team_id=slack_team_id, user_id=user_id):
        return tr(NOT_ALLOWED)
    conversations.mark_read(session, comment_id=ref.comment.id, user_id=user_id)
    return _thread_view(session, ref, notice=None)


def manager_save(
    session: Session,
    *,
    config: AppConfig,
    secret: bytes,
    slack_team_id: str,
    user_id: str,
    comment_id: str,
    reply: str,
    label: str | None,
    now: dt.datetime,
) -> Outcome:
    """A manager's reply and/or label; the reply goes to the author in a DM."""
    ref = _find(session, comment_id)
    if ref is None:
        return Outcome(errors={ids.CONVO_REPLY_BLOCK: tr(GONE)})
    if not _readable(config, ref, slack_team_id=slack_team_id, user_id=user_id):
        return Outcome(errors={ids.CONVO_REPLY_BLOCK: tr(NOT_ALLOWED)})
    if label is not None and label not in (blocks.NO_LABEL, *blocks.LABELS):
        return Outcome(errors={ids.CONVO_LABEL_BLOCK: tr(BAD_LABEL)})
    current = conversations.label_of(session, comment_id=ref.comment.id) or blocks.NO_LABEL
    relabel = label is not None and label != current
    if not reply.strip() and not relabel:
        return Outcome(errors={ids.CONVO_REPLY_BLOCK: tr(EMPTY_OR_LABEL)})
    error = reply_error(reply) if reply.strip() else None
    if error is not None:
        return Outcome(errors={ids.CONVO_REPLY_BLOCK: error})
    if relabel:
        conversations.set_label(
            session, comment_id=ref.comment.id, label=None if label == blocks.NO_LABEL else label
        )
    dm = None
    if reply.strip():
        message = conversations.add_manager_message(
            session, comment_id=ref.comment.id, manager_id=user_id, body=reply.strip(), now=now
        )
        author = conversations.author_of(session, secret, ref)
        if author is not None:  # the manager is told the same either way
            dm = (author, _author_dm(session, ref, author=author, reply=lines([message])[0]))
    conversations.mark_read(session, comment_id=ref.comment.id, user_id=user_id)
    view = _thread_view(session, ref, notice=tr(SENT) if dm or reply.strip() else tr(SAVED))
    return Outcome(view=view, dm=dm)


def _author_dm(
    session: Session, ref: CommentRef, *, author: str, reply: blocks.Line
) -> dict[str, Any]:
    """The reply as a DM in the author's language (not the manager's): their locale is read
    by their Slack id, which lives only in this call; nothing is stored."""
    locale = locale_of(session, slack_team_id=ref.slack_team_id, slack_user_id=author)
    with using(locale):
        return blocks.author_dm(
            comment_id=ref.comment.id,
            team_name=ref.team_name,
            pulse_label=blocks.pulse_label(ref.pulse.opened_at),
            comment=ref.comment.body,
            reply=reply,
            relay_every=RELAY_EVERY_HOURS,
        )


def _own(
    session: Session, *, secret: bytes, slack_team_id: str, user_id: str, comment_id: str
) -> CommentRef | str:
    """The comment, if this person wrote it and a manager has answered it; or why not."""
    ref = _find(session, comment_id)
    if ref is None:
        return tr(GONE)
    if ref.slack_team_id != slack_team_id or not conversations.is_author(
        secret, ref, user_id=user_id
    ):
        return tr(NOT_YOURS)
    if not conversations.manager_ids(session, comment_id=ref.comment.id):
        return tr(NOT_STARTED)
    return ref


def author_form(
    session: Session, *, secret: bytes, slack_team_id: str, user_id: str, comment_id: str
) -> dict[str, Any] | str:
    """The author's reply modal (their comment, the thread, their waiting replies)."""
    ref = _own(
        session, secret=secret, slack_team_id=slack_team_id, user_id=user_id, comment_id=comment_id
    )
    if isinstance(ref, str):
        return ref
    thread = conversations.thread(session, comment_id=ref.comment.id, pending=True)
    return blocks.author_modal(
        comment_id=ref.comment.id, comment=ref.comment.body, lines=lines(thread)
    )


def author_save(
    session: Session,
    *,
    secret: bytes,
    slack_team_id: str,
    user_id: str,
    comment_id: str,
    reply: str,
    sign: bool,
    confirmed: bool,
    now: dt.datetime,
) -> Outcome:
    """The author's reply, held for the relay. Signing takes a second, explicit step:
    ``sign`` without ``confirmed`` only shows the confirmation."""
    ref = _own(
        session, secret=secret, slack_team_id=slack_team_id, user_id=user_id, comment_id=comment_id
    )
    if isinstance(ref, str):
        return Outcome(errors={ids.CONVO_REPLY_BLOCK: ref})
    error = reply_error(reply)
    if error is not None:
        return Outcome(errors={ids.CONVO_REPLY_BLOCK: error})
    name = _name(session, slack_team_id=slack_team_id, user_id=user_id)
    if sign and not confirmed:
        view = blocks.reveal_modal(comment_id=ref.comment.id, name=name, body=reply.strip())
        return Outcome(view=view, push=True)
    conversations.add_author_message(
        session,
        comment_id=ref.comment.id,
        body=reply.strip(),
        revealed_name=name if sign and confirmed else None,
    )
    relay = tr("{time} UTC").format(time=f"{next_relay(now):%H:%M}")
    return Outcome(view=blocks.sent_view(relay_label=relay, signed=sign and confirmed))


def _name(session: Session, *, slack_team_id: str, user_id: str) -> str:
    ws = workspace_by_slack_id(session, slack_team_id=slack_team_id)
    me = (
        employee_by_slack_id(session, workspace_id=ws.id, slack_user_id=user_id)
        if ws and ws.id
        else None
    )
    return me.name if me is not None and me.name else user_id
