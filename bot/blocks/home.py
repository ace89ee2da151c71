"""The App Home tab: your pulse, your own answers (only you see them), your choices."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot import ids
from bot.blocks.pages import sections
from bot.blocks.text import escape, md, plain, quoted, truncate
from settings.i18n import LANGUAGES, N_, ngettext, tr

WHO_SEES_WHAT = N_(
    "*Who sees what*\n"
    "• *You* see your own answers, here and nowhere else.\n"
    "• *Your manager and HR* see team figures only, and only when at least {k} people "
    "answered. Comments reach them without names, shuffled, dated only by the pulse.\n"
    "• *Nobody* sees who answered or what any one person said. Answers are stored under a "
    "code made from your Slack id, the pulse and a secret key only the server holds.\n"
    "• `/pulse my-data` shows and downloads everything stored about you, and lets you delete it."
)


AUTO_LANGUAGE = "auto"  # the picker's value for "follow my Slack language"


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
    picker: bool = False,
    chosen: str | None = None,
) -> dict[str, Any]:
    """The Home tab; a manager's ``dashboard`` (bot.blocks.dashboard) replaces the line
    naming their teams. ``manages``: names of the teams the person is listed as managing;
    ``manager_of``: every team they may see. ``picker``: offer a choice of language
    (``chosen``: the one they picked, None to follow Slack's)."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": plain(tr("Oxygen Pulse"))},
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
            blocks.append(_section(tr("_You haven't answered this one._")))
        if past.comment is not None:
            blocks.append(
                {
                    "type": "section",
                    "block_id": f"comment:{past.pulse_id}",
                    "text": md(
                        tr("Your anonymous comment:") + "\n" + quoted(past.comment, limit=2900)
                    ),
                    "accessory": {
                        **_button(
                            tr("Delete comment"), ids.HOME_DELETE_COMMENT, str(past.pulse_id)
                        ),
                        "confirm": {
                            "title": plain(tr("Delete this comment?"), limit=100),
                            "text": md(
                                tr("Your manager will no longer see it. This can't be undone.")
                            ),
                            "confirm": plain(tr("Delete"), limit=30),
                            "deny": plain(tr("Keep it"), limit=30),
                        },
                    },
                }
            )
    if pulses:
        still_open = any(p.status != tr("closed") for p in pulses)
        change = " " + tr("Answer or change them in the Messages tab.") if still_open else ""
        blocks.append(_context(tr("Only you can see your answers above.") + change))
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
            _section(
                tr("*Your teams:* {teams}").format(teams=teams)
                + "\n"
                + tr("Type `/pulse report` for the latest figures.")
            ),
        ]
    blocks += [{"type": "divider"}, _section(tr(WHO_SEES_WHAT).format(k=k))]
    if picker:
        blocks.append(_language_picker(chosen))
    return {"type": "home", "blocks": blocks}


def role_line(*, enrolled: bool, hr: bool, manages: Sequence[str], k: int) -> str:
    """Who the person is here, in one consistent sentence or two: what they see of others
    (HR, manager) and whether they answer pulses themselves (member of a pulse team)."""
    if hr:
        sees = tr("*You're in HR:* you see every team's figures, each from {k}+ people.").format(
            k=k
        )
    elif manages:
        names = ", ".join(f"*{escape(name)}*" for name in manages)
        sees = ngettext(
            "*You manage* {names}: you see its figures, each from {k}+ people.",
            "*You manage* {names}: you see their figures, each from {k}+ people.",
            len(manages),
        ).format(names=names, k=k)
    elif enrolled:
        return tr(
            "*You're in a pulse team:* you answer short pulses, and only you see your answers."
        )
    else:
        return tr("You're not part of a pulse team yet, so you don't get pulses; HR adds teams.")
    if enrolled:
        return sees + " " + tr("You also answer pulses as a member of a pulse team.")
    return sees + " " + tr("You don't get pulses yourself: you're not a member of a pulse team.")


def _status(paused_until: str | None, opted_out: bool) -> str:
    if opted_out:
        return tr("*You're opted out.* You won't get pulses until you opt back in.")
    if paused_until:
        return tr("*Paused* until {day}.").format(day=paused_until)
    return tr("*You're receiving pulses.* Need a break? Pause them for two weeks.")


def _controls(paused_until: str | None, opted_out: bool) -> list[dict[str, Any]]:
    out = []
    if opted_out:
        out.append(_button(tr("Opt back in"), ids.HOME_OPTIN, "optin", primary=True))
    else:
        if paused_until:
            out.append(_button(tr("Resume now"), ids.HOME_RESUME, "resume"))
        else:
            out.append(_button(tr("Pause for 2 weeks"), ids.HOME_PAUSE, "2w"))
        out.append(_button(tr("Opt out"), ids.HOME_OPTOUT, "optout"))
    return out


def _button(text: str, action_id: str, value: str, *, primary: bool = False) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "action_id": action_id,
        "text": plain(text, limit=75),
        "value": value,
    }
    if primary:
        button["style"] = "primary"
    return button


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": md(text)}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [md(text)]}


def _language_picker(chosen: str | None) -> dict[str, Any]:
    """The language the bot speaks to this person: their Slack language unless they pick one."""
    choices = [{"text": plain(tr("Same as Slack"), limit=75), "value": AUTO_LANGUAGE}]
    choices += [{"text": plain(name, limit=75), "value": lang} for lang, name in LANGUAGES.items()]
    current = next((c for c in choices if c["value"] == chosen), choices[0])
    return {
        "type": "section",
        "block_id": "home_language",
        "text": md(
            tr("*Language* · Oxygen Pulse follows your Slack language unless you pick one.")
        ),
        "accessory": {
            "type": "static_select",
            "action_id": ids.HOME_LANGUAGE,
            "initial_option": current,
            "options": choices,
        },
    }
