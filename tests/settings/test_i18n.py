"""Catalogs and the question bank: every message in every language, placeholders intact,
plural forms and formats right, and a missing translation reading English."""

from __future__ import annotations

import datetime as dt
import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from insights.questions import load_bank
from settings import i18n
from settings.config import ConfigError, parse_config

REPO = Path(__file__).resolve().parents[2]
SOURCES = ("bot", "jobs", "settings", "cli", "cx", "figures")
OTHERS = [lang for lang in i18n.LANGUAGES if lang != i18n.DEFAULT]
KEYWORDS = {"tr": None, "ngettext": (1, 2), "N_": None}  # as `make messages` extracts


def _source_messages() -> set[str | tuple[str, str]]:
    found: set[str | tuple[str, str]] = set()
    for package in SOURCES:
        for _, _, message, _, _ in extract_from_dir(REPO / package, keywords=KEYWORDS):
            found.add(tuple(message) if isinstance(message, tuple) else message)  # type: ignore[arg-type]
    return found


def _names(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


@pytest.fixture(scope="module")
def messages() -> set[str | tuple[str, str]]:
    return _source_messages()


@pytest.mark.parametrize("lang", OTHERS)
def test_every_catalog_has_every_message_with_its_placeholders(
    lang: str, messages: set[str | tuple[str, str]]
) -> None:
    with i18n.catalog_path(lang).open("rb") as po:
        catalog = read_po(po, locale=lang)
    assert len(messages) > 100
    missing, bad = [], []
    for message in messages:
        entry = catalog.get(message)
        if entry is None or entry.fuzzy or not entry.string:
            missing.append(message)
            continue
        if isinstance(message, tuple):
            forms = list(entry.string)
            if len(forms) != catalog.num_plurals or not all(forms):
                missing.append(message)
            # a form may leave out the count, as English's singular does, but never name
            # what the code does not pass, nor drop what the singular says
            allowed, needed = _names(message[1]), _names(message[0]) - {"n"}
            bad += [(message, f) for f in forms if not needed <= _names(f) <= allowed]
        elif _names(entry.string) != _names(message):
            bad.append((message, entry.string))
    assert missing == [], f"{lang}: not translated: {missing[:5]}"
    assert bad == [], f"{lang}: placeholders differ: {bad[:3]}"
    unused = [m.id for m in catalog if m.id and m.id not in messages]
    assert unused == [], f"{lang}: messages the code no longer uses: {unused[:5]}"


@pytest.mark.parametrize(
    ("locale", "counts"),
    [
        ("en", {0: "0 people answered.", 1: "1 person answered.", 2: "2 people answered."}),
        ("fr-FR", {0: "0 personne a répondu.", 1: "1 personne a répondu.", 2: "2 personnes"}),
        ("de-DE", {1: "1 Person hat geantwortet.", 5: "5 Personen haben geantwortet."}),
        ("es-MX", {1: "Ha respondido 1 persona.", 7: "Han respondido 7 personas."}),
    ],
)
def test_plural_forms_follow_each_language(locale: str, counts: dict[int, str]) -> None:
    with i18n.using(locale):
        for n, expected in counts.items():
            said = i18n.ngettext("{n} person answered.", "{n} people answered.", n).format(n=n)
            assert said.startswith(expected)


def test_locales_read_as_a_language_and_formats_follow_the_locale() -> None:
    assert [i18n.language(x) for x in ("fr-FR", "de_CH", "es-419", "pt-BR", "", None)] == [
        "fr",
        "de",
        "es",
        "en",
        "en",
        "en",
    ]
    assert i18n.normalise("fr-FR") == "fr-FR" and i18n.normalise("not a locale") is None
    when = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)
    labels = {}
    for locale in ("en", "fr-FR", "de-DE", "es-ES"):
        with i18n.using(locale):
            labels[locale] = (i18n.when_label(when, "Europe/Paris"), i18n.number(1234.5, digits=1))
    assert labels["en"] == ("Thu 26 Nov, 10:00 CET", "1,234.5")  # as before translations
    assert labels["fr-FR"][0].startswith("jeu. 26 nov.") and labels["fr-FR"][1] == "1\u202f234,5"
    assert labels["de-DE"] == ("Do., 26. Nov., 10:00 CET", "1.234,5")
    assert labels["es-ES"][0].startswith("jue, 26 nov")


def test_a_reader_function_is_asked_once_and_only_when_a_text_is_needed() -> None:
    asked: list[int] = []

    def find() -> str:
        asked.append(1)
        return "de-DE"

    with i18n.using(find):
        assert asked == []
        assert (i18n.tr("Save"), i18n.tr("Cancel")) == ("Speichern", "Abbrechen")
    assert asked == [1]
    assert i18n.tr("Save") == "Save"  # outside: English


@pytest.mark.parametrize("lang", OTHERS)
def test_the_whole_question_bank_is_in_every_language(lang: str) -> None:
    bank = load_bank()
    assert bank.missing_translations([lang]) == []
    for question in bank.questions:
        text, scale = question.translations[lang]
        assert text != question.text, f"{question.key} is not translated into {lang}"
        if question.kind == "likert5":
            assert len(scale) == 5 and scale != question.scale, question.key
    for driver in bank.drivers.values():
        assert driver.label_in(lang) and driver.labels.get(lang), driver.key


def test_custom_questions_carry_texts_per_language_and_the_rest_read_english() -> None:
    custom = {
        "key": "tools.new_crm",
        "driver": "tools",
        "text": "The new CRM helps me serve customers.",
        "translations": {"fr": {"text": "Le nouveau CRM m'aide à servir les clients."}},
    }
    config = parse_config({"questions": {"custom": [custom]}})
    bank = load_bank().with_overrides(
        [q.model_dump(exclude_none=True) for q in config.questions.custom], []
    )
    question = bank["tools.new_crm"]
    assert question.text_in("fr") == "Le nouveau CRM m'aide à servir les clients."
    assert question.translations["fr"][1][0] == "Pas du tout d'accord"  # the bank's scale
    assert question.text_in("de") == "The new CRM helps me serve customers."
    assert bank.missing_translations(OTHERS) == ["tools.new_crm: de, es"]


@pytest.mark.parametrize(
    ("data", "says"),
    [
        ({"hr": {"locale": "it"}}, "'hr.locale': value error, expected one of the languages"),
        (
            {
                "questions": {
                    "custom": [
                        {
                            "key": "tools.crm",
                            "driver": "tools",
                            "text": "The CRM helps me.",
                            "translations": {"xx": {"text": "Le CRM m'aide."}},
                        }
                    ]
                }
            },
            "'questions.custom[0].translations': value error, expected one of the languages",
        ),
    ],
)
def test_a_language_without_a_catalog_is_refused_by_name(data: dict, says: str) -> None:
    with pytest.raises(ConfigError, match=says.replace("[", r"\[").replace("]", r"\]")):
        parse_config(data)


def test_a_stored_question_reads_in_the_language_it_has_and_english_otherwise() -> None:
    from jobs.pulses import follow_up_texts
    from storage.models import Question
    from storage.questions import localized

    texts = follow_up_texts()
    assert set(texts) == set(OTHERS) and all("{text}" in said for said in texts.values())
    row = Question(
        key="commitment.1",
        driver="d",
        kind="likert5",
        text="“More coaching” — this commitment has made a real difference.",
        scale="A|B|C|D|E",
        translations='{"fr": {"text": "« Plus de coaching »", "scale": []}}',
    )
    assert localized(row, "fr") == ("« Plus de coaching »", ("A", "B", "C", "D", "E"))
    assert localized(row, "de")[0].startswith("“More coaching”")


def test_catalogs_and_question_bank_texts_ship_in_the_package() -> None:
    """Read at run time (no build step), so they must be package data of the wheel."""
    import fnmatch
    import tomllib

    data = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    shipped = data["tool"]["setuptools"]["package-data"]
    for lang in OTHERS:
        catalog = i18n.catalog_path(lang).relative_to(REPO / "settings").as_posix()
        assert any(fnmatch.fnmatch(catalog, p) for p in shipped["settings"]), catalog
        bank = f"question_bank.{lang}.toml"
        assert (REPO / "insights" / bank).exists()
        assert any(fnmatch.fnmatch(bank, p) for p in shipped["insights"]), bank
