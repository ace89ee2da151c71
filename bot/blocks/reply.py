"""Plain ephemeral replies: one mrkdwn text, spread over sections Slack accepts.

For refusals, confirmations, withheld results and help; the text is the product's own
mrkdwn, with anything a person typed already passed through ``bot.blocks.text.escape``.
"""

from __future__ import annotations

from typing import Any

from bot.blocks.pages import sections


def message(text: str) -> dict[str, Any]:
    """A plain ephemeral reply (refusals, withheld results, usage)."""
    return {"response_type": "ephemeral", "text": text, "blocks": sections(text)}
