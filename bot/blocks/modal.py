"""The modal for a written (free-text) answer."""

from __future__ import annotations

from typing import Any

from bot import ids
from bot.blocks.text import md, plain
from settings.i18n import N_, tr

MIN_TEXT, MAX_TEXT = 3, 2000


COMMENT_LABEL = N_("Anything you'd like your manager to know? (anonymous)")


def text_answer_modal(
    *, question_text: str | None, initial: str | None, private_metadata: str
) -> dict[str, Any]:
    """A written answer to an open prompt, or (question_text None) the free comment."""
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": ids.TEXT_INPUT,
        "multiline": True,
        "max_length": MAX_TEXT,
        "placeholder": plain(tr("Be as specific as you like; no names needed.")),
    }
    if initial:
        element["initial_value"] = initial
    return {
        "type": "modal",
        "callback_id": ids.TEXT_MODAL,
        "private_metadata": private_metadata,
        "title": plain(tr("Your answer") if question_text else tr("Anonymous comment"), limit=24),
        "submit": plain(tr("Save"), limit=24),
        "close": plain(tr("Cancel"), limit=24),
        "blocks": [
            {
                "type": "input",
                "block_id": ids.TEXT_BLOCK,
                "label": plain(question_text or tr(COMMENT_LABEL), limit=2000),
                "element": element,
            },
            {
                "type": "context",
                "elements": [
                    md(
                        tr(
                            "Anonymous: your manager sees written answers without names, "
                            "shuffled, and only when enough people answered."
                        )
                    )
                ],
            },
        ],
    }


def text_error(value: str) -> str | None:
    """The in-modal error for an unusable answer, or None when it is fine."""
    if len(value.strip()) < MIN_TEXT:
        return tr("Please write at least {n} characters, or press Cancel.").format(n=MIN_TEXT)
    if len(value) > MAX_TEXT:
        return tr("Please keep it under {n} characters.").format(n=MAX_TEXT)
    return None
