"""Which questions a team's next pulse asks, derived only from what it asked before.

The state of the rotation is the team's pulse history itself, so choosing is a pure
function: deterministic, restart-proof, and the same on every worker process.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from insights.questions import QuestionBank, QuestionSpec

ENPS = "enps"
PERCEPTION = "perception"
OBSTACLES = "obstacles"
SPECIAL_PRIORITY = (ENPS, PERCEPTION, OBSTACLES)
"""Special (non-engagement) drivers, in the order they win a scarce slot."""
SPECIAL_OUTPUT_ORDER = (PERCEPTION, ENPS, OBSTACLES)
MIN_ENGAGEMENT = 2

_NEVER = -1


def choose_questions(
    bank: QuestionBank,
    *,
    history: Sequence[Sequence[str]],
    size: int = 4,
    enps_every: int = 4,
    perception_every: int = 2,
    obstacles_every: int = 2,
) -> list[str]:
    """Return the question keys of a team's next pulse, given its past pulses (oldest first).

    Rules:
    - 3 <= size <= 5, else ValueError. Exactly `size` distinct active keys, fewer only
      when the bank has too few active questions.
    - Engagement drivers (those with an active question) go round-robin: none is asked
      again until every one has been asked once in the current cycle. The cycle is
      replayed from `history`. Within a cycle the least recently asked driver goes
      first, and within a driver its least recently asked question. Ties go by bank
      order. A driver is asked twice in one pulse only when there are more engagement
      slots than drivers with questions left.
    - eNPS is due when no eNPS question was asked in the last `enps_every - 1` pulses,
      so it comes every `enps_every`-th pulse, starting with the first. The same rule
      applies to perception (`perception_every`) and to one obstacles prompt
      (`obstacles_every`), each rotating through its questions. An interval of 0 turns
      that question off.
    - Special questions never take more than `size - 2` slots, so every pulse has at
      least 2 engagement questions. When more are due, eNPS wins, then perception, then
      obstacles. The rest stay due, so they move to the next pulse.
    - Order of the result: engagement questions (by driver, then question, in bank
      order), then perception, eNPS, obstacles.
    Keys in `history` that the bank does not know are ignored. Retired keys still
    count for their driver.
    """
    if not 3 <= size <= 5:
        raise ValueError(f"pulse size must be between 3 and 5, got {size}")
    intervals = {ENPS: enps_every, PERCEPTION: perception_every, OBSTACLES: obstacles_every}
    for driver, every in intervals.items():
        if every < 0:
            raise ValueError(f"{driver} interval must be 0 (off) or more, got {every}")

    by_driver = bank.by_driver()
    last_asked = _last_asked(history)
    specials = _due_specials(
        bank, history, by_driver, last_asked, intervals, slots=size - MIN_ENGAGEMENT
    )
    engagement = _engagement_questions(
        bank, history, by_driver, last_asked, count=size - len(specials)
    )

    position = {question.key: index for index, question in enumerate(bank.questions)}
    driver_rank = {key: index for index, key in enumerate(bank.drivers)}
    engagement.sort(key=lambda q: (driver_rank[q.driver], position[q.key]))
    specials.sort(key=lambda q: SPECIAL_OUTPUT_ORDER.index(q.driver))
    return [question.key for question in (*engagement, *specials)]


def _last_asked(history: Sequence[Sequence[str]]) -> dict[str, int]:
    """Index of the latest pulse that asked each key."""
    return {key: index for index, pulse in enumerate(history) for key in pulse}


def _least_recent(questions: Sequence[QuestionSpec], last_asked: dict[str, int]) -> QuestionSpec:
    """The question asked longest ago (never asked first); `min` keeps bank order on ties."""
    return min(questions, key=lambda q: last_asked.get(q.key, _NEVER))


def _due_specials(
    bank: QuestionBank,
    history: Sequence[Sequence[str]],
    by_driver: dict[str, list[QuestionSpec]],
    last_asked: dict[str, int],
    intervals: dict[str, int],
    *,
    slots: int,
) -> list[QuestionSpec]:
    chosen: list[QuestionSpec] = []
    for driver in SPECIAL_PRIORITY:
        every = intervals[driver]
        candidates = by_driver.get(driver, [])
        if len(chosen) == slots or every == 0 or not candidates:
            continue
        recent = history[max(0, len(history) - (every - 1)) :]
        if any(_driver_of(bank, key) == driver for pulse in recent for key in pulse):
            continue
        chosen.append(_least_recent(candidates, last_asked))
    return chosen


def _engagement_questions(
    bank: QuestionBank,
    history: Sequence[Sequence[str]],
    by_driver: dict[str, list[QuestionSpec]],
    last_asked: dict[str, int],
    *,
    count: int,
) -> list[QuestionSpec]:
    """Pick `count` engagement questions, continuing the round-robin cycle of `history`."""
    drivers = [key for key, driver in bank.drivers.items() if driver.engagement and by_driver[key]]
    covered = _covered_in_current_cycle(bank, history, drivers)
    driver_last = {driver: _NEVER for driver in drivers}
    for key, index in last_asked.items():
        driver = _driver_of(bank, key)
        if driver in driver_last:
            driver_last[driver] = max(driver_last[driver], index)

    now = len(history)
    recency = dict(last_asked)
    picked: list[QuestionSpec] = []
    while len(picked) < count:
        left = {d: [q for q in by_driver[d] if q not in picked] for d in drivers}
        available = [d for d in drivers if left[d]]
        if not available:
            break
        fresh = [d for d in available if d not in covered]
        if not fresh:  # the cycle is done, or its remaining drivers have nothing left
            covered = set()
            fresh = available
        driver = min(fresh, key=lambda d: driver_last[d])
        question = _least_recent(left[driver], recency)
        picked.append(question)
        covered.add(driver)
        driver_last[driver] = recency[question.key] = now
        if covered.issuperset(drivers):
            covered = set()
    return picked


def _covered_in_current_cycle(
    bank: QuestionBank, history: Sequence[Sequence[str]], drivers: Sequence[str]
) -> set[str]:
    """Replay the history: the engagement drivers already asked in the unfinished cycle.

    Mirrors the picking in `_engagement_questions`: within a pulse, drivers that are new
    to the cycle come first; when the cycle completes a new one starts, and a driver
    asked again before completion (a changed bank) starts a new cycle too.
    """
    everyone = set(drivers)
    covered: set[str] = set()
    for pulse in history:
        asked = (_driver_of(bank, key) for key in pulse)
        pending = Counter(driver for driver in asked if driver in everyone)
        while pending:
            fresh = [d for d in pending if d not in covered]
            if not fresh:
                covered = set()
                continue
            for driver in fresh:
                covered.add(driver)
                pending[driver] -= 1
                if not pending[driver]:
                    del pending[driver]
            if covered >= everyone:
                covered = set()
    return covered


def _driver_of(bank: QuestionBank, key: str) -> str | None:
    question = bank.get(key)
    return question.driver if question else None
