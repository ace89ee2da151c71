"""Commitments in Block Kit: the modal a manager fills in, and the report section."""

from __future__ import annotations

from typing import Any

from bot import ids
from bot.blocks.text import escape, md, plain, truncate
from figures.commitments import followup_words
from settings.i18n import tr

MIN_TEXT, MAX_TEXT = 5, 150


def focus_input(drivers: list[tuple[str, str]]) -> dict[str, Any]:
    """The driver a commitment (or a team's choice) is about: one per modal, same ids."""
    return {
        "type": "input",
        "block_id": ids.COMMIT_DRIVER_BLOCK,
        "label": plain(tr("Focus")),
        "element": {
            "type": "static_select",
            "action_id": ids.COMMIT_DRIVER,
            "placeholder": plain(tr("Pick the driver you'll work on"), limit=150),
            "options": [
                {"text": plain(label, limit=75), "value": key} for key, label in drivers[:100]
            ],
        },
    }


def commitment_modal(
    *, team_key: str, team_name: str, drivers: list[tuple[str, str]]
) -> dict[str, Any]:
    """`drivers` are (key, label) of the engagement drivers a commitment can focus on."""
    return {
        "type": "modal",
        "callback_id": ids.COMMIT_MODAL,
        "private_metadata": team_key,
        "title": plain(tr("Make a commitment"), limit=24),
        "submit": plain(tr("Commit"), limit=24),
        "close": plain(tr("Cancel"), limit=24),
        "blocks": [
            {
                "type": "section",
                "text": md(
                    tr(
                        "*{team}* will see this with their next pulse, "
                        "and the pulse after asks whether it made a difference."
                    ).format(team=escape(team_name, limit=300))
                ),
            },
            focus_input(drivers),
            {
                "type": "input",
                "block_id": ids.COMMIT_TEXT_BLOCK,
                "label": plain(tr("What will you do?")),
                "element": {
                    "type": "plain_text_input",
                    "action_id": ids.COMMIT_TEXT,
                    "max_length": MAX_TEXT,
                    "placeholder": plain(
                        tr("We protect Friday afternoons for training"), limit=150
                    ),
                },
            },
        ],
    }


def saved_view(*, team_name: str, text: str) -> dict[str, Any]:
    return {
        "type": "modal",
        "title": plain(tr("Commitment saved"), limit=24),
        "close": plain(tr("Done"), limit=24),
        "blocks": [
            {
                "type": "section",
                "text": md(
                    tr("*{team}* will see “{text}” with their next pulse. Thank you!").format(
                        team=escape(team_name, limit=300), text=escape(text, limit=2000)
                    )
                ),
            }
        ],
    }


def report_section(
    lines: list[tuple[str, str, str, str, float | None, int | None]], *, team_key: str, k: int
) -> list[dict[str, Any]]:
    """(text, driver label, made on, outcome, follow-up mean, answers) per commitment, the
    outcome as figures.commitments.followup_outcome says (mean and answers only from k+)."""
    blocks: list[dict[str, Any]] = [{"type": "divider"}]
    if lines:
        rows = []
        for text, driver, made, state, mean, n in lines:
            if state == "pending":
                outcome = tr("follow-up question pending")
            elif mean is None or n is None:
                outcome = tr("follow-up: fewer than {k} answers, not shown").format(k=k)
            else:
                outcome = followup_words(mean, n)
            rows.append(
                f"• “{escape(text, limit=300)}” ({escape(driver, limit=100)}, {made}) — {outcome}"
            )
        text = truncate(tr("*Commitments*") + "\n" + "\n".join(rows), 2900)
        blocks.append({"type": "section", "text": md(text)})
    blocks.append(
        {
            "type": "actions",
            "block_id": "commitments",
            "elements": [
                {
                    "type": "button",
                    "action_id": ids.COMMIT_OPEN,
                    "text": plain(tr("Make a commitment"), limit=75),
                    "value": team_key,
                }
            ],
        }
    )
    return blocks


def text_error(value: str) -> str | None:
    if len(value.strip()) < MIN_TEXT:
        return tr("Please describe the commitment in at least {n} characters.").format(n=MIN_TEXT)
    return None
