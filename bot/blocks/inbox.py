"""The inbox section of a manager's Home, and its filter modal. Pure renderers, in the
reader's language; statuses, tones and labels arrive as English keys and are named here."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot import ids
from bot.blocks.conversations import label_name, open_button, tone_name
from bot.blocks.text import escape, md, plain, quoted
from insights.tone import TONES
from settings.i18n import N_, ngettext, tr

INBOX_ITEMS = 8
ALL = "all"
# bot.inbox's statuses (its NEW, UNREAD, REPLIED, READ), as the reader calls them
_STATUS_NAMES = {
    "new": N_("new"),
    "new reply": N_("new reply"),
    "replied": N_("replied"),
    "read": N_("read"),
}


def status_name(status: str) -> str:
    return tr(_STATUS_NAMES[status]) if status in _STATUS_NAMES else status


def inbox_blocks(
    items: Sequence[Any], *, total: int, unread: int, filter_value: str, filter_text: str | None
) -> list[dict[str, Any]]:
    """`items` are bot.inbox.InboxItem; at most INBOX_ITEMS are listed."""
    head = ngettext(
        "*Inbox* · {n} comment, {unread} unread", "*Inbox* · {n} comments, {unread} unread", total
    ).format(n=total, unread=unread)
    blocks: list[dict[str, Any]] = [
        {"type": "divider"},
        {
            "type": "section",
            "text": md(head),
            "accessory": {
                "type": "button",
                "action_id": ids.INBOX_FILTER_OPEN,
                "text": plain(tr("Filter"), limit=75),
                "value": filter_value,
            },
        },
    ]
    if filter_text:
        blocks.append(
            _context(
                tr("Showing {what}: {n} of {total}").format(
                    what=filter_text, n=len(items), total=total
                )
            )
        )
    if not items:
        none = tr("Nothing matches this filter.") if filter_text else tr("No comments yet.")
        blocks.append(_context(none))
    for item in list(items)[:INBOX_ITEMS]:
        label = (
            " · " + tr("label: {label}").format(label=label_name(item.label)) if item.label else ""
        )
        asked = f"_{escape(item.prompt, limit=200)}_\n" if item.prompt else ""
        text = (
            f"*{status_name(item.status)}* · {escape(item.team_name, limit=200)}, "
            f"{item.pulse_label} · {escape(item.topic, limit=100)} · "
            f"{tone_name(item.tone)}{label}\n" + asked + quoted(item.body, limit=400)
        )
        blocks.append(
            {
                "type": "section",
                "text": md(text),
                "accessory": open_button(item.comment_id, tr("Open")),
            }
        )
    if len(items) > INBOX_ITEMS:
        more = len(items) - INBOX_ITEMS
        blocks.append(
            _context(
                ngettext(
                    "and {n} more: filter to narrow the list",
                    "and {n} more: filter to narrow the list",
                    more,
                ).format(n=more)
            )
        )
    blocks.append(
        _context(
            tr(
                "Comments from pulses with enough respondents only, without names; "
                "open one to reply."
            )
        )
    )
    return blocks


def filter_modal(
    *, drivers: Sequence[tuple[str, str]], driver: str | None, tone: str | None
) -> dict[str, Any]:
    """`drivers`: (key, label) of the topics offered, the free comment included."""
    topics = [{"text": plain(tr("All topics"), limit=75), "value": ALL}] + [
        {"text": plain(label, limit=75), "value": key} for key, label in list(drivers)[:99]
    ]
    tones = [{"text": plain(tr("All tones"), limit=75), "value": ALL}] + [
        {"text": plain(tone_name(t), limit=75), "value": t} for t in TONES
    ]
    return {
        "type": "modal",
        "callback_id": ids.INBOX_FILTER_MODAL,
        "title": plain(tr("Filter the inbox"), limit=24),
        "submit": plain(tr("Show"), limit=24),
        "close": plain(tr("Cancel"), limit=24),
        "blocks": [
            _select(ids.INBOX_DRIVER_BLOCK, ids.INBOX_DRIVER, tr("Topic"), topics, driver),
            _select(ids.INBOX_TONE_BLOCK, ids.INBOX_TONE, tr("Tone"), tones, tone),
        ],
    }


def _select(
    block: str, action: str, label: str, options: list[dict[str, Any]], chosen: str | None
) -> dict[str, Any]:
    initial = next((o for o in options if o["value"] == (chosen or ALL)), options[0])
    return {
        "type": "input",
        "block_id": block,
        "label": plain(label, limit=2000),
        "element": {
            "type": "static_select",
            "action_id": action,
            "options": options,
            "initial_option": initial,
        },
    }


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [md(text)]}
