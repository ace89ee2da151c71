"""Tone labels on a labelled set of 210 workplace comments (tests/insights/data/tone.csv):
thresholds were chosen on the even rows, so the odd rows measure it. `python -m
tests.insights.test_tone` prints precision and recall per label (NOTES-convo.md)."""

from __future__ import annotations

import csv
from pathlib import Path

from insights.tone import TONES, tone

DATA = Path(__file__).parent / "data" / "tone.csv"


def _rows(part: slice = slice(None)) -> list[tuple[str, str]]:
    with DATA.open(encoding="utf-8") as f:
        rows = [(r["label"], r["text"]) for r in csv.DictReader(f)]
    return rows[part]


def measure(rows: list[tuple[str, str]]) -> dict[str, tuple[float, float]]:
    """label -> (precision, recall)."""
    pairs = [(label, tone(text)) for label, text in rows]
    out = {}
    for t in TONES:
        hit = sum(1 for g, p in pairs if g == t and p == t)
        said = sum(1 for _, p in pairs if p == t)
        real = sum(1 for g, _ in pairs if g == t)
        out[t] = (hit / said if said else 0.0, hit / real if real else 0.0)
    return out


def test_the_set_is_large_and_balanced() -> None:
    labels = [label for label, _ in _rows()]
    assert len(labels) >= 200
    assert {t: labels.count(t) for t in TONES} == {t: 70 for t in TONES}


def test_each_label_is_found_well_above_chance_on_held_out_comments() -> None:
    figures = measure(_rows(slice(1, None, 2)))
    for label, (precision, recall) in figures.items():
        assert precision >= 0.65, (label, precision)  # chance is 0.33
        assert recall >= 0.6, (label, recall)


def test_clear_cases() -> None:
    assert tone("Thank you, I love working with this team!") == "positive"
    assert tone("The CRM crashes every day and customers wait.") == "constructive"
    assert tone("Great colleagues, but the workload is crushing.") == "mixed"


if __name__ == "__main__":
    for name, part in (("held-out (odd rows)", slice(1, None, 2)), ("all 210", slice(None))):
        print(name)
        for label, (p, r) in measure(_rows(part)).items():
            print(f"  {label:<12} precision {p:.2f}  recall {r:.2f}")
