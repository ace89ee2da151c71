"""Conversations in Block Kit: the manager's thread modal, the author's DM and modals,
the relay's notice to managers. Pure: values in, dicts out; typed text through ``escape``.

The author is "Anonymous" everywhere a manager looks, unless they confirmed signing a
reply; their replies carry the relay's time, never the time they were written. Every text is
in the reader's language (settings.i18n); labels and tones are stored as their English keys
and named in that language where shown (``label_name``, ``tone_name``).
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
from insights.tone import CONSTRUCTIVE, MIXED, POSITIVE
from settings.i18n import N_, long_date, ngettext, short_date, tr

MAX_REPLY = 2000
LABELS = ("follow up", "idea", "praise", "done")
NO_LABEL = "none"
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,31}$")
ANONYMOUS = N_("Anonymous")
THREAD_LINES = 20  # the latest messages shown in a modal (Slack allows 100 blocks)
_LABEL_NAMES = {
    "follow up": N_("follow up"),
    "idea": N_("idea"),
    "praise": N_("praise"),
    "done": N_("done"),
    NO_LABEL: N_("no label"),
}
_TONE_NAMES = {POSITIVE: N_("positive"), CONSTRUCTIVE: N_("constructive"), MIXED: N_("mixed")}


def label_name(label: str | None) -> str:
    """A label (stored as its English key) as the reader calls it; an unknown one as typed."""
    key = label or NO_LABEL
    return tr(_LABEL_NAMES[key]) if key in _LABEL_NAMES else escape(key, limit=100)


def tone_name(tone: str) -> str:
    """A tone (insights.tone's English key) in the reader's language."""
    return tr(_TONE_NAMES[tone]) if tone in _TONE_NAMES else tone


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
    return tr("pulse of {day}").format(day=long_date(opened.date()))


def who(line: Line) -> str:
    """A manager by Slack mention (their name in Slack); the author as Anonymous unless
    they confirmed signing this reply."""
    if line.side == "manager":
        mid = line.manager_id or ""
        return f"<@{mid}>" if _USER_ID.match(mid) else tr("A manager")
    if line.revealed_name:
        return tr("{name} (chose to show their name)").format(
            name=escape(line.revealed_name, limit=200)
        )
    return tr(ANONYMOUS)


def when(at: dt.datetime | None) -> str:
    if at is None:
        return tr("waiting for the next relay")
    utc = at.astimezone(dt.UTC)
    return tr("{day}, {time} UTC").format(day=short_date(utc.date()), time=f"{utc:%H:%M}")


def _line_blocks(line: Line) -> list[dict[str, Any]]:
    tone = f" · {tone_name(line.tone)}" if line.tone else ""
    return sections(f"*{who(line)}* · {when(line.at)}{tone}\n" + quoted(line.body, limit=2400))


def _origin(*, team_name: str, pulse_label: str, prompt: str | None, body: str) -> str:
    asked = f"_{escape(prompt, limit=300)}_\n" if prompt else ""
    head = (
        tr("*Anonymous comment* · {team}, {pulse}").format(
            team=escape(team_name, limit=200), pulse=pulse_label
        )
        + "\n"
    )
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
    blocks.append(
        _context(
            tr("Tone: {tone} · label: {label}").format(
                tone=tone_name(tone), label=label_name(label)
            )
        )
    )
    shown = list(lines)[-THREAD_LINES:]
    if len(lines) > len(shown):
        hidden = len(lines) - len(shown)
        blocks.append(
            _context(
                ngettext(
                    "{n} earlier message not shown", "{n} earlier messages not shown", hidden
                ).format(n=hidden)
            )
        )
    for line in shown:
        blocks += _line_blocks(line)
    options = [{"text": plain(label_name(x), limit=75), "value": x} for x in (NO_LABEL, *LABELS)]
    current = next((o for o in options if o["value"] == (label or NO_LABEL)), options[0])
    blocks += [
        {"type": "divider"},
        {
            "type": "input",
            "block_id": ids.CONVO_REPLY_BLOCK,
            "optional": True,
            "label": plain(tr("Reply (the author gets it in a DM, with your name)"), limit=2000),
            "element": {
                "type": "plain_text_input",
                "action_id": ids.CONVO_REPLY,
                "multiline": True,
                "max_length": MAX_REPLY,
                "placeholder": plain(
                    tr("Thank you for raising this. Could you tell me more about…"), limit=150
                ),
            },
        },
        {
            "type": "input",
            "block_id": ids.CONVO_LABEL_BLOCK,
            "optional": True,
            "label": plain(tr("Label"), limit=2000),
            "element": {
                "type": "static_select",
                "action_id": ids.CONVO_LABEL,
                "options": options,
                "initial_option": current,
            },
        },
        _context(
            tr(
                "The author stays anonymous: their replies reach you at fixed times with others' "
                "replies, so their timing can't point to anyone."
            )
        ),
    ]
    return {
        "type": "modal",
        "callback_id": ids.CONVO_MODAL,
        "private_metadata": comment_id,
        "title": plain(tr("Conversation"), limit=24),
        "submit": plain(tr("Save"), limit=24),
        "close": plain(tr("Close"), limit=24),
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
        tr("{who} replied to your anonymous comment on the *{team}* {pulse}:").format(
            who=who(reply), team=escape(team_name, limit=200), pulse=pulse_label
        )
        + "\n"
        + quoted(comment, limit=1200)
        + "\n\n"
        + tr("*Their reply:*")
        + "\n"
        + quoted(reply.body, limit=1500)
    )
    return {
        "text": tr("A manager replied to your anonymous comment"),
        "blocks": [
            *sections(truncate(text, 2900)),
            {
                "type": "actions",
                "block_id": f"convo:{comment_id}",
                "elements": [
                    {
                        "type": "button",
                        "action_id": ids.CONVO_AUTHOR_OPEN,
                        "text": plain(tr("Reply"), limit=75),
                        "value": comment_id,
                    }
                ],
            },
            _context(
                ngettext(
                    "They don't know who you are, and only you see this DM. Your replies are "
                    "passed on every {n} hour, together with other people's, so their timing "
                    "can't point to you. You stay anonymous unless you choose to sign one.",
                    "They don't know who you are, and only you see this DM. Your replies are "
                    "passed on every {n} hours, together with other people's, so their timing "
                    "can't point to you. You stay anonymous unless you choose to sign one.",
                    relay_every,
                ).format(n=relay_every)
            ),
        ],
    }


def author_modal(*, comment_id: str, comment: str, lines: Sequence[Line]) -> dict[str, Any]:
    """The author answers; signing with their name is offered, anonymous is the default."""
    blocks = sections(tr("*Your anonymous comment*") + "\n" + quoted(comment, limit=2400))
    for line in list(lines)[-THREAD_LINES:]:
        blocks += _line_blocks(line)
    anon = {"text": plain(tr("Stay anonymous"), limit=75), "value": "anonymous"}
    blocks += [
        {
            "type": "input",
            "block_id": ids.CONVO_REPLY_BLOCK,
            "label": plain(tr("Your reply"), limit=2000),
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
            "label": plain(tr("Sign this reply?"), limit=2000),
            "element": {
                "type": "static_select",
                "action_id": ids.CONVO_SIGN,
                "options": [anon, {"text": plain(tr("Show my name"), limit=75), "value": "reveal"}],
                "initial_option": anon,
            },
        },
    ]
    return {
        "type": "modal",
        "callback_id": ids.CONVO_AUTHOR_MODAL,
        "private_metadata": comment_id,
        "title": plain(tr("Reply"), limit=24),
        "submit": plain(tr("Send"), limit=24),
        "close": plain(tr("Cancel"), limit=24),
        "blocks": blocks,
    }


def reveal_modal(*, comment_id: str, name: str, body: str) -> dict[str, Any]:
    """The explicit confirmation before an author's name goes with a reply."""
    return {
        "type": "modal",
        "callback_id": ids.CONVO_REVEAL_MODAL,
        "private_metadata": comment_id,
        "title": plain(tr("Show your name?"), limit=24),
        "submit": plain(tr("Send with my name"), limit=24),
        "close": plain(tr("Cancel"), limit=24),
        "blocks": [
            *sections(
                tr(
                    "Your name, *{name}*, will be shown with this reply to everyone who can read "
                    "this conversation (your managers and HR), and they will know you wrote the "
                    "original comment. This can't be undone. Cancel to stay anonymous."
                ).format(name=escape(name, limit=200))
            ),
            {
                "type": "input",
                "block_id": ids.CONVO_REPLY_BLOCK,
                "label": plain(tr("Your reply"), limit=2000),
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
    said = (
        tr(
            "Your reply will be passed on with your name at {time}, together with the other "
            "replies waiting then."
        )
        if signed
        else tr(
            "Your reply will be passed on anonymously at {time}, together with the other "
            "replies waiting then."
        )
    )
    return {
        "type": "modal",
        "title": plain(tr("Reply saved"), limit=24),
        "close": plain(tr("Done"), limit=24),
        "blocks": sections(said.format(time=relay_label)),
    }


def relay_notice(
    *, comment_id: str, team_name: str, pulse_label: str, line: Line
) -> dict[str, Any]:
    """The DM a manager gets when the relay passes on an author's reply."""
    text = (
        tr("*{who}* replied in a conversation about a comment on the *{team}* {pulse}:").format(
            who=who(line), team=escape(team_name, limit=200), pulse=pulse_label
        )
        + "\n"
        + quoted(line.body, limit=2400)
    )
    return {
        "text": tr("New reply in an anonymous conversation"),
        "blocks": [
            *sections(text),
            {
                "type": "actions",
                "block_id": f"convo:{comment_id}",
                "elements": [
                    {
                        "type": "button",
                        "action_id": ids.CONVO_OPEN,
                        "text": plain(tr("Open conversation"), limit=75),
                        "value": comment_id,
                    }
                ],
            },
        ],
    }


def open_button(comment_id: str, text: str | None = None) -> dict[str, Any]:
    """The button that opens a comment's conversation ("Reply" unless told)."""
    label = plain(text if text is not None else tr("Reply"), limit=75)
    return {"type": "button", "action_id": ids.CONVO_OPEN, "text": label, "value": comment_id}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [md(text)]}
