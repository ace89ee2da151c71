"""The ephemeral reply to `/pulse my-data`."""

from __future__ import annotations

from typing import Any

from bot import ids
from bot.blocks.text import escape, md, plain
from settings.i18n import ngettext, tr


def my_data(record: dict[str, Any]) -> dict[str, Any]:
    answered = sum(1 for p in record["pulses"] if p["answers"] or p["written"])
    state = (
        tr("opted out")
        if record["opted_out"]
        else (
            tr("paused until {day}").format(day=record["paused_until"])
            if record["paused_until"]
            else tr("receiving pulses")
        )
    )
    teams = ", ".join(escape(name, limit=200) for name in record["teams"][:10])
    text = (
        tr("*What Oxygen Pulse stores about you* (only you can see this)")
        + "\n• "
        + tr("From Slack: your name ({name}), time zone ({zone}) and teams ({teams})").format(
            name=escape(record["name"], limit=200),
            zone=escape(record["time_zone"], limit=100),
            teams=teams or tr("none"),
        )
        + "\n• "
        + tr("Your choice: {state}").format(state=state)
        + "\n• "
        + ngettext(
            "{n} pulse sent to you; you answered {answered}.",
            "{n} pulses sent to you; you answered {answered}.",
            len(record["pulses"]),
        ).format(n=len(record["pulses"]), answered=answered)
        + " "
        + tr(
            "Your answers are stored under a code only the server's secret key can recreate, "
            "never under your name."
        )
    )
    talks = sum(len(p.get("conversations", [])) for p in record["pulses"])
    if talks:
        text += "\n• " + ngettext(
            "{n} conversation with your managers about your anonymous comments (in the "
            "download); deleting your comments ends it.",
            "{n} conversations with your managers about your anonymous comments (in the "
            "download); deleting your comments ends them.",
            talks,
        ).format(n=talks)
    erase = {
        "type": "button",
        "action_id": ids.MYDATA_ERASE,
        "text": plain(tr("Delete my answers and comments"), limit=75),
        "style": "danger",
        "value": "erase",
        "confirm": {
            "title": plain(tr("Delete your answers?"), limit=100),
            "text": md(
                tr(
                    "This deletes your comments, written answers and conversations about them, "
                    "and your answers to pulses still open. Answers to closed pulses stay in "
                    "your teams' totals under a random code nobody can trace to you. It can't "
                    "be undone."
                )
            ),
            "confirm": plain(tr("Delete"), limit=30),
            "deny": plain(tr("Keep them"), limit=30),
        },
    }
    download = {
        "type": "button",
        "action_id": ids.MYDATA_DOWNLOAD,
        "text": plain(tr("Download everything"), limit=75),
        "value": "download",
    }
    return {
        "response_type": "ephemeral",
        "text": tr("What Oxygen Pulse stores about you"),
        "blocks": [
            {"type": "section", "text": md(text)},
            {"type": "actions", "block_id": "mydata", "elements": [download, erase]},
            {
                "type": "context",
                "elements": [
                    md(
                        tr(
                            "Your name, time zone and teams come from Slack on every sync; "
                            "`/pulse optout` stops pulses."
                        )
                    )
                ],
            },
        ],
    }


def erased_text(*, deleted: int, unlinked: int) -> str:
    """What erasing did. Closed pulses' answers are unlinked, not deleted: their figures
    were shown, and a figure that moved by one person would give that person's answers away."""
    said = ngettext(
        "Done: nothing you answered is linked to you any more. Deleted {n} comment or "
        "answer to open pulses.",
        "Done: nothing you answered is linked to you any more. Deleted {n} comments and "
        "answers to open pulses.",
        deleted,
    ).format(n=deleted)
    if unlinked:
        said += " " + ngettext(
            "{n} answer to a closed pulse stays in your teams' totals under a random "
            "code nobody can trace to you: taking it out would change figures already "
            "shown, and the difference would give your answer away.",
            "{n} answers to closed pulses stay in your teams' totals under a random "
            "code nobody can trace to you: taking them out would change figures already "
            "shown, and the difference would give your answers away.",
            unlinked,
        ).format(n=unlinked)
    return said
