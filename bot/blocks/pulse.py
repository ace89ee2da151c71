"""The pulse DM: one question per section, one button per option, answers shown in place."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot import ids
from bot.blocks.text import escape, md, plain, truncate
from settings.i18n import N_, ngettext, tr

AGREEMENT = (
    N_("Strongly disagree"),
    N_("Disagree"),
    N_("Neutral"),
    N_("Agree"),
    N_("Strongly agree"),
)


@dataclass(frozen=True)
class QuestionItem:
    question_id: int
    text: str
    kind: str  # likert5 | nps10 | text | choice (one of a manager's proposed actions)
    scale: tuple[str, ...] = ()


def options(item: QuestionItem) -> list[tuple[int, str]]:
    if item.kind == "nps10":
        return [(v, str(v)) for v in range(11)]
    if item.kind == "likert5":
        labels = item.scale if len(item.scale) == 5 else tuple(tr(label) for label in AGREEMENT)
        return list(enumerate(labels, start=1))
    if item.kind == "choice":
        return list(enumerate(item.scale, start=1))
    return []


def pulse_message(
    *,
    pulse_id: int,
    team_name: str,
    questions: list[QuestionItem],
    answers: dict[int, int],
    written: frozenset[int] = frozenset(),
    commented: bool = False,
    commitments: tuple[str, ...] = (),
    closes_label: str,
    closed: bool = False,
    min_group_size: int = 5,
) -> dict[str, Any]:
    """The DM for one pulse; `answers` are the recipient's own (question id -> value)."""
    done = sum(1 for q in questions if q.question_id in answers or q.question_id in written)
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": plain(tr("Pulse check · {team}").format(team=team_name), limit=150),
        },
        {
            "type": "context",
            "elements": [
                md(
                    tr(
                        "Anonymous: your manager sees team results only, and only from {k}+ people."
                    ).format(k=min_group_size)
                    + " "
                    + (
                        tr("This pulse has closed.")
                        if closed
                        else tr("Open until {when}.").format(when=closes_label)
                    )
                )
            ],
        },
    ]
    for promise in commitments:
        promise = escape(promise, limit=2500)
        blocks.append(
            {
                "type": "section",
                "text": md(
                    tr(
                        ":handshake: *Your team's commitment since the last pulse:* {promise}"
                    ).format(promise=promise)
                ),
            }
        )
    for n, item in enumerate(questions, start=1):
        blocks.extend(_question_blocks(pulse_id, n, item, answers, written, closed))
    blocks.append(_comment_block(pulse_id, commented, closed))
    if closed:
        status = tr("This pulse has closed. You answered {done} of {total}. Thank you!").format(
            done=done, total=len(questions)
        )
    elif done == len(questions):
        status = tr("All answered, thank you! You can change an answer until the pulse closes.")
    else:
        status = tr("{done} of {total} answered.").format(done=done, total=len(questions))
    blocks.append({"type": "context", "elements": [md(status)]})
    return {
        "text": ngettext(
            "Pulse check for {team}: {n} quick question",
            "Pulse check for {team}: {n} quick questions",
            len(questions),
        ).format(team=escape(team_name), n=len(questions)),
        "blocks": blocks,
    }


def _question_blocks(
    pulse_id: int,
    n: int,
    item: QuestionItem,
    answers: dict[int, int],
    written: frozenset[int],
    closed: bool,
) -> list[dict[str, Any]]:
    block_id = f"{ids.QUESTION_BLOCK}:{item.question_id}"
    chosen = answers.get(item.question_id)
    labels = {value: escape(label, limit=200) for value, label in options(item)}
    section: dict[str, Any] = {
        "type": "section",
        "block_id": block_id,
        "text": md(f"*{n}. {escape(item.text, limit=2900)}*"),
    }
    out = [section]
    if chosen is not None:
        out.append(
            {
                "type": "context",
                "elements": [
                    md(
                        tr(":white_check_mark: Recorded: *{answer}*").format(
                            answer=labels.get(chosen, chosen)
                        )
                    )
                ],
            }
        )
    elif item.question_id in written:
        out.append(
            {
                "type": "context",
                "elements": [md(tr(":white_check_mark: Recorded your written answer."))],
            }
        )
    if closed:
        return out
    if item.kind == "text":
        label = tr("Edit my answer") if item.question_id in written else tr("Write an answer")
        section["accessory"] = {
            "type": "button",
            "action_id": ids.TEXT_ANSWER,
            "text": plain(label),
            "value": f"{pulse_id}:{item.question_id}",
        }
        return out
    if item.kind == "choice":
        out.extend(_choice_blocks(pulse_id, block_id, item, chosen))
        return out
    buttons = []
    for value, label in options(item):
        button: dict[str, Any] = {
            "type": "button",
            "action_id": f"{ids.ANSWER}:{value}",
            "text": plain(label, limit=75),
            "value": ids.answer_value(pulse_id, item.question_id, value),
        }
        if value == chosen:
            button["style"] = "primary"
        buttons.append(button)
    out.append({"type": "actions", "block_id": f"{block_id}:a", "elements": buttons})
    return out


def _choice_blocks(
    pulse_id: int, block_id: str, item: QuestionItem, chosen: int | None
) -> list[dict[str, Any]]:
    """One section per proposed action (up to 199 characters: more than a button holds)."""
    out: list[dict[str, Any]] = []
    for value, label in options(item):
        button: dict[str, Any] = {
            "type": "button",
            "action_id": f"{ids.ANSWER}:{value}",
            "text": plain(tr("Chosen") if value == chosen else tr("Choose this"), limit=75),
            "value": ids.answer_value(pulse_id, item.question_id, value),
        }
        if value == chosen:
            button["style"] = "primary"
        out.append(
            {
                "type": "section",
                "block_id": f"{block_id}:o{value}",
                "text": md(f"{value}. {escape(label, limit=400)}"),
                "accessory": button,
            }
        )
    out.append(
        {
            "type": "context",
            "elements": [
                md(
                    tr(
                        "Anonymous, one choice each, changeable until the pulse closes; "
                        "the choice of most becomes the team's commitment."
                    )
                )
            ],
        }
    )
    return out


def _comment_block(pulse_id: int, commented: bool, closed: bool) -> dict[str, Any]:
    text = (
        tr(":speech_balloon: Your anonymous comment is saved.")
        if commented
        else tr("Anything else on your mind? Comments reach your manager without your name.")
    )
    block: dict[str, Any] = {"type": "section", "block_id": "comment", "text": md(text)}
    if not closed:
        block["accessory"] = {
            "type": "button",
            "action_id": ids.COMMENT,
            "text": plain(tr("Edit comment") if commented else tr("Add an anonymous comment")),
            "value": f"{pulse_id}:{ids.COMMENT_QUESTION}",
        }
    return block


def closed_notice() -> dict[str, Any]:
    return {
        "response_type": "ephemeral",
        "replace_original": False,
        "text": tr(
            "This pulse has closed, so answers can no longer be changed. "
            "Thank you for taking part; the next pulse will come to you here."
        ),
    }


def reminder_message(*, team_name: str, closes_label: str) -> dict[str, Any]:
    text = tr(
        "A gentle reminder: the {team} pulse closes {when}. "
        "It takes about 30 seconds, just above this message, and it's anonymous."
    ).format(team=escape(team_name, limit=500), when=closes_label)
    return {"text": text, "blocks": [{"type": "section", "text": md(text)}]}


def not_yours_notice() -> dict[str, Any]:
    return {
        "response_type": "ephemeral",
        "replace_original": False,
        "text": tr(
            "That button belongs to a pulse that wasn't sent to you, so nothing was recorded."
        ),
    }


def closed_pulse_message(
    *,
    team_name: str,
    questions: list[str],
    closed_label: str,
    respondents: int,
    min_group_size: int,
) -> dict[str, Any]:
    """A sent pulse DM once its pulse has closed: what was asked, no buttons, when it closed,
    and how many answered, a figure shown only from `min_group_size` people."""
    turnout = (
        " "
        + ngettext("{n} person answered.", "{n} people answered.", respondents).format(
            n=respondents
        )
        if respondents >= min_group_size > 0
        else ""
    )
    asked = "\n".join(
        f"{n}. {escape(text, limit=500)}" for n, text in enumerate(questions, start=1)
    )
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": plain(tr("Pulse check · {team}").format(team=team_name), limit=150),
        },
        {
            "type": "context",
            "elements": [
                md(
                    tr("This pulse closed {when}.").format(when=escape(closed_label))
                    + turnout
                    + " "
                    + tr("Thank you for taking part; the next pulse will come to you here.")
                )
            ],
        },
    ]
    if asked:
        blocks.append({"type": "section", "text": md(truncate(asked, 3000))})
    name = escape(team_name, limit=150)
    return {
        "text": tr("Pulse check for {team}: this pulse has closed").format(team=name),
        "blocks": blocks,
    }
