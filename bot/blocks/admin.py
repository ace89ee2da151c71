"""HR admin replies: schedules with delivery health, and the question bank."""

from __future__ import annotations

from typing import Any

from bot.blocks.text import escape, md, plain, truncate

ADMIN_USAGE = (
    "*HR admin commands*\n"
    "• `/pulse admin send TEAM` — open a pulse for a team now\n"
    "• `/pulse admin close TEAM` — close a team's open pulse now\n"
    "• `/pulse admin schedules` — every team's schedule, next pulse and delivery problems\n"
    "• `/pulse admin questions` — the question bank by driver, with keys\n"
    "• `/pulse admin retire KEY` / `restore KEY` — stop or resume asking a question"
)
FAILURE_HELP = {
    "messages_tab_disabled": "turned off DMs from apps",
    "user_disabled": "deactivated",
    "account_inactive": "deactivated",
    "user_not_found": "not found",
    "pulse_closed": "pulse closed before it could be sent",
}


def schedules(rows: list[dict[str, Any]]) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = [{"type": "header", "text": plain("Pulse schedules")}]
    for row in rows:
        lines = [
            f"*{escape(row['name'], limit=300)}* — {escape(row['rule'])}",
            f"Next pulse: {row['next']} · {row['members']} members",
        ]
        if not row["synced"]:
            lines.append(":warning: not synced yet: run `pulse teams sync`")
        if row["failures"]:
            problems = ", ".join(
                f"{n} {escape(FAILURE_HELP.get(error, error), limit=100)}"
                for error, n in sorted(row["failures"].items())
            )
            lines.append(f":warning: Latest pulse not delivered to: {problems}")
        blocks.append({"type": "section", "text": md(truncate("\n".join(lines), 2900))})
    return {"response_type": "ephemeral", "text": "Pulse schedules", "blocks": blocks[:50]}


def questions(groups: list[tuple[str, list[tuple[str, str, bool]]]]) -> dict[str, Any]:
    """(driver label, [(key, text, retired)]) per driver."""
    blocks: list[dict[str, Any]] = [{"type": "header", "text": plain("Question bank")}]
    for label, items in groups:
        if not items:
            continue
        lines = []
        for key, text, retired in items:
            shown = escape(text, limit=500)
            shown = f"~{shown}~ _(retired)_" if retired else shown
            lines.append(f"• `{escape(key, limit=100)}` {shown}")
        text = truncate(f"*{escape(label, limit=200)}*\n" + "\n".join(lines), 2900)
        blocks.append({"type": "section", "text": md(text)})
    return {"response_type": "ephemeral", "text": "Question bank", "blocks": blocks[:50]}
