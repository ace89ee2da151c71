"""`/pulse my-data`: everything stored about one person, to read, download, or delete.

Answers and texts are found by recomputing the person's pseudonymous keys for each pulse
sent to them (held rows of open pulses included); nothing links them otherwise.
"""

from __future__ import annotations

import datetime as dt
from secrets import token_hex
from typing import Any, NamedTuple

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from bot.blocks.pulse import QuestionItem, options
from settings.i18n import DEFAULT, tr
from storage import conversations
from storage.comments import written_by
from storage.held import forget
from storage.models import Comment, Delivery, Membership, Pulse, Response, Team
from storage.org import employee_by_slack_id, workspace_by_slack_id
from storage.pseudonym import Respondent
from storage.pulses import pulse_view
from storage.questions import localized
from storage.responses import answers_of


def collect(
    session: Session, *, secret: bytes, slack_team_id: str, user_id: str
) -> dict[str, Any] | None:
    """A JSON-ready record of everything stored about this person, or None if nothing."""
    ws = workspace_by_slack_id(session, slack_team_id=slack_team_id)
    me = (
        employee_by_slack_id(session, workspace_id=ws.id, slack_user_id=user_id)
        if ws and ws.id
        else None
    )
    if me is None or me.id is None:
        return None
    teams = session.exec(
        select(Team.name)
        .join(Membership, col(Membership.team_id) == Team.id)
        .where(Membership.employee_id == me.id)
    ).all()
    pulses = []
    for delivery, pulse in session.exec(
        select(Delivery, Pulse)
        .join(Pulse, col(Pulse.id) == Delivery.pulse_id)
        .where(Delivery.employee_id == me.id)
        .order_by(col(Pulse.id))
    ).all():
        who = Respondent(secret, workspace=slack_team_id, user_id=user_id, pulse_id=pulse.id or 0)
        view = pulse_view(session, pulse_id=pulse.id or 0)
        by_id = {q.id: q for q in view.questions} if view else {}
        answers = []
        for qid, value in sorted(answers_of(session, respondent=who).items()):
            q = by_id.get(qid)
            label = (
                dict(options(QuestionItem(qid, "", q.kind, localized(q, DEFAULT)[1]))).get(value)
                if q
                else None
            )
            answers.append({"question": q.text if q else qid, "value": value, "label": label})
        written = [
            {"question": by_id[qid].text if qid in by_id else "comment", "text": body}
            for qid, body in written_by(session, respondent=who).items()
        ]
        talks = [
            {
                "comment": body,
                "messages": [
                    {
                        "from": _speaker(m),
                        "text": m.body,
                        "at": m.at.isoformat(timespec="minutes")
                        if m.at
                        else tr("waiting for relay"),
                    }
                    for m in conversations.thread(session, comment_id=cid, pending=True)
                ],
            }
            for cid, body in conversations.comments_by(
                session, pulse_id=pulse.id or 0, keys=[who.comments, who.answers]
            )
        ]
        pulses.append(
            {
                "team": view.team_name if view else "",
                "conversations": [t for t in talks if t["messages"]],
                "opened": pulse.opened_at.date().isoformat(),
                "delivery": delivery.status,
                "answers": answers,
                "written": written,
            }
        )
    return {
        "slack_user_id": user_id,
        "name": me.name,
        "time_zone": me.tz,
        "teams": list(teams),
        "opted_out": me.opted_out,
        "paused_until": me.paused_until.isoformat() if me.paused_until else None,
        "pulses": pulses,
        "exported_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


def _speaker(message: conversations.Message) -> str:
    """Who wrote a message of the person's conversation, in their language (the download's
    keys stay English, as the rest of the record's)."""
    if message.side == conversations.MANAGER:
        return tr("manager {id}").format(id=message.manager_id)
    return tr("you, with your name") if message.revealed_name else tr("you, anonymously")


class Erased(NamedTuple):
    deleted: int  # comments, written answers, answers to open pulses
    unlinked: int  # answers to closed pulses, kept in the totals under a random code


def erase_answers(session: Session, *, secret: bytes, slack_team_id: str, user_id: str) -> Erased:
    """Cut every link between this person and what they answered.

    Comments, written answers and answers to open (held) pulses are deleted. Answers
    released at a pulse's close are re-keyed to a random code instead: their figures were
    shown, and deleting them would move every figure they count in by one person, so a
    manager comparing a report before and after would read this person's answers off the
    difference."""
    ws = workspace_by_slack_id(session, slack_team_id=slack_team_id)
    me = (
        employee_by_slack_id(session, workspace_id=ws.id, slack_user_id=user_id)
        if ws and ws.id
        else None
    )
    if me is None or me.id is None:
        return Erased(deleted=0, unlinked=0)
    pulse_ids = session.exec(select(Delivery.pulse_id).where(Delivery.employee_id == me.id)).all()
    deleted = unlinked = 0
    for p in pulse_ids:
        who = Respondent(secret, workspace=slack_team_id, user_id=user_id, pulse_id=p)
        # Stored answers are released ones (their pulse closed, figures shown): the same
        # shape as any respondent code, and nobody's. Held ones (open) are deleted below.
        moved = session.exec(
            update(Response)
            .where(col(Response.pulse_id) == p, col(Response.respondent) == who.answers)
            .values(respondent=token_hex(32))
        )
        unlinked += int(moved.rowcount or 0)  # type: ignore[attr-defined]
        mine = [who.comments, who.answers]
        gone = [cid for cid, _ in conversations.comments_by(session, pulse_id=p, keys=mine)]
        conversations.drop_threads(session, comment_ids=gone)  # they end with the comment
        texts = delete(Comment).where(col(Comment.pulse_id) == p, col(Comment.respondent).in_(mine))
        deleted += int(session.exec(texts).rowcount or 0)  # type: ignore[attr-defined]
        deleted += forget(session, respondent=who)
    return Erased(deleted=deleted, unlinked=unlinked)
