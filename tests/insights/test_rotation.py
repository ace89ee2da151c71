"""Question rotation across a team's pulses: round-robin drivers and cadenced specials."""

from __future__ import annotations

from collections import Counter, defaultdict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from insights.questions import QuestionBank, load_bank, parse_bank
from insights.rotation import SPECIAL_PRIORITY, choose_questions

SPECIALS = frozenset(SPECIAL_PRIORITY)
BANK = load_bank()


def simulate(bank: QuestionBank, pulses: int, **options: int) -> list[list[str]]:
    """Run `pulses` pulses, feeding each result back as history, as the scheduler will."""
    history: list[list[str]] = []
    for _ in range(pulses):
        history.append(choose_questions(bank, history=history, **options))
    return history


def engagement_drivers(bank: QuestionBank) -> list[str]:
    by_driver = bank.by_driver()
    return [d for d, drv in bank.drivers.items() if drv.engagement and by_driver[d]]


def drivers_of(bank: QuestionBank, pulse: list[str]) -> list[str]:
    return [bank[key].driver for key in pulse]


def assert_round_robin(bank: QuestionBank, history: list[list[str]]) -> None:
    """The k-th asking of every driver happens no later than any driver's (k+1)-th."""
    drivers = engagement_drivers(bank)
    asked_in: dict[int, list[int]] = defaultdict(list)  # cycle k -> pulse indexes
    counts: Counter[str] = Counter()
    for index, pulse in enumerate(history):
        for driver in drivers_of(bank, pulse):
            if driver in drivers:
                asked_in[counts[driver]].append(index)
                counts[driver] += 1
    for cycle in range(max(asked_in)):
        complete = len(asked_in[cycle]) == len(drivers)
        assert complete, f"cycle {cycle} ended before covering every driver"
        assert max(asked_in[cycle]) <= min(asked_in[cycle + 1]), f"repeat in cycle {cycle}"


# ---------------------------------------------------------------- 60 pulses, defaults


@pytest.fixture(scope="module")
def sixty() -> list[list[str]]:
    return simulate(BANK, 60)


def test_every_engagement_driver_is_asked_before_any_repeats(sixty: list[list[str]]) -> None:
    assert_round_robin(BANK, sixty)
    # nothing asked yet, so the first cycle follows the bank's driver order
    first = [d for pulse in sixty[:3] for d in drivers_of(BANK, pulse) if d not in SPECIALS]
    assert first == engagement_drivers(BANK)[: len(first)]


def test_each_driver_rotates_through_all_its_questions(sixty: list[list[str]]) -> None:
    asked: dict[str, list[str]] = defaultdict(list)
    for pulse in sixty:
        for key in pulse:
            asked[BANK[key].driver].append(key)
    for driver, questions in BANK.by_driver().items():
        keys = [q.key for q in questions]
        sequence = asked[driver]
        assert sequence[: len(keys)] == keys, driver  # never-asked first, bank order
        for start in range(0, len(sequence) - len(keys) + 1):
            window = sequence[start : start + len(keys)]
            assert sorted(window) == sorted(keys), (driver, start)


def test_enps_comes_exactly_every_fourth_pulse(sixty: list[list[str]]) -> None:
    with_enps = [i for i, pulse in enumerate(sixty) if "enps.recommend" in pulse]
    assert with_enps == list(range(0, 60, 4))


def test_specials_leave_at_least_two_engagement_questions(sixty: list[list[str]]) -> None:
    for pulse in sixty:
        assert len(pulse) == 4 == len(set(pulse))
        engagement = [d for d in drivers_of(BANK, pulse) if d not in SPECIALS]
        assert len(engagement) >= 2


def test_perception_and_obstacles_alternate_without_starving(sixty: list[list[str]]) -> None:
    # pulse 0: eNPS + perception fill the 2 special slots, so obstacles waits a pulse
    assert sixty[0][2:] == ["perception.customers_felt", "enps.recommend"]
    assert sixty[1][-1] == "obstacles.this_week"
    perception = [i for i, p in enumerate(sixty) if "perception.customers_felt" in p]
    obstacles = [i for i, p in enumerate(sixty) if "obstacles" in drivers_of(BANK, p)]
    assert perception == list(range(0, 60, 2))
    assert obstacles == list(range(1, 60, 2))
    prompts = [k for p in sixty for k in p if k.startswith("obstacles.")]
    assert prompts[:6] == [q.key for q in BANK.by_driver()["obstacles"]] * 2


def test_output_order_is_engagement_by_driver_then_perception_enps_obstacles(
    sixty: list[list[str]],
) -> None:
    rank = {d: i for i, d in enumerate(BANK.drivers)}
    special_rank = {"perception": 0, "enps": 1, "obstacles": 2}
    for pulse in sixty:
        drivers = drivers_of(BANK, pulse)
        engagement = [d for d in drivers if d not in SPECIALS]
        specials = [d for d in drivers if d in SPECIALS]
        assert drivers == engagement + specials
        assert engagement == sorted(engagement, key=rank.__getitem__)
        assert specials == sorted(specials, key=special_rank.__getitem__)


# ---------------------------------------------------------------- sizes, determinism, inputs


@pytest.mark.parametrize("size", [3, 4, 5])
def test_sizes(size: int) -> None:
    history = simulate(BANK, 30, size=size)
    assert all(len(pulse) == size == len(set(pulse)) for pulse in history)
    assert_round_robin(BANK, history)
    assert [i for i, p in enumerate(history) if "enps.recommend" in p] == list(range(0, 30, 4))


def test_size_three_defers_perception_behind_enps() -> None:
    history = simulate(BANK, 8, size=3)
    specials = [[k for k in p if BANK[k].driver in SPECIALS] for p in history]
    assert specials[:5] == [
        ["enps.recommend"],
        ["perception.customers_felt"],
        ["obstacles.this_week"],
        ["perception.customers_felt"],
        ["enps.recommend"],
    ]


@pytest.mark.parametrize("size", [2, 6])
def test_size_out_of_range_is_refused(size: int) -> None:
    with pytest.raises(ValueError, match="between 3 and 5"):
        choose_questions(BANK, history=[], size=size)


def test_negative_interval_is_refused_and_zero_turns_a_special_off() -> None:
    with pytest.raises(ValueError, match="enps"):
        choose_questions(BANK, history=[], enps_every=-1)
    history = simulate(BANK, 12, enps_every=0, perception_every=0, obstacles_every=0)
    assert all(not SPECIALS & set(drivers_of(BANK, pulse)) for pulse in history)
    assert_round_robin(BANK, history)


def test_same_history_gives_the_same_pulse_after_a_restart(sixty: list[list[str]]) -> None:
    assert simulate(load_bank(), 60) == sixty
    for cut in (0, 7, 23, 59):
        history = [list(pulse) for pulse in sixty[:cut]]
        assert choose_questions(BANK, history=history) == sixty[cut]


def test_unknown_keys_in_history_are_ignored(sixty: list[list[str]]) -> None:
    noisy = [[*pulse, "gone.question"] for pulse in sixty[:9]]
    assert choose_questions(BANK, history=noisy) == sixty[9]


# ---------------------------------------------------------------- changed banks


def test_a_fully_retired_driver_is_skipped() -> None:
    retired = [q.key for q in BANK.by_driver()["recognition"]] + ["enps.recommend"]
    bank = BANK.with_overrides([], retired)
    history = simulate(bank, 40)
    assert all("recognition" not in drivers_of(bank, pulse) for pulse in history)
    assert all("enps.recommend" not in pulse for pulse in history)
    assert all(len(pulse) == 4 for pulse in history)
    assert_round_robin(bank, history)


def test_retiring_a_driver_mid_cycle_keeps_the_cycle_going() -> None:
    history = simulate(BANK, 3)
    bank = BANK.with_overrides([], [q.key for q in BANK.by_driver()["voice"]])
    asked = {d for p in history for d in drivers_of(BANK, p)}
    missing = [d for d in engagement_drivers(bank) if d not in asked]
    nxt = choose_questions(bank, history=history, size=5)
    assert missing and set(missing) <= set(drivers_of(bank, nxt))


def test_a_driver_returning_after_retirement_is_asked_once_not_repeatedly() -> None:
    without = BANK.with_overrides([], [q.key for q in BANK.by_driver()["voice"]])
    history = simulate(without, 20)
    for _ in range(20):
        history.append(choose_questions(BANK, history=history))
    voice_pulses = [i for i, p in enumerate(history) if "voice" in drivers_of(BANK, p)]
    assert voice_pulses[0] >= 20
    assert len(voice_pulses) <= 5  # once per cycle of ~4 pulses, not every pulse


def test_tiny_bank_asks_a_driver_twice_only_when_it_must() -> None:
    bank = parse_bank(
        """
        [scales]
        agreement = ["1", "2", "3", "4", "5"]
        [drivers.a]
        label = "A"
        engagement = true
        [drivers.b]
        label = "B"
        engagement = true
        [[questions]]
        key = "a.one"
        driver = "a"
        text = "A1."
        [[questions]]
        key = "a.two"
        driver = "a"
        text = "A2."
        [[questions]]
        key = "a.three"
        driver = "a"
        text = "A3."
        [[questions]]
        key = "b.one"
        driver = "b"
        text = "B1."
        """
    )
    history = simulate(bank, 6, size=5)
    assert history[0] == ["a.one", "a.two", "a.three", "b.one"]  # only 4 questions exist
    assert simulate(bank, 4, size=3)[:2] == [
        ["a.one", "a.two", "b.one"],
        ["a.one", "a.three", "b.one"],
    ]


# ---------------------------------------------------------------- property test

BUILTIN_KEYS = [q.key for q in BANK.questions]


@settings(max_examples=60, deadline=None)
@given(
    size=st.integers(3, 5),
    enps_every=st.integers(0, 6),
    perception_every=st.integers(0, 4),
    obstacles_every=st.integers(0, 4),
    retired=st.lists(st.sampled_from(BUILTIN_KEYS), unique=True, max_size=45),
    pulses=st.integers(1, 24),
)
def test_rotation_invariants(
    size: int,
    enps_every: int,
    perception_every: int,
    obstacles_every: int,
    retired: list[str],
    pulses: int,
) -> None:
    bank = BANK.with_overrides([], retired)
    every = {"enps": enps_every, "perception": perception_every, "obstacles": obstacles_every}
    options = {"size": size, "enps_every": enps_every}
    options |= {"perception_every": perception_every, "obstacles_every": obstacles_every}
    history = simulate(bank, pulses, **options)
    by_driver = bank.by_driver()
    eng_drivers = engagement_drivers(bank)
    eng_questions = sum(len(by_driver[d]) for d in eng_drivers)

    for index, pulse in enumerate(history):
        assert choose_questions(bank, history=history[:index], **options) == pulse
        assert len(pulse) == len(set(pulse)) <= size
        assert all(bank.is_active(key) for key in pulse)
        drivers = drivers_of(bank, pulse)
        specials = [d for d in drivers if d in SPECIALS]
        engagement = [d for d in drivers if d not in SPECIALS]
        assert len(specials) <= size - 2
        assert len(engagement) == min(size - len(specials), eng_questions)
        # a driver repeats within a pulse only once every driver is in it
        assert len(set(engagement)) == min(len(engagement), len(eng_drivers))

        for driver in SPECIAL_PRIORITY:
            if not by_driver[driver] or not every[driver]:
                assert driver not in specials
                continue
            recent = history[max(0, index - every[driver] + 1) : index]
            due = not any(driver in drivers_of(bank, p) for p in recent)
            if driver in specials:
                assert due, (driver, index)
            elif due:  # deferred: only because higher-priority specials filled the slots
                assert len(specials) == size - 2
                assert all(
                    SPECIAL_PRIORITY.index(d) < SPECIAL_PRIORITY.index(driver) for d in specials
                )

    if by_driver["enps"] and enps_every:
        with_enps = [i for i, p in enumerate(history) if "enps" in drivers_of(bank, p)]
        assert with_enps == list(range(0, pulses, enps_every))
    if len(eng_drivers) >= size:
        assert_round_robin(bank, history)
