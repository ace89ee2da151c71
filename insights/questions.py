"""The pulse question bank: built-in questions from question_bank.toml plus HR's overrides.

The bank is data, validated once at load time so a typo in the TOML or in an HR custom
question fails loudly with the offending key and field, never halfway through a pulse.
Question keys are stable ids: stored answers refer to them, so they are never reused.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

KINDS = ("likert5", "nps10", "text")
BANK_FILE = "question_bank.toml"
# The bank in another language: question_bank.<lang>.toml (drivers, scales, questions by key)
TRANSLATION_FILE = re.compile(r"question_bank\.([a-z]{2,3})\.toml")
MAX_TEXT_LENGTH = 150
SCALE_POINTS = 5

_DRIVER_KEY = re.compile(r"[a-z][a-z0-9_]*")
_QUESTION_KEY = re.compile(r"([a-z][a-z0-9_]*)\.([a-z0-9][a-z0-9_]*)")
_QUESTION_FIELDS = frozenset({"key", "driver", "kind", "text", "scale", "translations"})
_TRANSLATION_FIELDS = frozenset({"text", "scale"})
_DRIVER_FIELDS = frozenset({"label", "engagement", "description"})


class QuestionBankError(ValueError):
    """The bank or an override is invalid; the message names the item and the field."""


@dataclass(frozen=True)
class Driver:
    """A dimension of the employee experience; `engagement` drivers make up the score."""

    key: str
    label: str
    engagement: bool
    description: str
    labels: Mapping[str, str] = field(default_factory=dict, compare=False)  # lang -> label

    def label_in(self, lang: str) -> str:
        """The label in ``lang``, English when the bank has none in it."""
        return self.labels.get(lang) or self.label


@dataclass(frozen=True)
class QuestionSpec:
    """One question. `scale` holds the 5 labels (lowest first) of a likert5, else ()."""

    key: str
    driver: str
    kind: str
    text: str
    scale: tuple[str, ...] = ()
    builtin: bool = True
    # lang -> (text, scale labels: () for the English scale); a language missing reads English
    translations: Mapping[str, tuple[str, tuple[str, ...]]] = field(
        default_factory=dict, compare=False
    )

    def text_in(self, lang: str) -> str:
        return self.translations[lang][0] if lang in self.translations else self.text

    def options(self) -> list[tuple[int, str]]:
        """The answer buttons as (stored value, label): 1..5, 0..10, or none for text."""
        if self.kind == "likert5":
            return list(enumerate(self.scale, start=1))
        if self.kind == "nps10":
            return [(value, str(value)) for value in range(11)]
        return []


class QuestionBank:
    """Drivers and questions in bank order; retired questions stay resolvable by `get`.

    Retired questions are kept (answers already stored still need their text and
    driver) but are left out of `active()` and `by_driver()`, so no pulse asks them.
    Build one with `load_bank`, `parse_bank` or `with_overrides`, which validate.
    """

    def __init__(
        self,
        drivers: Mapping[str, Driver],
        questions: Iterable[QuestionSpec],
        *,
        default_scale: tuple[str, ...],
        retired: Iterable[str] = (),
        scales: Mapping[str, tuple[str, ...]] | None = None,
    ) -> None:
        self.drivers: Mapping[str, Driver] = MappingProxyType(dict(drivers))
        self.questions: tuple[QuestionSpec, ...] = tuple(questions)
        self.default_scale = default_scale
        self.scales: Mapping[str, tuple[str, ...]] = MappingProxyType(dict(scales or {}))
        self.retired: frozenset[str] = frozenset(retired)
        self._by_key = {question.key: question for question in self.questions}

    def __repr__(self) -> str:
        return (
            f"QuestionBank({len(self.drivers)} drivers, {len(self.questions)} questions, "
            f"{len(self.retired)} retired)"
        )

    def __getitem__(self, key: str) -> QuestionSpec:
        """The question with this key, active or retired; KeyError if never in the bank."""
        return self._by_key[key]

    def __contains__(self, key: object) -> bool:
        return key in self._by_key

    def get(self, key: str) -> QuestionSpec | None:
        """The question with this key, active or retired; None if the bank never had it."""
        return self._by_key.get(key)

    def is_active(self, key: str) -> bool:
        """True when the key is in the bank and not retired."""
        return key in self._by_key and key not in self.retired

    def active(self) -> list[QuestionSpec]:
        """Questions a pulse may ask, in bank order."""
        return [question for question in self.questions if question.key not in self.retired]

    def by_driver(self) -> dict[str, list[QuestionSpec]]:
        """Active questions per driver, every driver present (empty when all are retired)."""
        grouped: dict[str, list[QuestionSpec]] = {key: [] for key in self.drivers}
        for question in self.active():
            grouped[question.driver].append(question)
        return grouped

    def with_overrides(self, custom: list[dict[str, Any]], retired: list[str]) -> QuestionBank:
        """The built-in bank plus HR's custom questions, minus the retired keys.

        Overrides replace any applied earlier (they are HR's whole current list), so
        calling this on an overridden bank does not stack. Custom keys may not reuse a
        built-in key, retired or not. Retiring eNPS or a whole driver is allowed.
        """
        builtins = [question for question in self.questions if question.builtin]
        builtin_keys = frozenset(question.key for question in builtins)
        known = set(builtin_keys)
        added: list[QuestionSpec] = []
        for number, raw in enumerate(custom, start=1):
            where = _custom_where(number, raw)
            question = _parse_question(
                raw,
                where=where,
                drivers=self.drivers,
                default_scale=self.default_scale,
                builtin=False,
                scales=self.scales,
            )
            if question.key in known:
                owner = "a built-in question" if question.key in builtin_keys else "taken"
                raise QuestionBankError(f'{where}: key "{question.key}" is already {owner}')
            known.add(question.key)
            added.append(question)
        if isinstance(retired, str):
            raise QuestionBankError("retired questions must be a list of keys, not one string")
        for key in retired:
            if key not in known:
                raise QuestionBankError(f'retired question "{key}" is not in the bank')
        return QuestionBank(
            self.drivers,
            [*builtins, *added],
            default_scale=self.default_scale,
            retired=retired,
            scales=self.scales,
        )

    def missing_translations(self, languages: Iterable[str]) -> list[str]:
        """``"<key>: fr, de"`` for each active question without a text in some of
        ``languages`` (English excepted): what reads in English to those readers."""
        missing = []
        for question in self.active():
            absent = [
                lang for lang in languages if lang != "en" and lang not in question.translations
            ]
            if absent:
                missing.append(f"{question.key}: {', '.join(absent)}")
        return missing

    def translated(self, lang: str, text: str, *, source: str) -> QuestionBank:
        """This bank with the texts of question_bank.<lang>.toml (``text``) added."""
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise QuestionBankError(f"{source} is not valid TOML: {exc}") from exc
        scales = dict(self.scales)
        raw_scales = data.get("scales") or {}
        if "agreement" in raw_scales:
            scales[lang] = _parse_scale(raw_scales["agreement"], where=f"{source}: agreement")
        drivers = dict(self.drivers)
        for key, table in (data.get("drivers") or {}).items():
            label = table.get("label") if isinstance(table, dict) else None
            if key not in drivers or not isinstance(label, str) or not label.strip():
                raise QuestionBankError(f'{source}: driver "{key}" needs a known key and a label')
            driver = drivers[key]
            drivers[key] = replace(driver, labels={**driver.labels, lang: label.strip()})
        texts = data.get("questions") or {}
        own_scales = data.get("question_scales") or {}
        for key in [*texts, *own_scales]:
            if key not in self:
                raise QuestionBankError(f'{source}: question "{key}" is not in the bank')
        questions = []
        for question in self.questions:
            if question.key not in texts:
                questions.append(question)
                continue
            where = f'{source}: question "{question.key}"'
            text = _parse_text(texts[question.key], where=where)
            scale: tuple[str, ...] = ()
            if question.key in own_scales:
                scale = _parse_scale(own_scales[question.key], where=where)
            elif question.scale == self.default_scale:
                scale = scales.get(lang, ())
            entry = {**question.translations, lang: (text, scale)}
            questions.append(replace(question, translations=entry))
        return QuestionBank(
            drivers,
            questions,
            default_scale=self.default_scale,
            retired=self.retired,
            scales=scales,
        )


def parse_bank(text: str) -> QuestionBank:
    """Parse and validate a bank in the question_bank.toml format."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise QuestionBankError(f"question bank is not valid TOML: {exc}") from exc
    default_scale = _parse_default_scale(data.get("scales"))
    drivers = _parse_drivers(data.get("drivers"))
    raw_questions = data.get("questions")
    if not isinstance(raw_questions, list) or not raw_questions:
        raise QuestionBankError("question bank has no [[questions]]")
    questions: list[QuestionSpec] = []
    seen: set[str] = set()
    for number, raw in enumerate(raw_questions, start=1):
        key = raw.get("key") if isinstance(raw, dict) else None
        where = f'question "{key}"' if isinstance(key, str) else f"question {number}"
        question = _parse_question(
            raw, where=where, drivers=drivers, default_scale=default_scale, builtin=True
        )
        if question.key in seen:
            raise QuestionBankError(f"{where}: key is used by more than one question")
        seen.add(question.key)
        questions.append(question)
    return QuestionBank(drivers, questions, default_scale=default_scale)


def engagement_drivers(bank: QuestionBank) -> tuple[str, ...]:
    """The drivers the bank flags ``engagement = true``, in bank order: what engagement averages.

    The one source of that set; scores, flags, charts and exports take it from here, so a new
    engagement driver in question_bank.toml is scored without touching code."""
    return tuple(key for key, driver in bank.drivers.items() if driver.engagement)


@cache
def load_bank() -> QuestionBank:
    """The shipped bank (read once; the result is immutable, so it is shared)."""
    try:
        source = resources.files(__package__).joinpath(BANK_FILE)
    except NotADirectoryError:  # an editable install made before __init__.py existed
        source = Path(__file__).with_name(BANK_FILE)
    bank = parse_bank(source.read_text("utf-8"))
    for entry in sorted(Path(str(source)).parent.iterdir()):
        match = TRANSLATION_FILE.fullmatch(entry.name)
        if match:
            bank = bank.translated(match.group(1), entry.read_text("utf-8"), source=entry.name)
    return bank


def _custom_where(number: int, raw: object) -> str:
    key = raw.get("key") if isinstance(raw, dict) else None
    if isinstance(key, str):
        return f'custom question {number} ("{key}")'
    return f"custom question {number}"


def _parse_default_scale(raw: object) -> tuple[str, ...]:
    if not isinstance(raw, dict) or "agreement" not in raw:
        raise QuestionBankError('question bank needs [scales] agreement = ["...", ...]')
    return _parse_scale(raw["agreement"], where="scale agreement")


def _parse_scale(raw: object, *, where: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(isinstance(label, str) for label in raw):
        raise QuestionBankError(f"{where}: scale must be a list of {SCALE_POINTS} labels")
    labels = tuple(label.strip() for label in raw)
    if len(labels) != SCALE_POINTS:
        raise QuestionBankError(
            f"{where}: scale must have exactly {SCALE_POINTS} labels, got {len(labels)}"
        )
    if not all(labels):
        raise QuestionBankError(f"{where}: scale has an empty label")
    return labels


def _parse_drivers(raw: object) -> dict[str, Driver]:
    if not isinstance(raw, dict) or not raw:
        raise QuestionBankError("question bank has no [drivers.*] tables")
    drivers: dict[str, Driver] = {}
    for key, table in raw.items():
        where = f'driver "{key}"'
        if not _DRIVER_KEY.fullmatch(key):
            raise QuestionBankError(f"{where}: key must be lowercase letters, digits, _")
        if not isinstance(table, dict):
            raise QuestionBankError(f"{where}: must be a table")
        unknown = sorted(set(table) - _DRIVER_FIELDS)
        if unknown:
            raise QuestionBankError(f'{where}: unknown field "{unknown[0]}"')
        label = table.get("label")
        if not isinstance(label, str) or not label.strip():
            raise QuestionBankError(f"{where}: label must be a non-empty string")
        engagement = table.get("engagement")
        if not isinstance(engagement, bool):
            raise QuestionBankError(f"{where}: engagement must be true or false")
        description = table.get("description", "")
        if not isinstance(description, str):
            raise QuestionBankError(f"{where}: description must be a string")
        drivers[key] = Driver(key, label.strip(), engagement, description.strip())
    return drivers


def _parse_question(
    raw: object,
    *,
    where: str,
    drivers: Mapping[str, Driver],
    default_scale: tuple[str, ...],
    builtin: bool,
    scales: Mapping[str, tuple[str, ...]] | None = None,
) -> QuestionSpec:
    """Validate one question table/dict; every error names `where` and the field."""
    if not isinstance(raw, dict):
        raise QuestionBankError(f"{where}: must be a table of key, driver, kind, text")
    unknown = sorted(set(raw) - _QUESTION_FIELDS)
    if unknown:
        raise QuestionBankError(f'{where}: unknown field "{unknown[0]}"')

    key = raw.get("key")
    if not isinstance(key, str) or not key:
        raise QuestionBankError(f"{where}: key is missing")
    match = _QUESTION_KEY.fullmatch(key)
    if match is None:
        raise QuestionBankError(
            f'{where}: key "{key}" must look like "<driver>.<slug>" (lowercase, digits, _)'
        )

    driver = raw.get("driver")
    if not isinstance(driver, str) or driver not in drivers:
        raise QuestionBankError(
            f'{where}: unknown driver "{driver}"; known drivers: {", ".join(drivers)}'
        )
    if match.group(1) != driver:
        raise QuestionBankError(f'{where}: key "{key}" must start with its driver "{driver}."')

    kind = raw.get("kind", "likert5")
    if kind not in KINDS:
        raise QuestionBankError(f'{where}: unknown kind "{kind}"; known kinds: {", ".join(KINDS)}')

    text = _parse_text(raw.get("text"), where=where)

    scale: tuple[str, ...] = ()
    if "scale" in raw:
        if kind != "likert5":
            raise QuestionBankError(f"{where}: scale is only allowed for likert5, not {kind}")
        scale = _parse_scale(raw["scale"], where=where)
    elif kind == "likert5":
        scale = default_scale

    translations: dict[str, tuple[str, tuple[str, ...]]] = {}
    raw_translations = raw.get("translations") or {}
    if not isinstance(raw_translations, dict):
        raise QuestionBankError(f"{where}: translations must be a table per language")
    for lang, entry in raw_translations.items():
        here = f"{where}: translations.{lang}"
        if not isinstance(entry, dict):
            raise QuestionBankError(f"{here}: must be a table with text (and scale)")
        unknown = sorted(set(entry) - _TRANSLATION_FIELDS)
        if unknown:
            raise QuestionBankError(f'{here}: unknown field "{unknown[0]}"')
        own: tuple[str, ...] = ()
        if entry.get("scale") is not None:
            if kind != "likert5":
                raise QuestionBankError(f"{here}: scale is only allowed for likert5, not {kind}")
            own = _parse_scale(entry["scale"], where=here)
        elif kind == "likert5" and scale == default_scale:
            own = (scales or {}).get(lang, ())
        translations[lang] = (_parse_text(entry.get("text"), where=here), own)
    return QuestionSpec(key, driver, kind, text, scale, builtin, translations)


def _parse_text(text: object, *, where: str) -> str:
    if not isinstance(text, str) or not text.strip():
        raise QuestionBankError(f"{where}: text is missing or empty")
    text = " ".join(text.split())
    if len(text) > MAX_TEXT_LENGTH:
        raise QuestionBankError(
            f"{where}: text is {len(text)} characters; the limit is {MAX_TEXT_LENGTH}"
        )
    return text
