"""The team's choice: most votes wins, ties go to the first proposed, nothing below k."""

from __future__ import annotations

import pytest

from insights.choice import decide, tally

K = 5


def test_tally_counts_votes_per_option_and_ignores_forged_values() -> None:
    assert tally([1, 2, 2, 3, 2, 0, 4, -1], options=3) == (1, 3, 1)
    assert tally([], options=2) == (0, 0)


def test_most_votes_wins_and_counts_show_when_everyone_voted() -> None:
    choice = decide((1, 4, 2), respondents=7, k=K)
    assert choice.decided and choice.winner == 1
    assert choice.counts == (1, 4, 2)


@pytest.mark.parametrize(
    ("counts", "winner"),
    [((3, 3, 0), 0), ((0, 3, 3), 1), ((2, 2, 2), 0), ((1, 3, 3), 1)],
)
def test_a_tie_goes_to_the_tied_option_proposed_first(counts: tuple[int, ...], winner: int) -> None:
    assert decide(counts, respondents=sum(counts), k=K).winner == winner


@pytest.mark.parametrize("counts", [(0, 0), (1, 0), (2, 2), (0, 4, 0), (1, 1, 2)])
def test_fewer_than_k_voters_decide_nothing_and_show_nothing(counts: tuple[int, ...]) -> None:
    choice = decide(counts, respondents=20, k=K)
    assert (choice.decided, choice.winner, choice.counts) == (False, None, None)


def test_exactly_k_voters_decide() -> None:
    choice = decide((4, 1), respondents=5, k=K)
    assert (choice.decided, choice.winner, choice.counts) == (True, 0, (4, 1))


@pytest.mark.parametrize("skipped", [1, 2, 4])
def test_counts_hidden_when_respondents_minus_voters_is_below_k(skipped: int) -> None:
    # respondents and voters are both shown elsewhere: their difference must not isolate
    # fewer than k people, so only the winner is shown
    choice = decide((2, 4), respondents=6 + skipped, k=K)
    assert choice.decided and choice.winner == 1
    assert choice.counts is None


@pytest.mark.parametrize("skipped", [0, 5, 9])
def test_counts_shown_when_no_one_or_k_plus_skipped(skipped: int) -> None:
    assert decide((2, 4), respondents=6 + skipped, k=K).counts == (2, 4)


def test_k_never_below_the_floor_of_three() -> None:
    assert not decide((1, 1), respondents=2, k=1).decided
    assert decide((2, 1), respondents=3, k=1).decided
