"""The team's choice among a manager's proposed actions: the tally and what of it may be shown.

Pure. ``counts`` are the votes per option in the order the manager proposed them; the pulse's
``respondents`` are everyone who answered anything. The rules:

- fewer than k voters: nothing is decided and nothing is shown (not the winner either: with
  one voter the winner *is* that person's vote);
- k or more: the option with most votes wins; a tie goes to the tied option the manager
  proposed first, a rule fixed before anyone voted that uses nothing about the voters;
- the counts per option are shown only when the people who answered the pulse but did not
  vote number 0 or k or more, so "respondents − voters" never isolates fewer than k people;
  otherwise only the winner is shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from insights.privacy import visible


@dataclass(frozen=True)
class Choice:
    decided: bool  # k or more voters: the winner becomes the commitment
    winner: int | None  # index into the options, only when decided
    counts: tuple[int, ...] | None  # votes per option, only when they may be shown


def tally(values: Sequence[int], *, options: int) -> tuple[int, ...]:
    """Votes per option from the stored answer values (1-based); others are ignored."""
    counts = [0] * options
    for value in values:
        if 1 <= value <= options:
            counts[value - 1] += 1
    return tuple(counts)


def decide(counts: Sequence[int], *, respondents: int, k: int) -> Choice:
    voters = sum(counts)
    if not visible(voters, k):
        return Choice(False, None, None)
    best = max(counts)
    winner = next(i for i, n in enumerate(counts) if n == best)  # first proposed among ties
    skipped = respondents - voters
    shown = tuple(counts) if skipped == 0 or visible(skipped, k) else None
    return Choice(True, winner, shown)
