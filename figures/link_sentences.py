"""The EX↔CX link and perception-gap sentences, worded in the reader's language.

insights (below the catalogs) says what a link or a gap shows as values
(insights.linkage.LinkFinding, insights.perception.perception_gap's columns); this module
words them when they are shown, inside the reader's ``using(locale)``, so one kept figure reads
in every language. The English wording is the one insights wrote before (tests/golden).
Lags and trends count in the CX series' own periods (weeks, months or quarters), and a monthly
or quarterly link says how many periods of data it rests on. Statistics keep their symbols
(r, n, p, CI) with the reader's decimal sign.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from insights.linkage import LinkFinding
from settings.i18n import DEFAULT, current_language, fixed, ngettext, tr


@dataclass(frozen=True)
class LinkSaid:
    """One CX metric's link as a sentence would say it: its finding and what names it."""

    finding: LinkFinding
    metric: str  # short, as in the sentence: "CSAT"
    cadence: str = "weekly"  # the CX series' periods: lags count in them
    periods: int | None = None  # periods of data behind a monthly or quarterly link
    imported: bool = True  # False: no value of the metric in the link's periods
    segment: str | None = None  # the link of one segment value's engagement ("frontline")

    @property
    def sentence(self) -> str:
        return link_sentence(self)

    @classmethod
    def kept(cls, body: dict[str, Any]) -> LinkSaid:
        """Back from ``dataclasses.asdict`` as JSON (a kept report or cut)."""
        return cls(**{**body, "finding": LinkFinding(**body["finding"])})


@dataclass(frozen=True)
class ValueLink:
    """One metric's EX↔CX link by one segment value (figures.segment_links), kept as values
    and worded when shown, in the reader's language."""

    metric: str  # short: "CSAT"
    value: str  # as config.toml names it: "frontline"
    said: LinkSaid | None  # None: no week yet in which a team's cell of the value was shown

    @property
    def label(self) -> str:
        return f"{self.metric} · {self.value}"

    @classmethod
    def kept(cls, body: dict[str, Any]) -> ValueLink:
        """Back from ``dataclasses.asdict`` as JSON (a kept cut or digest)."""
        said = body["said"]
        return cls(body["metric"], body["value"], LinkSaid.kept(said) if said else None)

    @property
    def sentence(self) -> str:
        if self.said is None:
            return tr("No week yet in which a team's {value} cell could be shown.").format(
                value=self.value
            )
        return self.said.sentence


@dataclass(frozen=True)
class GapSaid:
    """One perception-gap row (insights.perception.perception_gap) as a sentence says it."""

    perceived: float
    actual: float
    slope: float | None  # gap_trend, points per period; None below 3 periods
    low: float | None  # its 95% CI
    high: float | None
    weeks: int  # trend_weeks: periods the trend is measured over
    agrees: bool
    cadence: str = "weekly"

    @classmethod
    def of(cls, row: pd.Series, cadence: str = "weekly") -> GapSaid:
        return cls(
            float(row["perceived"]),
            float(row["actual"]),
            _value(row["gap_trend"]),
            _value(row["gap_trend_low"]),
            _value(row["gap_trend_high"]),
            int(row["trend_weeks"]),
            bool(row["agrees"]),
            cadence,
        )

    @property
    def sentence(self) -> str:
        return gap_sentence(self)


def _value(x: float) -> float | None:
    return None if pd.isna(x) else float(x)


def _stat(x: float | None) -> float:
    """A statistic a case with statistics has (insights.linkage.link_finding sets it)."""
    if x is None:
        raise ValueError("a link finding of this case carries its statistics")
    return x


def span(n: int, cadence: str) -> str:
    """``2 weeks``, ``1 month``, ``3 quarters`` in the reader's language."""
    if cadence == "monthly":
        return ngettext("{n} month", "{n} months", n).format(n=n)
    if cadence == "quarterly":
        return ngettext("{n} quarter", "{n} quarters", n).format(n=n)
    return ngettext("{n} week", "{n} weeks", n).format(n=n)


def same_period(cadence: str) -> str:
    """``in the same week`` (month, quarter) in the reader's language."""
    if cadence == "monthly":
        return tr("in the same month")
    if cadence == "quarterly":
        return tr("in the same quarter")
    return tr("in the same week")


def later(lag: int, cadence: str = "weekly") -> str:
    """'in the same week', '1 week later', '2 months later': a lag counts in the CX series'
    own periods (a monthly metric's lag of 1 is a month)."""
    return same_period(cadence) if lag == 0 else tr("{span} later").format(span=span(lag, cadence))


def _short(n: int, cadence: str) -> str:
    if cadence == "monthly":
        said = ngettext(
            "Not enough data yet: {n} more month needed",
            "Not enough data yet: {n} more months needed",
            n,
        )
    elif cadence == "quarterly":
        said = ngettext(
            "Not enough data yet: {n} more quarter needed",
            "Not enough data yet: {n} more quarters needed",
            n,
        )
    else:
        said = ngettext(
            "Not enough data yet: {n} more week needed",
            "Not enough data yet: {n} more weeks needed",
            n,
        )
    return said.format(n=n)


def _no_drift(cadence: str) -> str:
    if cadence == "monthly":
        return tr("not adjusted for drift (too few consecutive months)")
    if cadence == "quarterly":
        return tr("not adjusted for drift (too few consecutive quarters)")
    return tr("not adjusted for drift (too few consecutive weeks)")


def _data(periods: int, cadence: str) -> str:
    if cadence == "quarterly":
        said = ngettext("{n} quarter of data", "{n} quarters of data", periods)
    else:
        said = ngettext("{n} month of data", "{n} months of data", periods)
    return said.format(n=periods)


def _p(p: float) -> str:
    if p < 0.001:
        return "p < " + fixed(0.001, digits=3)
    return "p = " + fixed(p, digits=3 if p < 0.01 else 2)


def _subject(value: str) -> str:
    """A segment value at the start of an English sentence: ``frontline`` -> ``Frontline``
    (the other languages quote it as typed)."""
    return value.capitalize()


def _head(said: LinkSaid, when: str) -> str:
    """The sentence before its statistics, for engagement or one segment value's."""
    f, metric, value = said.finding, said.metric, said.segment
    if value is None:
        heads = {
            "flat": tr("No link can be measured yet: engagement or {metric} has not varied"),
            "unsure": tr("No reliable link yet between engagement and {metric}"),
            "negative": tr("Higher engagement tends to come with lower {metric} {when}"),
            "same": tr("Engagement tends to move with {metric} {when}"),
            "leads": tr("Engagement tends to lead {metric} by {span}"),
        }
    else:
        heads = {
            "flat": tr(
                "No link can be measured yet: {value} engagement or {metric} has not varied"
            ),
            "unsure": tr("No reliable link yet between {value} engagement and {metric}"),
            "negative": tr("Higher {value} engagement tends to come with lower {metric} {when}"),
            "same": tr("{Value} engagement tends to move with {metric} {when}"),
            "leads": tr("{Value} engagement tends to lead {metric} by {span}"),
        }
    return heads[f.case].format(
        metric=metric,
        when=when,
        span=span(f.lag, said.cadence),
        value=value,
        Value=_subject(value or "") if current_language() == DEFAULT else value,
    )


def link_sentence(said: LinkSaid) -> str:
    """One plain sentence, with its statistics, for a link: "Engagement tends to lead CSAT by
    2 weeks (r = 0.42, 99% CI 0.10–0.66, n = 40 across 8 teams, p = 0.01, …)."."""
    f, cadence = said.finding, said.cadence
    if not said.imported:
        return tr("No {metric} values have been imported for this period yet.").format(
            metric=said.metric
        )
    if f.case == "short":
        head, inner = _short(f.needs_more, cadence), ""
    elif f.case == "flat":
        head, inner = _head(said, ""), ""
    else:
        when = later(f.lag, cadence)
        head = _head(said, when)
        if f.teams > 1:
            who = ngettext(
                "n = {n} across {teams} team", "n = {n} across {teams} teams", f.teams
            ).format(n=f.n, teams=f.teams)
        else:
            who = f"n = {f.n}"
        tail = f"{who}, {_p(_stat(f.p_holm))}"
        r = "r = " + fixed(_stat(f.r), digits=2)
        if f.case == "unsure":
            if f.tested > 1:
                tail += ", " + ngettext(
                    "adjusted for {m} lag tested", "adjusted for {m} lags tested", f.tested
                ).format(m=f.tested)
                r = tr("strongest {when}:").format(when=when) + " " + r
            inner = f"{r}, {tail}"
        else:
            level = f"{100 * _stat(f.level):.4g}"
            if current_language() != DEFAULT:
                level = fixed(100 * _stat(f.level), digits=2).rstrip("0").rstrip(",.")
            ci = tr("{level}% CI {low}–{high}").format(
                level=level,
                low=fixed(_stat(f.ci_low), digits=2),
                high=fixed(_stat(f.ci_high), digits=2),
            )
            if f.tested > 1:
                tail += ", " + ngettext(
                    "p and CI adjusted for {m} lag tested",
                    "p and CI adjusted for {m} lags tested",
                    f.tested,
                ).format(m=f.tested)
            inner = f"{r}, {ci}, {tail}"
        if not f.drift_adjusted:
            inner = tr("{stats}; {caveat}").format(stats=inner, caveat=_no_drift(cadence))
    if cadence != "weekly" and said.periods is not None:
        inner += (", " if inner else "") + _data(said.periods, cadence)
    return f"{head} ({inner})." if inner else f"{head}."


def _rate(x: float, cadence: str) -> str:
    points = fixed(x, digits=1)
    if cadence == "monthly":
        return tr("{points} points a month").format(points=points)
    if cadence == "quarterly":
        return tr("{points} points a quarter").format(points=points)
    return tr("{points} points a week").format(points=points)


def _few(cadence: str) -> str:
    if cadence == "monthly":
        return tr("too few months to see a trend")
    if cadence == "quarterly":
        return tr("too few quarters to see a trend")
    return tr("too few weeks to see a trend")


def _trend(g: GapSaid) -> str:
    gap = g.perceived - g.actual
    if g.slope is None or g.low is None or g.high is None:
        return _few(g.cadence)
    if g.low <= 0 <= g.high:
        return tr("no clear trend over {span}").format(span=span(g.weeks, g.cadence))
    rate = _rate(abs(g.slope), g.cadence)
    if g.agrees:
        said = tr("drifting up by {rate}") if g.slope > 0 else tr("drifting down by {rate}")
    elif (g.slope > 0) == (gap > 0):
        said = tr("widening by {rate}")
    else:
        said = tr("narrowing by {rate}")
    return said.format(rate=rate)


def gap_sentence(g: GapSaid, *, yours: bool = True) -> str:
    """What the team believed against what customers said, with the gap's trend. ``yours``:
    said to the team's manager ("Your team reads customers well"); else of "the team" (HR)."""
    shown = tr("perceived {perceived}, measured {actual}; {trend}").format(
        perceived=fixed(g.perceived, digits=0),
        actual=fixed(g.actual, digits=0),
        trend=_trend(g),
    )
    if g.agrees:
        said = (
            tr("Your team reads customers well ({shown})")
            if yours
            else tr("the team reads customers well ({shown})")
        )
        return said.format(shown=shown)
    diff = abs(round(g.perceived) - round(g.actual))  # as the two shown figures subtract
    lower = g.perceived > g.actual
    if yours and lower:
        said = ngettext(
            "Customers rated {n} point lower than your team thought ({shown})",
            "Customers rated {n} points lower than your team thought ({shown})",
            diff,
        )
    elif yours:
        said = ngettext(
            "Customers rated {n} point higher than your team thought ({shown})",
            "Customers rated {n} points higher than your team thought ({shown})",
            diff,
        )
    elif lower:
        said = ngettext(
            "Customers rated {n} point lower than the team thought ({shown})",
            "Customers rated {n} points lower than the team thought ({shown})",
            diff,
        )
    else:
        said = ngettext(
            "Customers rated {n} point higher than the team thought ({shown})",
            "Customers rated {n} points higher than the team thought ({shown})",
            diff,
        )
    return said.format(n=diff, shown=shown)


def after_colon(sentence: str) -> str:
    """A sentence said after a colon ("Perception gap, week of 02 Nov: your team …"): its
    first letter lowercased, but in German, where a whole sentence after a colon keeps its
    capital (and nouns and the polite "Ihr" always do)."""
    if current_language() == "de":
        return sentence
    return sentence[:1].lower() + sentence[1:]


def in_sentence(label: str) -> str:
    """A driver's label inside a sentence ("Lowest: Support on workload"): lowercased, but in
    German, where nouns keep their capital."""
    return label if current_language() == "de" else label.lower()
