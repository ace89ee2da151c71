"""Every text a person reads, in their language: gettext catalogs, plural forms and formats.

English is the source language: a message's English text is its id (``tr("...")`` in the
code: Qt's name for gettext, since the project keeps ``_`` names module-private), so English
needs no catalog and a message missing from a catalog reads in English. The other languages
are one gettext catalog each, ``settings/locales/<lang>/LC_MESSAGES/pulse.po``, read with
Babel when first needed (no build step: a fresh ``pip install -e .`` has everything).
Placeholders are ``str.format`` names (``{team}``), the same in every language
(tests/settings/test_i18n.py checks both).

Whose language: the caller says whose reader it is with ``using(locale)`` (a Slack locale
such as ``fr-FR``, or a function that finds it when first needed), and the renderers below
it call ``tr``; the locale follows into Bolt's listener threads (settings.logs.ContextExecutor
copies the context). Outside any ``using``, texts are English.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from babel.dates import format_skeleton
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent, get_decimal_symbol
from babel.support import NullTranslations, Translations

DOMAIN = "pulse"
DEFAULT = "en"
# Languages with a catalog and question bank texts; a new one is added here (NOTES-i18n.md).
LANGUAGES: dict[str, str] = {
    "en": "English",
    "fr": "Français",
    "de": "Deutsch",
    "es": "Español",
}

Reader = str | Callable[[], str | None] | None
_reader: ContextVar[Reader] = ContextVar("pulse_reader_locale", default=None)


def language(locale: str | None) -> str:
    """The catalog language for a Slack locale: ``fr-FR`` -> ``fr``; English when unknown."""
    if not locale:
        return DEFAULT
    lang = locale.replace("_", "-").split("-")[0].lower()
    return lang if lang in LANGUAGES else DEFAULT


def normalise(locale: str | None) -> str | None:
    """A Slack locale as stored (``fr-FR``), or None when it is not a locale at all."""
    if not locale or len(locale) > 16:
        return None
    try:
        parsed = Locale.parse(locale.replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        return None
    return f"{parsed.language}-{parsed.territory}" if parsed.territory else parsed.language


@contextmanager
def using(locale: Reader) -> Iterator[None]:
    """Texts and formats inside are for a reader of ``locale`` (a function is asked once,
    when a text is first needed, so a listener acks before looking the locale up)."""
    if callable(locale):
        locale = _Once(locale)
    token = _reader.set(locale)
    try:
        yield
    finally:
        _reader.reset(token)


def set_reader(locale: Reader) -> None:
    """Like ``using``, for the rest of the current context: a Bolt middleware sets the
    sender's locale this way, since Bolt runs the listener after the middleware returns.
    Every request sets it again (None: English), so none reads another's language."""
    _reader.set(_Once(locale) if callable(locale) else locale)


class _Once:
    def __init__(self, find: Callable[[], str | None]) -> None:
        self._find: Callable[[], str | None] | None = find
        self._found: str | None = None

    def __call__(self) -> str | None:
        if self._find is not None:
            self._found, self._find = self._find(), None
        return self._found


def current() -> str:
    """The reader's locale (``fr-FR``, ``de``, ...), ``en`` outside any ``using``."""
    reader = _reader.get()
    if callable(reader):
        reader = reader()
    return reader or DEFAULT


def current_language() -> str:
    return language(current())


def tr(message: str) -> str:
    """``message`` (its English text) in the reader's language."""
    return translations(current_language()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of a message for ``n`` in the reader's language (its own plural rules)."""
    return translations(current_language()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Marks a constant for the catalogs; it is translated where it is shown, with ``tr``."""
    return message


def catalog_path(lang: str) -> Path:
    root = resources.files(__package__).joinpath("locales", lang, "LC_MESSAGES")
    return Path(str(root.joinpath(f"{DOMAIN}.po")))


@cache
def translations(lang: str) -> NullTranslations:
    """The compiled catalog of ``lang`` (read from its .po once per process)."""
    if lang == DEFAULT or lang not in LANGUAGES:
        return NullTranslations()
    with catalog_path(lang).open("rb") as po:
        catalog = read_po(po, locale=lang, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def babel_locale() -> Locale:
    """The reader's locale for number and date formats (``fr-CA`` formats as in Canada)."""
    lang = current_language()
    try:
        return Locale.parse(current().replace("-", "_")) if lang != DEFAULT else Locale("en")
    except (UnknownLocaleError, ValueError):
        return Locale.parse(lang)


def number(value: float, *, digits: int = 0) -> str:
    """``value`` with the reader's decimal sign and grouping (``1,234.5``, ``1 234,5``)."""
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=babel_locale())


def fixed(value: float, *, digits: int) -> str:
    """``value`` rounded as ``f"{value:.2f}"`` rounds it (the same digits in every language),
    with the reader's decimal sign (``0.42``, ``0,42``); a minus is written ``−``."""
    said = f"{value:.{digits}f}".replace("-", "−")
    if current_language() == DEFAULT:
        return said
    return said.replace(".", get_decimal_symbol(babel_locale()))


def month_label(day: dt.date) -> str:
    """``November 2026`` in the reader's language (``novembre 2026``, ``November 2026``)."""
    if current_language() == DEFAULT:
        return f"{day:%B %Y}"
    return format_skeleton("yMMMM", day, locale=babel_locale())


def month_short(day: dt.date) -> str:
    """``Oct 2026`` in the reader's language (``oct. 2026``, ``Okt. 2026``)."""
    if current_language() == DEFAULT:
        return f"{day:%b %Y}"
    return format_skeleton("yMMM", day, locale=babel_locale())


def weekday(day: dt.date) -> str:
    """``Tue`` in the reader's language (``mar.``, ``Di.``, ``mar``)."""
    if current_language() == DEFAULT:
        return f"{day:%a}"
    return format_skeleton("EEE", day, locale=babel_locale())


def month_abbr(day: dt.date) -> str:
    """``Nov`` in the reader's language (``nov.``, ``Nov.``): a chart's month tick."""
    if current_language() == DEFAULT:
        return f"{day:%b}"
    return format_skeleton("MMM", day, locale=babel_locale())


def short_day(day: dt.date) -> str:
    """``3 Nov`` (no leading zero) in the reader's language (``3 nov.``, ``3. Nov.``)."""
    if current_language() == DEFAULT:
        return f"{day.day} {day:%b}"
    return format_skeleton("MMMd", day, locale=babel_locale())


def day_label(day: dt.date) -> str:
    """``Tue 24 Nov`` in the reader's language (``mar. 24 nov.``, ``Di., 24. Nov.``)."""
    if current_language() == DEFAULT:
        return f"{day:%a %d %b}"
    return format_skeleton("MMMEd", day, locale=babel_locale())


def short_date(day: dt.date) -> str:
    """``26 Nov`` in the reader's language (``26 nov.``, ``26. Nov.``)."""
    if current_language() == DEFAULT:
        return f"{day:%d %b}"
    return format_skeleton("MMMd", day, locale=babel_locale())


def long_date(day: dt.date) -> str:
    """``24 Nov 2026`` in the reader's language (``24 nov. 2026``, ``24. Nov. 2026``)."""
    if current_language() == DEFAULT:
        return f"{day:%d %b %Y}"
    return format_skeleton("yMMMd", day, locale=babel_locale())


def percent(share: float) -> str:
    """``50%`` in the reader's language (``50 %`` in French and German)."""
    if current_language() == DEFAULT:
        return f"{share:.0%}"
    return format_percent(share, locale=babel_locale())


def when_label(when: dt.datetime, tz: str) -> str:
    """``Thu 26 Nov, 10:00 CET`` in the reader's own time zone and language."""
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    local = when.astimezone(zone)
    return f"{day_label(local.date())}, {local:%H:%M} {local.tzname() or ''}".rstrip()
