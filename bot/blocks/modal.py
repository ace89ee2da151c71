"""The modal for a written (free-text) answer."""

from __future__ import annotations

from typing import Any

from bot import ids
from bot.blocks.text import md, plain

MIN_TEXT, MAX_TEXT = 3, 2000


COMMENT_LABEL = "Anything you'd like your manager to know? (anonymous)"


def text_answer_modal(
    *, question_text: str | None, initial: str | None, private_metadata: str
) -> dict[str, Any]:
    """A written answer to an open prompt, or (question_text None) the free comment."""
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": ids.TEXT_INPUT,
        "multiline": True,
        "max_length": MAX_TEXT,
        "placeholder": plain("Be as specific as you like; no names needed."),
    }
    if initial:
        element["initial_value"] = initial
    return {
        "type": "modal",
        "callback_id": ids.TEXT_MODAL,
        "private_metadata": private_metadata,
        "title": plain("Your answer" if question_text else "Anonymous comment"),
        "submit": plain("Save"),
        "close": plain("Cancel"),
        "blocks": [
            {
                "type": "input",
                "block_id": ids.TEXT_BLOCK,
                "label": plain(question_text or COMMENT_LABEL, limit=2000),
                "element": element,
            },
            {
                "type": "context",
                "elements": [
                    md(
                        "Anonymous: your manager sees written answers without names, "
                        "shuffled, and only when enough people answered."
                    )
                ],
            },
        ],
    }


def text_error(value: str) -> str | None:
    """The in-modal error for an unusable answer, or None when it is fine."""
    if len(value.strip()) < MIN_TEXT:
        return f"Please write at least {MIN_TEXT} characters, or press Cancel."
    if len(value) > MAX_TEXT:
        return f"Please keep it under {MAX_TEXT} characters."
    return None
