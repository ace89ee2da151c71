"""The inbox section of a manager's Home, and its filter modal. Pure renderers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot import ids
from bot.blocks.conversations import open_button
from bot.blocks.text import escape, md, plain, quoted
from insights.tone import TONES

INBOX_ITEMS = 8
ALL = "all"


def inbox_blocks(
    items: Sequence[Any], *, total: int, unread: int, filter_value: str, filter_text: str | None
) -> list[dict[str, Any]]:
    """`items` are bot.inbox.InboxItem; at most INBOX_ITEMS are listed."""
    head = f"*Inbox* · {total} comment{'s' if total != 1 else ''}, {unread} unread"
    blocks: list[dict[str, Any]] = [
        {"type": "divider"},
        {
            "type": "section",
            "text": md(head),
            "accessory": {
                "type": "button",
                "action_id": ids.INBOX_FILTER_OPEN,
                "text": plain("Filter"),
                "value": filter_value,
            },
        },
    ]
    if filter_text:
        blocks.append(_context(f"Showing {filter_text}: {len(items)} of {total}"))
    if not items:
        none = "Nothing matches this filter." if filter_text else "No comments yet."
        blocks.append(_context(none))
    for item in list(items)[:INBOX_ITEMS]:
        label = f" · label: {escape(item.label)}" if item.label else ""
        asked = f"_{escape(item.prompt, limit=200)}_\n" if item.prompt else ""
        text = (
            f"*{item.status}* · {escape(item.team_name, limit=200)}, {item.pulse_label} · "
            f"{escape(item.topic, limit=100)} · {item.tone}{label}\n"
            + asked
            + quoted(item.body, limit=400)
        )
        blocks.append(
            {"type": "section", "text": md(text), "accessory": open_button(item.comment_id, "Open")}
        )
    if len(items) > INBOX_ITEMS:
        blocks.append(_context(f"and {len(items) - INBOX_ITEMS} more: filter to narrow the list"))
    blocks.append(
        _context(
            "Comments from pulses with enough respondents only, without names; open one to reply."
        )
    )
    return blocks


def filter_modal(
    *, drivers: Sequence[tuple[str, str]], driver: str | None, tone: str | None
) -> dict[str, Any]:
    """`drivers`: (key, label) of the topics offered, the free comment included."""
    topics = [{"text": plain("All topics"), "value": ALL}] + [
        {"text": plain(label, limit=75), "value": key} for key, label in list(drivers)[:99]
    ]
    tones = [{"text": plain("All tones"), "value": ALL}] + [
        {"text": plain(t), "value": t} for t in TONES
    ]
    return {
        "type": "modal",
        "callback_id": ids.INBOX_FILTER_MODAL,
        "title": plain("Filter the inbox"),
        "submit": plain("Show"),
        "close": plain("Cancel"),
        "blocks": [
            _select(ids.INBOX_DRIVER_BLOCK, ids.INBOX_DRIVER, "Topic", topics, driver),
            _select(ids.INBOX_TONE_BLOCK, ids.INBOX_TONE, "Tone", tones, tone),
        ],
    }


def _select(
    block: str, action: str, label: str, options: list[dict[str, Any]], chosen: str | None
) -> dict[str, Any]:
    initial = next((o for o in options if o["value"] == (chosen or ALL)), options[0])
    return {
        "type": "input",
        "block_id": block,
        "label": plain(label),
        "element": {
            "type": "static_select",
            "action_id": action,
            "options": options,
            "initial_option": initial,
        },
    }


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [md(text)]}
