"""What a manager's report says about the team's co-created choices: one computation
(insights.choice.decide over the tally sealed at close), the same the next pulse uses to
make the winner a commitment, so a report never shows a winner the bot did not pick."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass

from sqlmodel import Session

from insights.choice import decide
from storage import cocreate


@dataclass(frozen=True)
class ProposalLine:
    options: tuple[str, ...]
    driver: str  # label
    made: dt.date
    state: str  # "waiting" (next pulse) | "choosing" | "chosen" | "undecided" (below k)
    winner: str | None  # only when chosen
    counts: tuple[int, ...] | None  # only when chosen and the counts may be shown


def proposal_lines(
    session: Session, *, team_id: int, k: int, labels: Mapping[str, str]
) -> list[ProposalLine]:
    lines = []
    for row, respondents in cocreate.latest(session, team_id=team_id):
        options = tuple(cocreate.options_of(row))
        label = labels.get(row.driver, row.driver)
        made = row.created_at.date()
        if row.vote_pulse_id is None:
            lines.append(ProposalLine(options, label, made, "waiting", None, None))
        elif row.tally is None:
            lines.append(ProposalLine(options, label, made, "choosing", None, None))
        else:
            choice = decide(json.loads(row.tally), respondents=respondents, k=k)
            if choice.winner is None:
                lines.append(ProposalLine(options, label, made, "undecided", None, None))
            else:
                winner = options[choice.winner]
                lines.append(ProposalLine(options, label, made, "chosen", winner, choice.counts))
    return lines
