"""Manager report and command replies (ephemeral): figures only from k+ respondents."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.blocks.pulse import _md, _plain


@dataclass(frozen=True)
class QuestionLine:
    text: str
    kind: str
    n: int
    mean: float | None  # None when withheld (fewer than k answers to this question)


def team_report(
    *,
    team_name: str,
    pulse_label: str,
    respondents: int,
    participation: float,
    lines: list[QuestionLine],
    k: int,
    comments: list[tuple[str | None, str]] | None = None,
    extra: list[dict[str, Any]] | None = None,
    other_teams: list[str] | None = None,
) -> dict[str, Any]:
    """The report of a pulse with enough respondents (the caller checked k)."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": _plain(f"{team_name} · pulse report")},
        {
            "type": "section",
            "fields": [
                _md(f"*Respondents*\n{respondents}"),
                _md(f"*Participation*\n{participation:.0%}"),
            ],
        },
        {"type": "context", "elements": [_md(pulse_label)]},
        {"type": "divider"},
    ]
    for line in lines:
        blocks.append({"type": "section", "text": _md(_question_line(line, k))})
    blocks += _comment_blocks(comments or [])
    blocks += extra or []
    blocks.append(
        {
            "type": "context",
            "elements": [
                _md(
                    f"Anonymous: figures come from {k}+ people; individual answers are never shown."
                )
            ],
        }
    )
    if other_teams:
        blocks.append(
            {"type": "context", "elements": [_md("Also yours: " + ", ".join(other_teams))]}
        )
    return {"response_type": "ephemeral", "text": f"Pulse report for {team_name}", "blocks": blocks}


MAX_COMMENTS = 10


def _comment_blocks(comments: list[tuple[str | None, str]]) -> list[dict[str, Any]]:
    if not comments:
        return []
    blocks: list[dict[str, Any]] = [
        {"type": "divider"},
        {"type": "section", "text": _md(f"*Anonymous comments* ({len(comments)}, shuffled)")},
    ]
    for prompt, body in comments[:MAX_COMMENTS]:
        quoted = "\n".join(f"> {line}" for line in body.splitlines() if line.strip())
        label = f"_{prompt}_\n" if prompt else ""
        blocks.append({"type": "section", "text": _md((label + quoted)[:2900])})
    if len(comments) > MAX_COMMENTS:
        more = len(comments) - MAX_COMMENTS
        blocks.append({"type": "context", "elements": [_md(f"and {more} more in the export")]})
    return blocks


def _question_line(line: QuestionLine, k: int) -> str:
    if line.mean is None:
        return f"{line.text}\n_Fewer than {k} answers: not shown._"
    if line.kind == "nps10":
        return f"{line.text}\n*{line.mean:.1f}* / 10 average · {line.n} answers"
    return f"{line.text}\n*{line.mean:.1f}* / 5 · {_bar(line.mean)} · {line.n} answers"


def _bar(mean: float) -> str:
    filled = round((mean - 1) / 4 * 10)
    return "▰" * filled + "▱" * (10 - filled)


def department_report(
    *,
    name: str,
    total: tuple[int, int],
    teams: list[tuple[str, tuple[int, int] | None]],
    k: int,
) -> dict[str, Any]:
    """A department's latest pulses: its total, and each team shown or merged away."""
    lines = []
    for team, figures in teams:
        if figures is None:
            lines.append(f"• {team}: _not shown separately (small group, counted in the total)_")
        else:
            lines.append(f"• {team}: {_participation(*figures)}")
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": _plain(f"{name} · latest pulses")},
        {"type": "section", "text": _md(f"*All teams:* {_participation(*total)}")},
        {"type": "section", "text": _md("\n".join(lines)[:2900])},
        {
            "type": "context",
            "elements": [
                _md(
                    f"Figures from {k}+ people only; a team is merged into the total when "
                    "showing it separately could single people out."
                )
            ],
        },
    ]
    return {"response_type": "ephemeral", "text": f"Pulse report for {name}", "blocks": blocks}


def _participation(respondents: int, invited: int) -> str:
    share = respondents / invited if invited else 0.0
    return f"{respondents} respondents, {share:.0%} participation"


def message(text: str) -> dict[str, Any]:
    """A plain ephemeral reply (refusals, withheld results, usage)."""
    return {
        "response_type": "ephemeral",
        "text": text,
        "blocks": [{"type": "section", "text": _md(text)}],
    }


USAGE = (
    "*Oxygen Pulse* · `/pulse` commands\n"
    "• `/pulse report [team]` — your team's latest pulse (managers and HR)\n"
    "• `/pulse pause 2w` — no pulses for a while (days `d` or weeks `w`, up to 12 weeks)\n"
    "• `/pulse resume` — end a pause early\n"
    "• `/pulse optout` / `/pulse optin` — stop or restart pulses\n"
    "• `/pulse my-data` — see, download or delete what is stored about you\n"
    "• `/pulse help` — this list  ·  HR admins: `/pulse admin help`"
)
