"""A commitment's follow-up is reported as what the team answered, judged by the one kept rule."""

import datetime as dt

from bot.blocks.commitments import report_section
from bot.blocks.digest import _commitment_lines
from figures.commitments import KEPT_FROM, CommitmentLine, followup_words, is_kept

LOW = "follow-up: 1.8 / 5 from 7 people; the team does not say it was kept (kept = 3.5 or more)"
HIGH = "follow-up: 4.2 / 5 from 6 people; the team says it was kept (kept = 3.5 or more)"


def test_a_low_follow_up_is_not_worded_as_a_difference_made() -> None:
    assert followup_words(1.8, 7) == LOW
    assert followup_words(4.2, 6) == HIGH
    assert is_kept(KEPT_FROM) and not is_kept(KEPT_FROM - 0.01)
    assert "kept = 3.5 or more" in followup_words(KEPT_FROM, 5)
    assert "the team says it was kept" in followup_words(KEPT_FROM, 5)


def test_the_team_report_and_the_digest_word_it_alike() -> None:
    report = report_section(
        [("Fix the laptops", "Tools", "02 Nov", "not felt yet", 1.8, 7)], team_key="t", k=5
    )
    assert f"— {LOW}" in report[1]["text"]["text"] and "made a difference" not in str(report)
    line = CommitmentLine(
        "Support", "Fix the laptops", "Tools", dt.date(2026, 11, 2), "kept", 4.2, 6
    )
    digest = _commitment_lines([line], 5)
    assert digest[0] == "1 made · 1 of 1 judged by their team kept (3.5+ / 5)"
    assert digest[1].endswith(f"— {HIGH}")
