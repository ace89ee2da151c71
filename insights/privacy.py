"""The minimum-group-size (k-anonymity) guard every surface goes through.

No score, count, percentage, chart or comment is shown for fewer than k respondents.
"""

from __future__ import annotations

MIN_K = 3


def visible(n: int, k: int) -> bool:
    """True when a figure from `n` people may be shown under threshold `k`."""
    return n >= max(k, MIN_K)


def withheld_sentence(*, k: int, what: str = "figures") -> str:
    """Why nothing is shown, without revealing how many answered."""
    return (
        f"No {what} yet: results are shown only once at least {k} people have answered, "
        "so nobody's answers can be singled out."
    )
