"""Co-created commitments in Block Kit: the modal where a manager proposes two or three
actions, and the report lines saying what the team chose."""

from __future__ import annotations

from typing import Any

from bot import ids
from bot.blocks.commitments import focus_input
from bot.blocks.text import escape, md, plain, truncate
from figures.cocreate import ProposalLine
from settings.i18n import tr

MIN_OPTIONS, MAX_OPTIONS = 2, 3
MAX_ACTION = 199  # characters; 200 or more is refused


def option_block(n: int) -> str:
    return f"{ids.COCREATE_OPTION}:{n}"


def proposal_modal(
    *, team_key: str, team_name: str, drivers: list[tuple[str, str]]
) -> dict[str, Any]:
    """`drivers` are (key, label) of the engagement drivers the actions can be for."""
    blocks: list[dict[str, Any]] = [
        {
            "type": "section",
            "text": md(
                tr(
                    "*{team}* chooses one of these in their next pulse, anonymously; "
                    "the choice of most becomes the team's commitment, shown with the "
                    "pulse after."
                ).format(team=escape(team_name, limit=300))
            ),
        },
        focus_input(drivers),
    ]
    for n in range(1, MAX_OPTIONS + 1):
        blocks.append(
            {
                "type": "input",
                "block_id": option_block(n),
                "optional": n > MIN_OPTIONS,
                "label": plain(tr("Action {n}").format(n=n)),
                "element": {
                    "type": "plain_text_input",
                    "action_id": ids.COCREATE_OPTION,
                    "max_length": MAX_ACTION,
                },
            }
        )
    return {
        "type": "modal",
        "callback_id": ids.COCREATE_MODAL,
        "private_metadata": team_key,
        "title": plain(tr("Let the team choose"), limit=24),
        "submit": plain(tr("Propose"), limit=24),
        "close": plain(tr("Cancel"), limit=24),
        "blocks": blocks,
    }


def options_errors(options: list[str]) -> dict[str, str]:
    """Errors per option block for the actions as typed (blank third = not proposed)."""
    errors = {}
    for n, text in enumerate(options, start=1):
        if len(text.strip()) > MAX_ACTION:
            errors[option_block(n)] = tr(
                "Please keep each action under 200 characters ({n} now)."
            ).format(n=len(text.strip()))
        elif not text.strip() and n <= MIN_OPTIONS:
            errors[option_block(n)] = tr("Please write this action: the team needs two to choose.")
    given = [t.strip() for t in options if t.strip()]
    if not errors and not MIN_OPTIONS <= len(given) <= MAX_OPTIONS:
        errors[option_block(1)] = tr("Please propose two or three actions.")
    elif not errors and len({t.casefold() for t in given}) < len(given):
        errors[option_block(len(given))] = tr(
            "Two actions are the same: please make each one different."
        )
    return errors


def saved_view(*, team_name: str, options: list[str]) -> dict[str, Any]:
    listed = "\n".join(f"{n}. {escape(t, limit=400)}" for n, t in enumerate(options, start=1))
    return {
        "type": "modal",
        "title": plain(tr("Proposal saved"), limit=24),
        "close": plain(tr("Done"), limit=24),
        "blocks": [
            {
                "type": "section",
                "text": md(
                    tr("*{team}* chooses in their next pulse between:").format(
                        team=escape(team_name, limit=300)
                    )
                    + "\n"
                    + listed
                ),
            }
        ],
    }


def _state(line: ProposalLine, k: int) -> str:
    if line.state == "waiting":
        return tr("the team chooses in its next pulse")
    if line.state == "choosing":
        return tr("the team is choosing until the pulse closes")
    if line.state == "undecided":
        return tr("fewer than {k} chose, so nothing was decided and no choice is shown").format(k=k)
    said = tr("the team chose “{text}”").format(text=escape(line.winner or "", limit=400))
    if line.counts is not None:
        votes = ", ".join(f"{n}: {c}" for n, c in enumerate(line.counts, start=1))
        said += " " + tr("(votes per action: {votes})").format(votes=votes)
    return said


def report_blocks(lines: list[ProposalLine], *, team_key: str, k: int) -> list[dict[str, Any]]:
    """The team's latest proposals, then the button to propose (beside "Make a commitment"),
    left out while the team is still choosing: a second proposal would only be refused."""
    blocks: list[dict[str, Any]] = []
    if lines:
        rows = []
        for line in lines:
            actions = " / ".join(
                f"{n}. {escape(t, limit=200)}" for n, t in enumerate(line.options, start=1)
            )
            rows.append(
                f"• {actions} ({escape(line.driver, limit=100)}, {line.made.isoformat()}) — "
                + _state(line, k)
            )
        text = truncate(tr("*Chosen by the team*") + "\n" + "\n".join(rows), 2900)
        blocks.append({"type": "section", "text": md(text)})
    if any(line.state in ("waiting", "choosing") for line in lines):
        return blocks
    blocks.append(
        {
            "type": "actions",
            "block_id": "cocreate",
            "elements": [
                {
                    "type": "button",
                    "action_id": ids.COCREATE_OPEN,
                    "text": plain(tr("Let the team choose"), limit=75),
                    "value": team_key,
                }
            ],
        }
    )
    return blocks


def celebration_message(*, team_name: str, text: str) -> dict[str, Any]:
    """Posted to the team's channel when its commitment is kept: no figure, nobody named."""
    said = tr(
        ":tada: *{team}*, you did it: the commitment “{text}” made a real difference, "
        "as the team said in its last pulse. Thank you, everyone!"
    ).format(team=escape(team_name, limit=300), text=escape(text, limit=400))
    return {"text": truncate(said, 3000), "blocks": [{"type": "section", "text": md(said)}]}
