"""The shipped question bank, its validation, and HR overrides."""

from __future__ import annotations

import re

import pytest

from insights.questions import (
    KINDS,
    MAX_TEXT_LENGTH,
    QuestionBank,
    QuestionBankError,
    QuestionSpec,
    load_bank,
    parse_bank,
)
from insights.rotation import choose_questions

ENGAGEMENT_DRIVERS = (
    "wellbeing",
    "workload",
    "tools",
    "knowledge",
    "empowerment",
    "recognition",
    "clarity",
    "internal_service",
    "cared_for",
    "voice",
)
AGREEMENT = (
    "Strongly disagree",
    "Disagree",
    "Neither agree nor disagree",
    "Agree",
    "Strongly agree",
)


@pytest.fixture(scope="module")
def bank() -> QuestionBank:
    return load_bank()


# ---------------------------------------------------------------- the shipped bank


def test_shipped_bank_has_every_driver_with_enough_questions(bank: QuestionBank) -> None:
    assert len(bank.questions) >= 44
    assert bank.retired == frozenset()
    by_driver = bank.by_driver()
    for key in ENGAGEMENT_DRIVERS:
        assert bank.drivers[key].engagement is True
        assert bank.drivers[key].label and bank.drivers[key].description
        likert = [q for q in by_driver[key] if q.kind == "likert5"]
        assert len(likert) >= 4, key
    for key in ("enps", "perception", "obstacles"):
        assert bank.drivers[key].engagement is False


def test_shipped_special_questions(bank: QuestionBank) -> None:
    by_driver = bank.by_driver()
    assert [(q.key, q.kind, q.text) for q in by_driver["enps"]] == [
        (
            "enps.recommend",
            "nps10",
            "How likely are you to recommend working here to a friend?",
        )
    ]
    [perception] = by_driver["perception"]
    assert perception.key == "perception.customers_felt"
    assert perception.kind == "likert5"
    assert perception.text == "How do you think our customers felt about us this week?"
    assert perception.scale == ("Very unhappy", "Unhappy", "Neutral", "Happy", "Very happy")
    obstacles = by_driver["obstacles"]
    assert 2 <= len(obstacles) <= 3
    assert all(q.kind == "text" and q.text.endswith("?") for q in obstacles)
    assert "What got in the way of serving customers this week?" in [q.text for q in obstacles]


def test_shipped_questions_are_well_formed(bank: QuestionBank) -> None:
    keys = [q.key for q in bank.questions]
    assert len(keys) == len(set(keys))
    for q in bank.questions:
        assert re.fullmatch(r"[a-z_]+\.[a-z0-9_]+", q.key), q.key
        assert q.key.split(".")[0] == q.driver
        assert q.kind in KINDS
        assert q.builtin is True
        assert len(q.text) <= 120, q.key
        assert q.text == q.text.strip() and "  " not in q.text
        if bank.drivers[q.driver].engagement:
            # agreement items are first-person statements, not questions
            assert q.kind == "likert5" and q.scale == AGREEMENT, q.key
            assert q.text.endswith(".") and re.search(r"\b(I|me|[Mm]y|[Oo]ur)\b", q.text), q.key


def test_options_per_kind(bank: QuestionBank) -> None:
    assert bank["wellbeing.energy"].options() == list(enumerate(AGREEMENT, start=1))
    assert bank["enps.recommend"].options() == [(n, str(n)) for n in range(11)]
    assert bank["obstacles.this_week"].options() == []
    assert bank["perception.customers_felt"].options()[0] == (1, "Very unhappy")


def test_load_bank_is_shared_and_immutable(bank: QuestionBank) -> None:
    assert load_bank() is bank
    with pytest.raises(TypeError):
        bank.drivers["new"] = bank.drivers["voice"]  # type: ignore[index]
    assert bank.get("no.such") is None
    assert "no.such" not in bank and "voice.speak_up" in bank
    with pytest.raises(KeyError):
        bank["no.such"]


# ---------------------------------------------------------------- TOML validation

MINIMAL = """
[scales]
agreement = ["1", "2", "3", "4", "5"]

[drivers.voice]
label = "Voice"
engagement = true
description = "A say."

[[questions]]
key = "voice.heard"
driver = "voice"
kind = "likert5"
text = "I am heard."
"""


def test_minimal_bank_parses_with_default_scale() -> None:
    parsed = parse_bank(MINIMAL)
    assert parsed.get("voice.heard") == QuestionSpec(
        "voice.heard", "voice", "likert5", "I am heard.", ("1", "2", "3", "4", "5"), True
    )


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (
            'key = "voice.heard"\ndriver = "voice"\ntext = "Again."',
            r'"voice\.heard".*more than one',
        ),
        (
            'key = "tools.x"\ndriver = "voice"\ntext = "X."',
            r'"tools\.x".*must start with.*"voice\.',
        ),
        ('key = "voyce.x"\ndriver = "voyce"\ntext = "X."', r'"voyce\.x".*unknown driver "voyce"'),
        ('key = "voice.x"\ndriver = "voice"\nkind = "likert7"\ntext = "X."', r'"voice\.x".*kind'),
        ('key = "voice.x"\ndriver = "voice"\ntext = "  "', r'"voice\.x".*text'),
        (f'key = "voice.x"\ndriver = "voice"\ntext = "{"a" * 151}"', r'"voice\.x".*text is 151'),
        ('key = "voice.x"\ndriver = "voice"\ntext = "X."\nscale = ["a"]', r'"voice\.x".*scale'),
        ('key = "voice.x"\ndriver = "voice"\nkind = "text"\ntext = "X?"\nscale = ["a"]', "scale"),
        ('key = "voice.x"\ndriver = "voice"\ntext = "X."\ntxt = "y"', r'"voice\.x".*"txt"'),
        ('key = "Voice X"\ndriver = "voice"\ntext = "X."', r'"Voice X".*key'),
        ('driver = "voice"\ntext = "X."', r"question 2: key is missing"),
    ],
)
def test_invalid_question_is_named_with_its_field(extra: str, expected: str) -> None:
    with pytest.raises(QuestionBankError, match=expected):
        parse_bank(MINIMAL + "\n[[questions]]\n" + extra + "\n")


def test_invalid_driver_and_scale_tables_are_named() -> None:
    with pytest.raises(QuestionBankError, match=r'driver "voice": engagement'):
        parse_bank(MINIMAL.replace("engagement = true", 'engagement = "yes"'))
    with pytest.raises(QuestionBankError, match=r"agreement.*exactly 5 labels, got 4"):
        parse_bank(MINIMAL.replace('"1", ', ""))
    with pytest.raises(QuestionBankError, match="not valid TOML"):
        parse_bank(MINIMAL + "[[questions]\n")


def test_text_limit_is_the_documented_one() -> None:
    text = "a" * MAX_TEXT_LENGTH
    parsed = parse_bank(MINIMAL.replace('"I am heard."', f'"{text}"'))
    assert parsed["voice.heard"].text == text


# ---------------------------------------------------------------- HR overrides


def test_custom_question_is_added_and_asked(bank: QuestionBank) -> None:
    custom = {"key": "voice.roadmap", "driver": "voice", "text": "I can influence our roadmap."}
    overridden = bank.with_overrides([custom], [])
    question = overridden.get("voice.roadmap")
    assert question is not None
    assert (question.kind, question.scale, question.builtin) == ("likert5", AGREEMENT, False)
    assert overridden.active()[-1] == question
    assert load_bank().get("voice.roadmap") is None  # the shipped bank is untouched

    history: list[list[str]] = []
    for _ in range(30):
        history.append(choose_questions(overridden, history=history))
    assert any("voice.roadmap" in pulse for pulse in history)


def test_custom_question_with_its_own_scale_and_kind(bank: QuestionBank) -> None:
    overridden = bank.with_overrides(
        [
            {
                "key": "wellbeing.sleep",
                "driver": "wellbeing",
                "text": "How well rested were you this week?",
                "scale": ["Exhausted", "Tired", "OK", "Rested", "Fully rested"],
            },
            {"key": "obstacles.blocker", "driver": "obstacles", "kind": "text", "text": "What?"},
        ],
        [],
    )
    assert overridden["wellbeing.sleep"].options()[4] == (5, "Fully rested")
    assert overridden["obstacles.blocker"].kind == "text"


def test_retired_question_is_kept_but_never_asked(bank: QuestionBank) -> None:
    overridden = bank.with_overrides([], ["wellbeing.energy", "enps.recommend"])
    assert not overridden.is_active("wellbeing.energy")
    assert overridden.get("wellbeing.energy") is not None  # old answers keep their text
    assert "wellbeing.energy" not in [q.key for q in overridden.active()]
    assert overridden.by_driver()["enps"] == []

    history: list[list[str]] = []
    for _ in range(40):
        history.append(choose_questions(overridden, history=history))
    asked = {key for pulse in history for key in pulse}
    assert "wellbeing.energy" not in asked
    assert "enps.recommend" not in asked
    assert {"wellbeing.recharge", "wellbeing.stress"} <= asked


def test_overrides_replace_earlier_overrides(bank: QuestionBank) -> None:
    first = bank.with_overrides(
        [{"key": "voice.a", "driver": "voice", "text": "A."}], ["voice.speak_up"]
    )
    second = first.with_overrides([{"key": "voice.b", "driver": "voice", "text": "B."}], [])
    assert second.get("voice.a") is None
    assert second.is_active("voice.speak_up")
    assert second.is_active("voice.b")


def test_a_custom_question_can_be_retired(bank: QuestionBank) -> None:
    overridden = bank.with_overrides(
        [{"key": "voice.a", "driver": "voice", "text": "A."}], ["voice.a"]
    )
    assert overridden.get("voice.a") is not None and not overridden.is_active("voice.a")


def test_whole_driver_can_be_retired(bank: QuestionBank) -> None:
    keys = [q.key for q in bank.by_driver()["recognition"]]
    overridden = bank.with_overrides([], keys)
    assert overridden.by_driver()["recognition"] == []
    assert "recognition" in overridden.drivers


@pytest.mark.parametrize(
    ("custom", "retired", "expected"),
    [
        (
            [
                {"key": "voice.ok", "driver": "voice", "text": "Fine."},
                {"key": "voice.x", "driver": "voyce", "text": "X."},
            ],
            [],
            r'^custom question 2 \("voice\.x"\): unknown driver "voyce"; '
            r"known drivers: wellbeing, workload, .*voice",
        ),
        ([], ["foo.bar"], r'^retired question "foo\.bar" is not in the bank$'),
        (
            [{"key": "voice.speak_up", "driver": "voice", "text": "Dup."}],
            [],
            r'custom question 1 \("voice\.speak_up"\): key "voice\.speak_up" is already a built-in',
        ),
        (
            [{"key": "voice.speak_up", "driver": "voice", "text": "Dup."}],
            ["voice.speak_up"],
            r'"voice\.speak_up" is already a built-in',
        ),
        (
            [{"key": "voice.a", "driver": "voice", "text": "A."}] * 2,
            [],
            r'custom question 2 \("voice\.a"\): key "voice\.a" is already taken',
        ),
        (
            [{"key": "voice.a", "driver": "voice", "kind": "stars", "text": "A."}],
            [],
            r'custom question 1 \("voice\.a"\): unknown kind "stars"',
        ),
        (
            [{"key": "voice.a", "driver": "voice", "text": ""}],
            [],
            r'custom question 1 \("voice\.a"\): text',
        ),
        (
            [{"key": "voice.a", "driver": "voice", "text": "A.", "scale": ["x"] * 4}],
            [],
            r'custom question 1 \("voice\.a"\): scale must have exactly 5 labels',
        ),
        (
            [{"key": "tools.a", "driver": "voice", "text": "A."}],
            [],
            r'custom question 1 \("tools\.a"\): key "tools\.a" must start with its driver',
        ),
        ([{"driver": "voice", "text": "A."}], [], r"^custom question 1: key is missing$"),
        (["voice.a"], [], r"^custom question 1: must be a table"),
    ],
)
def test_override_errors_name_the_item(
    bank: QuestionBank, custom: list, retired: list[str], expected: str
) -> None:
    with pytest.raises(QuestionBankError, match=expected):
        bank.with_overrides(custom, retired)
