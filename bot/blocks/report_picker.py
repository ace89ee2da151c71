"""The choice `/pulse report` offers HR and managers of several teams: one button per team.

Buttons rather than a select menu: one click posts the report, and the sandbox page can
press them (it shows menus outside modals read-only).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot import ids
from bot.blocks.text import md, plain

MAX_BUTTONS = 25  # what one actions block holds
BUTTON_TEXT = 75  # Slack's limit for a button's label


def report_picker(*, teams: Sequence[tuple[str, str]], weeks: int) -> dict[str, Any]:
    """An ephemeral message asking which of ``teams`` ((key, name), in order) to report on;
    the caller checked the person may see each of them."""
    span = "week" if weeks == 1 else f"{weeks} weeks"
    text = f"Which team's report would you like? (last {span})"
    buttons = [
        {
            "type": "button",
            "action_id": f"{ids.REPORT_PICK}:{key}",
            "text": plain(name, limit=BUTTON_TEXT),
            "value": ids.report_value(key, weeks),
        }
        for key, name in teams[:MAX_BUTTONS]
    ]
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": md(text)},
        {"type": "actions", "block_id": ids.REPORT_PICK, "elements": buttons},
    ]
    hint = "Or type `/pulse report &lt;team&gt; [weeks]`: a team's key, name or its first letters."
    if len(teams) > MAX_BUTTONS:
        hint = f"*{len(teams) - MAX_BUTTONS} more teams* have no button here. {hint}"
    blocks.append({"type": "context", "elements": [md(hint)]})
    return {"response_type": "ephemeral", "text": text, "blocks": blocks}
