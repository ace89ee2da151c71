"""The tone of a comment or reply: positive, constructive or mixed.

Computed locally with VADER (vaderSentiment ships its lexicon and rules; no network). A
text is *mixed* when it carries both praise and criticism: VADER finds both a positive and
a negative share, or one of its sentences (or comma-separated clauses) reads positive and
another negative. It is *positive* when it reads clearly positive with next to no
criticism; everything else — a complaint, a request, a suggestion — is *constructive*, the
feedback a manager can act on. The thresholds were chosen on half of the labelled set in
tests/insights/data/tone.csv and measured on the other half (NOTES-convo.md).
"""

from __future__ import annotations

import re
from functools import lru_cache

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

POSITIVE, CONSTRUCTIVE, MIXED = "positive", "constructive", "mixed"
TONES = (POSITIVE, CONSTRUCTIVE, MIXED)
MIXED_SHARE = 0.12  # VADER's positive and negative shares both at least this: mixed
CLAUSE = 0.2  # one clause's compound at least this and another's at most minus this: mixed
POSITIVE_COMPOUND = 0.4  # the whole text's compound at least this (no criticism): positive
_CLAUSES = re.compile(r"(?<=[.!?;])\s+|,\s+")


@lru_cache(maxsize=1)
def _analyzer() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()


@lru_cache(maxsize=4096)
def tone(text: str) -> str:
    """The tone label of one text."""
    vader = _analyzer()
    scores = vader.polarity_scores(text)
    clauses = [vader.polarity_scores(c)["compound"] for c in _CLAUSES.split(text) if c.strip()]
    both = scores["pos"] >= MIXED_SHARE and scores["neg"] >= MIXED_SHARE
    if both or (clauses and max(clauses) >= CLAUSE and min(clauses) <= -CLAUSE):
        return MIXED
    if scores["compound"] >= POSITIVE_COMPOUND and scores["neg"] < MIXED_SHARE:
        return POSITIVE
    return CONSTRUCTIVE
