"""One person's pulse DM from what the caller read: shared by the sender and the listeners.

Pure: the caller reads the pulse, the person's own answers and the team's commitments
(`bot.answering` for a person, `jobs.delivery` for a fresh DM) and passes them in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from typing import Any

from bot.blocks.pulse import QuestionItem, pulse_message
from jobs.calendar import local_label
from settings.i18n import current_language
from storage.pulses import PulseView, is_open
from storage.questions import localized


def dm_message(
    *,
    view: PulseView,
    tz: str,
    now: dt.datetime,
    k: int,
    answers: dict[int, int] | None = None,
    written: Collection[int] = (),
    commented: bool = False,
    commitments: Sequence[str] = (),
) -> dict[str, Any]:
    """The DM as its reader should see it at `now` (no answers given: fresh, unanswered);
    `written` are the questions they wrote an answer to, `commented` whether they commented."""
    lang = current_language()
    items = []
    for q in view.questions:
        text, scale = localized(q, lang)
        items.append(QuestionItem(question_id=q.id or 0, text=text, kind=q.kind, scale=scale))
    return pulse_message(
        pulse_id=view.pulse.id or 0,
        team_name=view.team_name,
        questions=items,
        answers=answers or {},
        written=frozenset(written),
        commented=commented,
        commitments=tuple(commitments),
        closes_label=local_label(view.pulse.closes_at, tz),
        closed=not is_open(view.pulse, now),
        min_group_size=k,
    )
