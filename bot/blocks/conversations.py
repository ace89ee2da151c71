"""Conversations in Block Kit: the manager's thread modal, the author's DM and modals,
the relay's notice to managers. Pure: values in, dicts out; typed text through ``escape``.

The author is "Anonymous" everywhere a manager looks, unless they confirmed signing a
reply; their replies carry the relay's time, never the time they were written.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot import ids
from bot.blocks.pages import sections
from bot.blocks.text import escape, md, plain, quoted, truncate

MAX_REPLY = 2000
LABELS = ("follow up", "idea", "praise", "done")
NO_LABEL = "none"
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,31}$")
ANONYMOUS = "Anonymous"
THREAD_LINES = 20  # the latest messages shown in a modal (Slack allows 100 blocks)


@dataclass(frozen=True)
class Line:
    """One message of a thread as a reader sees it."""

    side: str  # "manager" | "author"
    body: str
    at: dt.datetime | None  # None: the author's own reply, waiting for the relay
    manager_id: str | None = None
    revealed_name: str | None = None
    tone: str = ""


def pulse_label(opened: dt.datetime) -> str:
    return f"pulse of {opened:%d %b %Y}"


def who(line: Line) -> str:
    """A manager by Slack mention (their name in Slack); the author as Anonymous unless
    they confirmed signing this reply."""
    if line.side == "manager":
        mid = line.manager_id or ""
        return f"<@{mid}>" if _USER_ID.match(mid) else "A manager"
    if line.revealed_name:
        return f"{escape(line.revealed_name, limit=200)} (chose to show their name)"
    return ANONYMOUS


def when(at: dt.datetime | None) -> str:
    return "waiting for the next relay" if at is None else f"{at:%d %b, %H:%M} UTC"


def _line_blocks(line: Line) -> list[dict[str, Any]]:
    tone = f" · {line.tone}" if line.tone else ""
    return sections(f"*{who(line)}* · {when(line.at)}{tone}\n" + quoted(line.body, limit=2400))


def _origin(*, team_name: str, pulse_label: str, prompt: str | None, body: str) -> str:
    asked = f"_{escape(prompt, limit=300)}_\n" if prompt else ""
    head = f"*Anonymous comment* · {escape(team_name, limit=200)}, {pulse_label}\n"
    return head + asked + quoted(body, limit=2400)


def thread_modal(
    *,
    comment_id: str,
    team_name: str,
    pulse_label: str,
    prompt: str | None,
    body: str,
    tone: str,
    lines: Sequence[Line],
    label: str | None,
    notice: str | None = None,
) -> dict[str, Any]:
    """A manager's (or HR's) view of one comment and its conversation, with a reply box."""
    blocks: list[dict[str, Any]] = []
    if notice:
        blocks.append(_context(notice))
    blocks += sections(
        _origin(team_name=team_name, pulse_label=pulse_label, prompt=prompt, body=body)
    )
    blocks.append(_context(f"Tone: {tone} · label: {escape(label) if label else 'none'}"))
    shown = list(lines)[-THREAD_LINES:]
    if len(lines) > len(shown):
        blocks.append(_context(f"{len(lines) - len(shown)} earlier messages not shown"))
    for line in shown:
        blocks += _line_blocks(line)
    options = [{"text": plain(x), "value": x} for x in (NO_LABEL, *LABELS)]
    current = next((o for o in options if o["value"] == (label or NO_LABEL)), options[0])
    blocks += [
        {"type": "divider"},
        {
            "type": "input",
            "block_id": ids.CONVO_REPLY_BLOCK,
            "optional": True,
            "label": plain("Reply (the author gets it in a DM, with your name)"),
            "element": {
                "type": "plain_text_input",
                "action_id": ids.CONVO_REPLY,
                "multiline": True,
                "max_length": MAX_REPLY,
                "placeholder": plain("Thank you for raising this. Could you tell me more about…"),
            },
        },
        {
            "type": "input",
            "block_id": ids.CONVO_LABEL_BLOCK,
            "optional": True,
            "label": plain("Label"),
            "element": {
                "type": "static_select",
                "action_id": ids.CONVO_LABEL,
                "options": options,
                "initial_option": current,
            },
        },
        _context(
            "The author stays anonymous: their replies reach you at fixed times with others' "
            "replies, so their timing can't point to anyone."
        ),
    ]
    return {
        "type": "modal",
        "callback_id": ids.CONVO_MODAL,
        "private_metadata": comment_id,
        "title": plain("Conversation"),
        "submit": plain("Save"),
        "close": plain("Close"),
        "blocks": blocks,
    }


def author_dm(
    *,
    comment_id: str,
    team_name: str,
    pulse_label: str,
    comment: str,
    reply: Line,
    relay_every: int,
) -> dict[str, Any]:
    """The DM an author gets when a manager replies: their comment quoted, the reply, and
    a button to answer (anonymously unless they choose otherwise)."""
    text = (
        f"{who(reply)} replied to your anonymous comment on the "
        f"*{escape(team_name, limit=200)}* {pulse_label}:\n"
        + quoted(comment, limit=1200)
        + "\n\n*Their reply:*\n"
        + quoted(reply.body, limit=1500)
    )
    return {
        "text": "A manager replied to your anonymous comment",
        "blocks": [
            *sections(truncate(text, 2900)),
            {
                "type": "actions",
                "block_id": f"convo:{comment_id}",
                "elements": [
                    {
                        "type": "button",
                        "action_id": ids.CONVO_AUTHOR_OPEN,
                        "text": plain("Reply"),
                        "value": comment_id,
                    }
                ],
            },
            _context(
                "They don't know who you are, and only you see this DM. Your replies are "
                f"passed on every {relay_every} hours, together with other people's, so their "
                "timing can't point to you. You stay anonymous unless you choose to sign one."
            ),
        ],
    }


def author_modal(*, comment_id: str, comment: str, lines: Sequence[Line]) -> dict[str, Any]:
    """The author answers; signing with their name is offered, anonymous is the default."""
    blocks = sections("*Your anonymous comment*\n" + quoted(comment, limit=2400))
    for line in list(lines)[-THREAD_LINES:]:
        blocks += _line_blocks(line)
    anon = {"text": plain("Stay anonymous"), "value": "anonymous"}
    blocks += [
        {
            "type": "input",
            "block_id": ids.CONVO_REPLY_BLOCK,
            "label": plain("Your reply"),
            "element": {
                "type": "plain_text_input",
                "action_id": ids.CONVO_REPLY,
                "multiline": True,
                "max_length": MAX_REPLY,
            },
        },
        {
            "type": "input",
            "block_id": ids.CONVO_SIGN_BLOCK,
            "label": plain("Sign this reply?"),
            "element": {
                "type": "static_select",
                "action_id": ids.CONVO_SIGN,
                "options": [anon, {"text": plain("Show my name"), "value": "reveal"}],
                "initial_option": anon,
            },
        },
    ]
    return {
        "type": "modal",
        "callback_id": ids.CONVO_AUTHOR_MODAL,
        "private_metadata": comment_id,
        "title": plain("Reply"),
        "submit": plain("Send"),
        "close": plain("Cancel"),
        "blocks": blocks,
    }


def reveal_modal(*, comment_id: str, name: str, body: str) -> dict[str, Any]:
    """The explicit confirmation before an author's name goes with a reply."""
    return {
        "type": "modal",
        "callback_id": ids.CONVO_REVEAL_MODAL,
        "private_metadata": comment_id,
        "title": plain("Show your name?"),
        "submit": plain("Send with my name"),
        "close": plain("Cancel"),
        "blocks": [
            *sections(
                f"Your name, *{escape(name, limit=200)}*, will be shown with this reply to "
                "everyone who can read this conversation (your managers and HR), and they will "
                "know you wrote the original comment. This can't be undone. Cancel to stay "
                "anonymous."
            ),
            {
                "type": "input",
                "block_id": ids.CONVO_REPLY_BLOCK,
                "label": plain("Your reply"),
                "element": {
                    "type": "plain_text_input",
                    "action_id": ids.CONVO_REPLY,
                    "multiline": True,
                    "max_length": MAX_REPLY,
                    "initial_value": body,
                },
            },
        ],
    }


def sent_view(*, relay_label: str, signed: bool) -> dict[str, Any]:
    how = "with your name" if signed else "anonymously"
    return {
        "type": "modal",
        "title": plain("Reply saved"),
        "close": plain("Done"),
        "blocks": sections(
            f"Your reply will be passed on {how} at {relay_label}, together with the other "
            "replies waiting then."
        ),
    }


def relay_notice(
    *, comment_id: str, team_name: str, pulse_label: str, line: Line
) -> dict[str, Any]:
    """The DM a manager gets when the relay passes on an author's reply."""
    text = (
        f"*{who(line)}* replied in a conversation about a comment on the "
        f"*{escape(team_name, limit=200)}* {pulse_label}:\n" + quoted(line.body, limit=2400)
    )
    return {
        "text": "New reply in an anonymous conversation",
        "blocks": [
            *sections(text),
            {
                "type": "actions",
                "block_id": f"convo:{comment_id}",
                "elements": [
                    {
                        "type": "button",
                        "action_id": ids.CONVO_OPEN,
                        "text": plain("Open conversation"),
                        "value": comment_id,
                    }
                ],
            },
        ],
    }


def open_button(comment_id: str, text: str = "Reply") -> dict[str, Any]:
    return {"type": "button", "action_id": ids.CONVO_OPEN, "text": plain(text), "value": comment_id}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [md(text)]}
