"""HR admin replies: schedules with delivery health, and the question bank, in the reader's
language (``/pulse admin`` runs in the HR admin's)."""

from __future__ import annotations

from typing import Any

from bot.blocks.text import escape, md, plain, truncate
from settings.i18n import N_, ngettext, tr

ADMIN_USAGE = N_(
    "*HR admin commands*\n"
    "• `/pulse admin send TEAM` — open a pulse for a team now\n"
    "• `/pulse admin close TEAM` — close a team's open pulse now\n"
    "• `/pulse admin schedules` — every team's schedule, next pulse and delivery problems\n"
    "• `/pulse admin questions` — the question bank by driver, with keys\n"
    "• `/pulse admin retire KEY` / `restore KEY` — stop or resume asking a question"
)
FAILURE_HELP = {
    "messages_tab_disabled": N_("turned off DMs from apps"),
    "user_disabled": N_("deactivated"),
    "account_inactive": N_("deactivated"),
    "user_not_found": N_("not found"),
    "pulse_closed": N_("pulse closed before it could be sent"),
}


def schedules(rows: list[dict[str, Any]]) -> dict[str, Any]:
    title = tr("Pulse schedules")
    blocks: list[dict[str, Any]] = [{"type": "header", "text": plain(title)}]
    for row in rows:
        members = ngettext("{n} member", "{n} members", row["members"]).format(n=row["members"])
        lines = [
            f"*{escape(row['name'], limit=300)}* — {escape(row['rule'])}",
            tr("Next pulse: {day}").format(day=row["next"]) + f" · {members}",
        ]
        if not row["synced"]:
            lines.append(":warning: " + tr("not synced yet: run `pulse teams sync`"))
        if row["failures"]:
            problems = ", ".join(
                f"{n} {escape(_failure(error), limit=100)}"
                for error, n in sorted(row["failures"].items())
            )
            lines.append(
                ":warning: "
                + tr("Latest pulse not delivered to: {problems}").format(problems=problems)
            )
        blocks.append({"type": "section", "text": md(truncate("\n".join(lines), 2900))})
    return {"response_type": "ephemeral", "text": title, "blocks": blocks[:50]}


def _failure(error: str) -> str:
    """Why a DM was not delivered, in words (Slack's error code when unknown)."""
    return tr(FAILURE_HELP[error]) if error in FAILURE_HELP else error


def questions(groups: list[tuple[str, list[tuple[str, str, bool]]]]) -> dict[str, Any]:
    """(driver label, [(key, text, retired)]) per driver."""
    title = tr("Question bank")
    blocks: list[dict[str, Any]] = [{"type": "header", "text": plain(title)}]
    for label, items in groups:
        if not items:
            continue
        lines = []
        for key, text, retired in items:
            shown = escape(text, limit=500)
            shown = f"~{shown}~ _({tr('retired')})_" if retired else shown
            lines.append(f"• `{escape(key, limit=100)}` {shown}")
        text = truncate(f"*{escape(label, limit=200)}*\n" + "\n".join(lines), 2900)
        blocks.append({"type": "section", "text": md(text)})
    return {"response_type": "ephemeral", "text": title, "blocks": blocks[:50]}
