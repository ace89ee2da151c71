"""The tone of a comment or reply: positive, constructive or mixed.

Computed locally with VADER (vaderSentiment ships its lexicon and rules; no network): a
text carrying clear praise and clear criticism is *mixed*; clear praise with next to no
criticism is *positive*; everything else — a complaint, a request, a suggestion — is
*constructive*, the feedback a manager can act on. Measured on tests/insights/data/tone.csv
(see NOTES/README for precision and recall per label).
"""

from __future__ import annotations

from functools import lru_cache

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

POSITIVE, CONSTRUCTIVE, MIXED = "positive", "constructive", "mixed"
TONES = (POSITIVE, CONSTRUCTIVE, MIXED)
MIXED_SHARE = 0.1  # both VADER's positive and negative shares at least this: mixed
POSITIVE_COMPOUND = 0.5  # VADER's compound score at least this (and no criticism): positive


@lru_cache(maxsize=1)
def _analyzer() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()


@lru_cache(maxsize=4096)
def tone(text: str) -> str:
    """The tone label of one text."""
    scores = _analyzer().polarity_scores(text)
    if scores["pos"] >= MIXED_SHARE and scores["neg"] >= MIXED_SHARE:
        return MIXED
    if scores["compound"] >= POSITIVE_COMPOUND and scores["neg"] < MIXED_SHARE:
        return POSITIVE
    return CONSTRUCTIVE
