"""The figures' English sentences about a change, said again in the reader's language.

``insights`` (pure, below the catalogs) and ``figures`` write a week's change as a fixed set of
English sentences ("Up 4 points from last week — within noise for 9 respondents"), and kept
figures store them so. For a reader of another language each is parsed back to its values and
worded from the catalog; a sentence of another shape is shown as it is.
"""

from __future__ import annotations

import datetime as dt
import re

from settings.i18n import DEFAULT, _, current_language, ngettext, short_date

_DAY = r"\d{2} [A-Z][a-z]{2}"
_FIRST = re.compile(r"First week measured — no change to report yet")
_NO_EARLIER = re.compile(
    r"No earlier week with enough answers to compare with \((\d+) respondents\)"
)
_NOT_COMPARED = re.compile(
    rf"Not compared with the week of ({_DAY}): other teams answered that week"
)
_CHANGE = re.compile(
    rf"(?:(Up|Down) (\d+) points? from|Level with) (last week|{_DAY})"
    r"(?: — within noise for (.+)| \(beyond noise for (.+)\))"
)
_WHO = re.compile(r"(\d+) respondents?")


def change_sentence(sentence: str) -> str:
    """``sentence`` in the reader's language (as it is for English, or a shape unknown here)."""
    if current_language() == DEFAULT:
        return sentence
    if _FIRST.fullmatch(sentence):
        return _("First week measured — no change to report yet")
    if match := _NO_EARLIER.fullmatch(sentence):
        n = int(match.group(1))
        return ngettext(
            "No earlier week with enough answers to compare with ({n} respondent)",
            "No earlier week with enough answers to compare with ({n} respondents)",
            n,
        ).format(n=n)
    if match := _NOT_COMPARED.fullmatch(sentence):
        return _("Not compared with the week of {day}: other teams answered that week").format(
            day=_day(match.group(1))
        )
    match = _CHANGE.fullmatch(sentence)
    if match is None:
        return sentence
    direction, points, since, within, beyond = match.groups()
    n = int(points) if points else 0
    if since == "last week":
        head = {
            None: _("Level with last week"),
            "Up": ngettext("Up {n} point from last week", "Up {n} points from last week", n),
            "Down": ngettext("Down {n} point from last week", "Down {n} points from last week", n),
        }[direction].format(n=n)
    else:
        head = {
            None: _("Level with {day}"),
            "Up": ngettext("Up {n} point from {day}", "Up {n} points from {day}", n),
            "Down": ngettext("Down {n} point from {day}", "Down {n} points from {day}", n),
        }[direction].format(n=n, day=_day(since))
    who = _who(within or beyond)
    if within is not None:
        return _("{head} — within noise for {who}").format(head=head, who=who)
    return _("{head} (beyond noise for {who})").format(head=head, who=who)


def _who(said: str) -> str:
    match = _WHO.fullmatch(said)
    if match is None:
        return _("unknown respondents")
    n = int(match.group(1))
    return ngettext("{n} respondent", "{n} respondents", n).format(n=n)


def _day(said: str) -> str:
    return short_date(dt.datetime.strptime(f"{said} 2000", "%d %b %Y").date())
