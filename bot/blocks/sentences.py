"""The figures' English sentences (a week's change, a red flag's reason), said again in the
reader's language.

``insights`` (pure, below the catalogs) and ``figures`` write a week's change as a fixed set of
English sentences ("Up 4 points from last week — within noise for 9 respondents"), and kept
figures store them so. For a reader of another language each is parsed back to its values and
worded from the catalog; a sentence of another shape is shown as it is.
"""

from __future__ import annotations

import datetime as dt
import re

from insights.questions import load_bank
from settings.i18n import DEFAULT, current_language, ngettext, percent, short_date, tr

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
        return tr("First week measured — no change to report yet")
    if match := _NO_EARLIER.fullmatch(sentence):
        n = int(match.group(1))
        return ngettext(
            "No earlier week with enough answers to compare with ({n} respondent)",
            "No earlier week with enough answers to compare with ({n} respondents)",
            n,
        ).format(n=n)
    if match := _NOT_COMPARED.fullmatch(sentence):
        return tr("Not compared with the week of {day}: other teams answered that week").format(
            day=_day(match.group(1))
        )
    match = _CHANGE.fullmatch(sentence)
    if match is None:
        return sentence
    direction, points, since, within, beyond = match.groups()
    n = int(points) if points else 0
    if since == "last week":
        head = {
            None: tr("Level with last week"),
            "Up": ngettext("Up {n} point from last week", "Up {n} points from last week", n),
            "Down": ngettext("Down {n} point from last week", "Down {n} points from last week", n),
        }[direction].format(n=n)
    else:
        head = {
            None: tr("Level with {day}"),
            "Up": ngettext("Up {n} point from {day}", "Up {n} points from {day}", n),
            "Down": ngettext("Down {n} point from {day}", "Down {n} points from {day}", n),
        }[direction].format(n=n, day=_day(since))
    who = _who(within or beyond)
    if within is not None:
        return tr("{head} — within noise for {who}").format(head=head, who=who)
    return tr("{head} (beyond noise for {who})").format(head=head, who=who)


def _who(said: str) -> str:
    match = _WHO.fullmatch(said)
    if match is None:
        return tr("unknown respondents")
    n = int(match.group(1))
    return ngettext("{n} respondent", "{n} respondents", n).format(n=n)


def _day(said: str) -> str:
    return short_date(dt.datetime.strptime(f"{said} 2000", "%d %b %Y").date())


_DROP = re.compile(
    r"Engagement fell (\d+) points below its (\d+)-week baseline \((\d+) → (\d+)\); "
    r"(may be noise|beyond noise) for (.+)\."
)
_ENPS = re.compile(r"eNPS is (−?\d+), below the (−?\d+) floor \((\d+) answers\)\.")
_TURNOUT = re.compile(
    r"Only (\d+) of (\d+) invited people answered \((\d+)%, below (\d+)%\): "
    r"the scores may not speak for the whole team\."
)
_BOTTOM = re.compile(
    r"(.+) has been in the bottom 10% of team driver scores for (\d+) weeks running "
    r"\(now (\d+)\)\."
)
_PEOPLE = re.compile(r"(\d+) respondents")


def flag_reason(reason: str) -> str:
    """A red flag's reason (insights.alerts writes it in English) in the reader's language."""
    if current_language() == DEFAULT:
        return reason
    if match := _DROP.fullmatch(reason):
        points, weeks, before, now, noise, who = match.groups()
        people = _PEOPLE.fullmatch(who)
        said = (
            tr("may be noise for {who}")
            if noise == "may be noise"
            else tr("beyond noise for {who}")
        ).format(
            who=ngettext("{n} respondent", "{n} respondents", int(people.group(1))).format(
                n=people.group(1)
            )
            if people
            else tr("unknown respondents")
        )
        return tr(
            "Engagement fell {points} points below its {weeks}-week baseline "
            "({before} → {now}); {said}."
        ).format(points=points, weeks=weeks, before=before, now=now, said=said)
    if match := _ENPS.fullmatch(reason):
        score, floor, n = match.groups()
        return ngettext(
            "eNPS is {score}, below the {floor} floor ({n} answer).",
            "eNPS is {score}, below the {floor} floor ({n} answers).",
            int(n),
        ).format(score=score, floor=floor, n=n)
    if match := _TURNOUT.fullmatch(reason):
        n, invited, share, floor = match.groups()
        return tr(
            "Only {n} of {invited} invited people answered ({share}, below {floor}): "
            "the scores may not speak for the whole team."
        ).format(
            n=n,
            invited=invited,
            share=percent(int(share) / 100),
            floor=percent(int(floor) / 100),
        )
    if match := _BOTTOM.fullmatch(reason):
        named, weeks, now = match.groups()
        return tr(
            "{driver} has been in the bottom 10% of team driver scores for {weeks} weeks "
            "running (now {score})."
        ).format(driver=_driver(named), weeks=weeks, score=now)
    return reason


def _driver(named: str) -> str:
    """The driver insights named by its key ("Internal service"), by its label in the bank."""
    for key, driver in load_bank().drivers.items():
        if key.replace("_", " ").capitalize() == named:
            return driver.label_in(current_language())
    return named


_WITHHELD = re.compile(
    r"No (figures|org figures) yet: results are shown only once at least (\d+) people have "
    r"answered, so nobody's answers can be singled out\."
)


def withheld(said: str) -> str:
    """insights.privacy.withheld_sentence in the reader's language."""
    match = _WITHHELD.fullmatch(said)
    if current_language() == DEFAULT or match is None:
        return said
    what, k = match.groups()
    if what == "org figures":
        return tr(
            "No org figures yet: results are shown only once at least {k} people have "
            "answered, so nobody's answers can be singled out."
        ).format(k=k)
    return tr(
        "No figures yet: results are shown only once at least {k} people have "
        "answered, so nobody's answers can be singled out."
    ).format(k=k)
