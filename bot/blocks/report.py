"""`/pulse report` replies (ephemeral): a team's report and a department's.

Pure renderers over figures that already passed the k guard (figures.teams, the latest
pulse's aggregate); long content is spread over several messages by bot.blocks.pages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.blocks import dashboard as dash
from bot.blocks.conversations import open_button
from bot.blocks.pages import pack, paginate, sections
from bot.blocks.sentences import flag_reason
from bot.blocks.text import escape, md, plain, quoted, truncate
from figures.teams import TeamFigures
from settings.i18n import ngettext, number, percent, short_date, tr

MAX_COMMENTS = 10
MOVERS = 3


@dataclass(frozen=True)
class QuestionLine:
    text: str
    kind: str
    n: int
    mean: float | None  # None when withheld (fewer than k answers to this question)


@dataclass(frozen=True)
class LatestPulse:
    """The latest pulse: its figures, or ``withheld`` (why none are shown)."""

    label: str  # "Pulse of 24 Nov 2026 · closed"
    respondents: int = 0
    participation: float = 0.0
    lines: list[QuestionLine] = field(default_factory=list)
    comments: list[tuple[str | None, str]] = field(default_factory=list)
    withheld: str | None = None
    comment_ids: list[str] = field(default_factory=list)  # same order: a Reply button each


@dataclass(frozen=True)
class LinkLine:
    """One CX metric: the EX↔CX link and the perception gap, each one sentence."""

    metric: str  # "CSAT"
    link: str
    gap: str | None = None


def team_report(
    *,
    team_name: str,
    fig: TeamFigures,
    k: int,
    pulse: LatestPulse | None,
    links: Sequence[LinkLine] = (),
    driver_labels: dict[str, str] | None = None,
    extra: list[dict[str, Any]] | None = None,
    other_teams: Sequence[str] = (),
) -> list[dict[str, Any]]:
    """A team's report as one or more ephemeral messages (the caller checked access)."""
    labels = driver_labels or {}
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": plain(tr("{team} · pulse report").format(team=team_name), limit=150),
        },
        _context(_window(fig, k)),
        *_summary(fig, k),
    ]
    if fig.period is not None:
        blocks += sections(_drivers(fig, labels))
        blocks += sections(_flags(fig))
    if links:
        rows = [
            f"• *{escape(x.metric, limit=200)}:* {escape(x.link)}"
            + (f"\n   {escape(x.gap)}" if x.gap else "")
            for x in links
        ]
        blocks += sections(tr("*Engagement and your customers*") + "\n" + "\n".join(rows))
    blocks += _pulse_blocks(pulse, k)
    blocks += extra or []
    blocks.append(
        _context(
            tr(
                "Anonymous: figures come from {k}+ people; individual answers are never shown."
            ).format(k=k)
        )
    )
    if other_teams:
        names = ", ".join(escape(name, limit=300) for name in other_teams)
        blocks.append(_context(truncate(tr("Also yours: {names}").format(names=names), 2900)))
    return paginate(
        blocks, text=tr("Pulse report for {team}").format(team=escape(team_name, limit=300))
    )


def department_report(
    *, name: str, fig: TeamFigures, teams: Sequence[tuple[str, TeamFigures]], k: int
) -> list[dict[str, Any]]:
    """A department (or the whole org): its own figures, then every team below it.

    Teams with a red flag come first, then the others, then those with nothing to show.
    """
    shown = [(n, f) for n, f in teams if f.period is not None]
    flagged = [card for card in shown if card[1].flags]
    calm = [card for card in shown if not card[1].flags]
    silent = [n for n, f in teams if f.period is None]
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": plain(
                ngettext("{name} · {n} team", "{name} · {n} teams", len(teams)).format(
                    name=name, n=len(teams)
                ),
                limit=150,
            ),
        },
        _context(_window(fig, k)),
        *_summary(fig, k),
        {"type": "divider"},
    ]
    if flagged:
        blocks += sections(tr("*Teams with a red flag* ({n})").format(n=len(flagged)))
    blocks += pack([dash.card(n, f, k=k) for n, f in flagged + calm])
    if silent:
        blocks += sections(
            ngettext(
                "*No week with {k}+ respondents in the last week:*",
                "*No week with {k}+ respondents in the last {n} weeks:*",
                fig.weeks,
            ).format(k=k, n=fig.weeks)
            + " "
            + ", ".join(escape(n, limit=300) for n in silent)
        )
    blocks.append(
        _context(
            tr(
                "Figures from {k}+ people only; a team is merged into the total when showing it "
                "separately could single people out. `/pulse report &lt;team&gt;` shows a team's "
                "drivers, comments and link to customer metrics."
            ).format(k=k)
        )
    )
    return paginate(blocks, text=tr("Pulse report for {team}").format(team=escape(name, limit=300)))


def _window(fig: TeamFigures, k: int) -> str:
    text = ngettext(
        "Last week · figures only from pulses and questions with {k}+ answers",
        "Last {n} weeks · figures only from pulses and questions with {k}+ answers",
        fig.weeks,
    ).format(n=fig.weeks, k=k)
    if fig.period is not None:
        text = tr("Week of {day}").format(day=short_date(fig.period)) + f" · {text}"
    if fig.left_out:
        text += " · " + ngettext(
            "{n} pulse below {k} left out", "{n} pulses below {k} left out", fig.left_out
        ).format(n=fig.left_out, k=k)
    return text


def _summary(fig: TeamFigures, k: int) -> list[dict[str, Any]]:
    if fig.period is None:
        return sections(
            ngettext(
                "_Last week did not have {k}+ respondents, so there "
                "is no engagement score or trend yet._",
                "_No week in the last {n} weeks had {k}+ respondents, so there "
                "is no engagement score or trend yet._",
                fig.weeks,
            ).format(n=fig.weeks, k=k)
        )
    share = fig.participation
    taking = (
        tr("{share} · {n} of {invited}").format(
            share=percent(share), n=fig.respondents, invited=fig.invited
        )
        if share is not None
        else "—"
    )
    gaps = dash.GAP in dash.sparkline(fig)
    trend = dash.trend_text(fig) + (
        " (" + tr("{gap} = no figure that week").format(gap=dash.GAP) + ")" if gaps else ""
    )
    return [
        {
            "type": "section",
            "text": md(
                f"{dash.headline(fig)}\n"
                + tr("By week, {start} – {end}: {trend}").format(
                    start=short_date(fig.since), end=short_date(fig.period), trend=trend
                )
            ),
            "fields": [
                md(tr("*Participation*") + f"\n{taking}"),
                md(f"*eNPS*\n{dash.enps(fig).removeprefix('eNPS ')}"),
            ],
        }
    ]


def _drivers(fig: TeamFigures, labels: dict[str, str]) -> str:
    """Drivers lowest first (where to act), then the biggest movers since their last measure."""
    drivers = sorted((d for d in fig.drivers if d.driver != "perception"), key=lambda d: d.score)
    if not drivers:
        return tr("*Drivers:* _no driver reached the minimum number of answers yet._")
    named = {d.driver: escape(labels.get(d.driver, d.driver), limit=200) for d in drivers}
    rows = []
    for d in drivers:
        rows.append(
            f"• {named[d.driver]} *{d.score:.0f}* · "
            + ngettext("{n} answer, {week}", "{n} answers, {week}", d.n).format(
                n=d.n, week=dash.week_of(d.period)
            )
        )
    moved = sorted((d for d in drivers if d.change), key=lambda d: -abs(d.change or 0))
    text = tr("*Drivers* · latest score of each, 0–100, lowest first") + "\n" + "\n".join(rows)
    if moved:
        parts = [
            (
                tr("{driver} up {points}") if (d.change or 0) > 0 else tr("{driver} down {points}")
            ).format(driver=named[d.driver], points=f"{abs(d.change or 0):.0f}")
            + " ("
            + (tr("within noise") if d.within_noise else tr("beyond noise"))
            + ")"
            for d in moved[:MOVERS]
        ]
        text += "\n" + tr("*Biggest movers* since each driver's previous measure:") + " "
        text += ", ".join(parts)
    return text


def _flags(fig: TeamFigures) -> str:
    if not fig.flags:
        return tr("*Red flags:* none in the {week}.").format(week=dash.week_of(fig.period))  # type: ignore[arg-type]
    return (
        tr("*Red flags*")
        + "\n"
        + "\n".join(f":warning: {escape(flag_reason(f.reason))}" for f in fig.flags)
    )


def _pulse_blocks(pulse: LatestPulse | None, k: int) -> list[dict[str, Any]]:
    if pulse is None:
        return []
    if pulse.withheld is not None:
        return [
            {"type": "divider"},
            *sections(
                tr("*Latest pulse* · {label}").format(label=pulse.label) + f"\n{pulse.withheld}"
            ),
        ]
    blocks: list[dict[str, Any]] = [
        {"type": "divider"},
        {
            "type": "section",
            "fields": [
                md(tr("*Respondents*") + f"\n{pulse.respondents}"),
                md(tr("*Participation*") + f"\n{percent(pulse.participation)}"),
            ],
        },
        _context(tr("Latest pulse · {label}").format(label=pulse.label)),
    ]
    for line in pulse.lines:
        blocks += sections(_question_line(line, k))
    return blocks + _comment_blocks(pulse.comments, pulse.comment_ids)


def _comment_blocks(
    comments: list[tuple[str | None, str]], comment_ids: Sequence[str] = ()
) -> list[dict[str, Any]]:
    if not comments:
        return []
    blocks = sections(tr("*Anonymous comments* ({n}, shuffled)").format(n=len(comments)))
    for i, (prompt, body) in enumerate(comments[:MAX_COMMENTS]):
        asked = f"_{escape(prompt, limit=500)}_\n" if prompt else ""
        text = asked + quoted(body, limit=2400)
        if i < len(comment_ids) and len(text) <= 3000:
            blocks.append(
                {"type": "section", "text": md(text), "accessory": open_button(comment_ids[i])}
            )
        else:
            blocks += sections(text)
    if len(comments) > MAX_COMMENTS:
        more = len(comments) - MAX_COMMENTS
        blocks.append(_context(tr("and {n} more in the export").format(n=more)))
    return blocks


def _question_line(line: QuestionLine, k: int) -> str:
    text = escape(line.text, limit=2000)
    if line.mean is None:
        return f"{text}\n" + tr("_Fewer than {k} answers: not shown._").format(k=k)
    answers = ngettext("{n} answer", "{n} answers", line.n).format(n=line.n)
    if line.kind == "nps10":
        return f"{text}\n" + tr("*{mean}* / 10 average · {answers}").format(
            mean=number(line.mean, digits=1), answers=answers
        )
    return f"{text}\n*{number(line.mean, digits=1)}* / 5 · {_bar(line.mean)} · {answers}"


def _bar(mean: float) -> str:
    filled = round((mean - 1) / 4 * 10)
    return "▰" * filled + "▱" * (10 - filled)


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [md(text)]}
