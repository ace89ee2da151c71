"""The ephemeral reply to `/pulse my-data`."""

from __future__ import annotations

from typing import Any

from bot import ids
from bot.blocks.text import escape, md, plain


def my_data(record: dict[str, Any]) -> dict[str, Any]:
    answered = sum(1 for p in record["pulses"] if p["answers"] or p["written"])
    state = (
        "opted out"
        if record["opted_out"]
        else (
            f"paused until {record['paused_until']}"
            if record["paused_until"]
            else "receiving pulses"
        )
    )
    teams = ", ".join(escape(name, limit=200) for name in record["teams"][:10])
    text = (
        "*What Oxygen Pulse stores about you* (only you can see this)\n"
        f"• From Slack: your name ({escape(record['name'], limit=200)}), time zone "
        f"({escape(record['time_zone'], limit=100)}) and teams ({teams or 'none'})\n"
        f"• Your choice: {state}\n"
        f"• {len(record['pulses'])} pulses sent to you; you answered {answered}. Your answers are "
        "stored under a code only the server's secret key can recreate, never under your name."
    )
    talks = sum(len(p.get("conversations", [])) for p in record["pulses"])
    if talks:
        text += (
            f"\n• {talks} conversation{'s' if talks != 1 else ''} with your managers about your "
            "anonymous comments (in the download); deleting your comments ends them."
        )
    erase = {
        "type": "button",
        "action_id": ids.MYDATA_ERASE,
        "text": plain("Delete my answers and comments"),
        "style": "danger",
        "value": "erase",
        "confirm": {
            "title": plain("Delete your answers?"),
            "text": md(
                "This deletes your comments, written answers and conversations about them, and "
                "your answers to pulses "
                "still open. Answers to closed pulses stay in your teams' totals under a "
                "random code nobody can trace to you. It can't be undone."
            ),
            "confirm": plain("Delete"),
            "deny": plain("Keep them"),
        },
    }
    download = {
        "type": "button",
        "action_id": ids.MYDATA_DOWNLOAD,
        "text": plain("Download everything"),
        "value": "download",
    }
    return {
        "response_type": "ephemeral",
        "text": "What Oxygen Pulse stores about you",
        "blocks": [
            {"type": "section", "text": md(text)},
            {"type": "actions", "block_id": "mydata", "elements": [download, erase]},
            {
                "type": "context",
                "elements": [
                    md(
                        "Your name, time zone and teams come from Slack on every sync; "
                        "`/pulse optout` stops pulses."
                    )
                ],
            },
        ],
    }


def erased_text(*, deleted: int, unlinked: int) -> str:
    """What erasing did. Closed pulses' answers are unlinked, not deleted: their figures
    were shown, and a figure that moved by one person would give that person's answers away."""
    said = f"Done: nothing you answered is linked to you any more. Deleted {deleted} "
    said += "comments and answers to open pulses."
    if unlinked:
        said += (
            f" {unlinked} answers to closed pulses stay in your teams' totals under a random "
            "code nobody can trace to you: taking them out would change figures already "
            "shown, and the difference would give your answers away."
        )
    return said
