"""The App Home tab: your pulse, your own answers (only you see them), your choices."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot import ids
from bot.blocks.pages import sections
from bot.blocks.text import escape, md, plain, quoted, truncate

WHO_SEES_WHAT = (
    "*Who sees what*\n"
    "• *You* see your own answers, here and nowhere else.\n"
    "• *Your manager and HR* see team figures only, and only when at least {k} people "
    "answered. Comments reach them without names, shuffled, dated only by the pulse.\n"
    "• *Nobody* sees who answered or what any one person said. Answers are stored under a "
    "code made from your Slack id, the pulse and a secret key only the server holds.\n"
    "• `/pulse my-data` shows and downloads everything stored about you, and lets you delete it."
)


@dataclass(frozen=True)
class PastPulse:
    pulse_id: int
    team_name: str
    when: str  # "Tue 24 Nov"
    status: str  # "open until Thu 26 Nov, 10:00 CET" | "closed"
    lines: list[tuple[str, str]]  # (question, your answer)
    comment: str | None = None  # your anonymous comment, which you may delete


def home_view(
    *,
    pulses: list[PastPulse],
    paused_until: str | None,
    opted_out: bool,
    enrolled: bool,
    k: int,
    manager_of: list[str],
    dashboard: list[dict[str, Any]] | None = None,
    hr: bool = False,
    manages: Sequence[str] = (),
    inbox: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The Home tab; a manager's ``dashboard`` (bot.blocks.dashboard) replaces the line
    naming their teams. ``manages``: names of the teams the person is listed as managing;
    ``manager_of``: every team they may see."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": plain("Oxygen Pulse")},
        _section(role_line(enrolled=enrolled, hr=hr, manages=manages, k=k)),
    ]
    for past in pulses:
        team = escape(past.team_name, limit=300)
        blocks.append(_section(f"*{team} · {past.when}* — {past.status}"))
        if past.lines:
            blocks += sections(
                "\n".join(
                    f"• {escape(q, limit=500)}\n   _{escape(a, limit=1000)}_" for q, a in past.lines
                )
            )
        elif past.comment is None:
            blocks.append(_section("_You haven't answered this one._"))
        if past.comment is not None:
            blocks.append(
                {
                    "type": "section",
                    "block_id": f"comment:{past.pulse_id}",
                    "text": md("Your anonymous comment:\n" + quoted(past.comment, limit=2900)),
                    "accessory": {
                        **_button("Delete comment", ids.HOME_DELETE_COMMENT, str(past.pulse_id)),
                        "confirm": {
                            "title": plain("Delete this comment?"),
                            "text": md("Your manager will no longer see it. This can't be undone."),
                            "confirm": plain("Delete"),
                            "deny": plain("Keep it"),
                        },
                    },
                }
            )
    if pulses:
        still_open = any(p.status != "closed" for p in pulses)
        change = " Answer or change them in the Messages tab." if still_open else ""
        blocks.append(_context(f"Only you can see your answers above.{change}"))
    if enrolled:  # pulses and their controls only for someone who gets them
        blocks += [
            {"type": "divider"},
            _section(_status(paused_until, opted_out)),
            {
                "type": "actions",
                "block_id": "home_controls",
                "elements": _controls(paused_until, opted_out),
            },
        ]
    blocks += inbox or []  # bot.blocks.inbox: a manager's comments and conversations
    if dashboard:
        blocks += dashboard
    elif manager_of:
        teams = truncate(", ".join(escape(name, limit=300) for name in manager_of), 2800)
        blocks += [
            {"type": "divider"},
            _section(f"*Your teams:* {teams}\nType `/pulse report` for the latest figures."),
        ]
    blocks += [{"type": "divider"}, _section(WHO_SEES_WHAT.format(k=k))]
    return {"type": "home", "blocks": blocks}


def role_line(*, enrolled: bool, hr: bool, manages: Sequence[str], k: int) -> str:
    """Who the person is here, in one consistent sentence or two: what they see of others
    (HR, manager) and whether they answer pulses themselves (member of a pulse team)."""
    if hr:
        sees = f"*You're in HR:* you see every team's figures, each from {k}+ people."
    elif manages:
        names = ", ".join(f"*{escape(name)}*" for name in manages)
        its = "its" if len(manages) == 1 else "their"
        sees = f"*You manage* {names}: you see {its} figures, each from {k}+ people."
    elif enrolled:
        return "*You're in a pulse team:* you answer short pulses, and only you see your answers."
    else:
        return "You're not part of a pulse team yet, so you don't get pulses; HR adds teams."
    if enrolled:
        return f"{sees} You also answer pulses as a member of a pulse team."
    return f"{sees} You don't get pulses yourself: you're not a member of a pulse team."


def _status(paused_until: str | None, opted_out: bool) -> str:
    if opted_out:
        return "*You're opted out.* You won't get pulses until you opt back in."
    if paused_until:
        return f"*Paused* until {paused_until}."
    return "*You're receiving pulses.* Need a break? Pause them for two weeks."


def _controls(paused_until: str | None, opted_out: bool) -> list[dict[str, Any]]:
    out = []
    if opted_out:
        out.append(_button("Opt back in", ids.HOME_OPTIN, "optin", primary=True))
    else:
        if paused_until:
            out.append(_button("Resume now", ids.HOME_RESUME, "resume"))
        else:
            out.append(_button("Pause for 2 weeks", ids.HOME_PAUSE, "2w"))
        out.append(_button("Opt out", ids.HOME_OPTOUT, "optout"))
    return out


def _button(text: str, action_id: str, value: str, *, primary: bool = False) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "action_id": action_id,
        "text": plain(text),
        "value": value,
    }
    if primary:
        button["style"] = "primary"
    return button


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": md(text)}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [md(text)]}
