"""A team's figures in a few plain lines, and the manager dashboard of the App Home.

Pure renderers over figures.teams.TeamFigures (already k-guarded): the department report
and the Home show the same words for the same team.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Any

from bot.blocks.pages import sections
from bot.blocks.sentences import change_sentence, flag_reason
from bot.blocks.text import clean, escape, md, plain
from figures.teams import TeamFigures
from settings.i18n import DEFAULT, current_language, ngettext, percent, short_date, tr

LEVELS = "▁▂▃▄▅▆▇█"
GAP = "·"  # a week with nothing shown: no pulse, or fewer than k answers
SPARK_SPAN = 10.0  # points: the smallest range a sparkline stretches over its eight steps


def sparkline(fig: TeamFigures) -> str:
    """One character per week of the window in eight steps, scaled to the team's own range
    (at least ``SPARK_SPAN`` points, so noise stays small); a week with no figure is a dot.

    Plain text, not code: Slack draws inline code in red, which reads as an alarm."""
    values = {d: v for d, v in fig.series if v is not None and not math.isnan(v)}
    if not values:
        return GAP * fig.weeks
    low, high = min(values.values()), max(values.values())
    span = max(high - low, SPARK_SPAN)
    base = low - (span - (high - low)) / 2
    chars = []
    for w in range(fig.weeks):
        value = values.get(fig.since + dt.timedelta(weeks=w))
        if value is None:
            chars.append(GAP)
        else:
            step = int((value - base) / span * len(LEVELS))
            chars.append(LEVELS[min(len(LEVELS) - 1, max(0, step))])
    return "".join(chars)


def trend_text(fig: TeamFigures) -> str:
    """The sparkline between its first and last figures: '76 ▆▇▃▄▃▂▁▂ 57'."""
    values = [v for _, v in fig.series if v is not None and not math.isnan(v)]
    if not values:
        return sparkline(fig)
    return f"{values[0]:.0f} {sparkline(fig)} {values[-1]:.0f}"


def signed(value: float) -> str:
    """+12, 0, −20 (a real minus sign, as insights writes it)."""
    return f"{value:+.0f}".replace("-", "−") if round(value) else "0"


def last_weeks(weeks: int) -> str:
    """'week' or '12 weeks', as in 'the last 12 weeks'."""
    return "week" if weeks == 1 else f"{weeks} weeks"


def week_of(day: dt.date) -> str:
    return tr("week of {day}").format(day=short_date(day))


def headline(fig: TeamFigures) -> str:
    """'Engagement *68* · up 4 points from last week — within noise for 9 respondents'."""
    if fig.engagement is None:
        return tr("Engagement not measured in the {week} ({n} respondents)").format(
            week=week_of(fig.period),  # type: ignore[arg-type]
            n=fig.respondents,
        )
    said = change_sentence(fig.sentence)
    sentence = escape(said[:1].lower() + said[1:], limit=1000)
    return tr("Engagement *{score}* · {sentence}").format(
        score=f"{fig.engagement:.0f}", sentence=sentence
    )


def participation(fig: TeamFigures) -> str:
    share = fig.participation
    if share is None:
        return ngettext("{n} respondent", "{n} respondents", fig.respondents).format(
            n=fig.respondents
        )
    return tr("participation {share} ({n} of {invited} invited)").format(
        share=percent(share), n=fig.respondents, invited=fig.invited
    )


def enps(fig: TeamFigures) -> str:
    if fig.enps is None:
        return tr("eNPS not asked in these weeks")
    return ngettext(
        "eNPS *{score}* ({n} answer)", "eNPS *{score}* ({n} answers)", fig.enps_n
    ).format(score=signed(fig.enps), n=fig.enps_n)


def card(name: str, fig: TeamFigures, *, k: int) -> str:
    """A team in three or four lines: headline, participation · eNPS · sparkline, top flag."""
    name = escape(name, limit=300)
    if fig.period is None:
        return ngettext(
            "*{name}* — no week with {k}+ respondents in the last week.",
            "*{name}* — no week with {k}+ respondents in the last {n} weeks.",
            fig.weeks,
        ).format(name=name, k=k, n=fig.weeks)
    lines = [
        f"*{name}* · {week_of(fig.period)}",
        headline(fig),
        f"{participation(fig)} · {enps(fig)} · {trend_text(fig)}",
    ]
    if fig.flags:
        more = (
            " (" + tr("+{n} more").format(n=len(fig.flags) - 1) + ")" if len(fig.flags) > 1 else ""
        )
        lines.append(f":warning: {escape(flag_reason(fig.flags[0].reason), limit=1000)}{more}")
    return "\n".join(lines)


def chart_takeaway(cards: Sequence[tuple[str, TeamFigures]]) -> str:
    """The Home chart in one line, from the weeks it draws: each team's latest engagement and
    its change since its first shown week ("since" said once when the teams share it)."""
    rows = []
    for name, fig in cards:
        shown = [(d, v) for d, v in fig.series if not math.isnan(v)]
        if shown:
            (start, first), (_, last) = shown[0], shown[-1]
            moved = round(last) - round(first)
            change = (
                tr("no change")
                if not moved
                else (tr("up {n}") if moved > 0 else tr("down {n}")).format(n=abs(moved))
            )
            rows.append((name, start, f"{last:.0f}", change))
    if not rows:
        return tr("Engagement by week")
    starts = {start for _, start, _, _ in rows}
    if len(starts) == 1:
        start = starts.pop()
        parts = [f"{name} {last}, {change}" for name, _, last, change in rows]
        head = tr("Engagement now, and since {day}:").format(day=_day(start))
        return f"{head} " + "; ".join(parts)
    parts = [
        f"{n} {last} (" + tr("{change} since {day}").format(change=c, day=_day(d)) + ")"
        for n, d, last, c in rows
    ]
    return tr("Engagement now:") + " " + "; ".join(parts)


def _day(day: dt.date) -> str:
    """'3 Nov' (as the chart's English has always said it), or the reader's short date."""
    return f"{day.day} {day:%b}" if current_language() == DEFAULT else short_date(day)


def dashboard_blocks(
    cards: Sequence[tuple[str, TeamFigures]],
    *,
    weeks: int,
    k: int,
    chart_file_id: str | None,
    charted: Sequence[str] = (),
    more: int = 0,
    title: str = "Your teams",
) -> list[dict[str, Any]]:
    """The manager part of the App Home: a chart of the ``charted`` teams, then one section
    per team.

    ``more`` teams did not fit in the view; they are named only by count, with the command
    that shows them.
    """
    blocks: list[dict[str, Any]] = [
        {"type": "divider"},
        {
            "type": "header",
            "text": plain(
                ngettext("{title} · last week", "{title} · last {n} weeks", weeks).format(
                    title=title, n=weeks
                ),
                limit=150,
            ),
        },
    ]
    if chart_file_id:
        names = ", ".join(clean(name) for name in charted)
        said = chart_takeaway([(n, f) for n, f in cards if n in set(charted)])
        span = ngettext("last week", "last {n} weeks", weeks).format(n=weeks)
        blocks.append(
            {
                "type": "image",
                "slack_file": {"id": chart_file_id},
                "alt_text": clean(
                    tr("Engagement by week, {span}: {names}. {said}").format(
                        span=span, names=names, said=said
                    )
                )[:2000],
                "title": plain(said, limit=2000),
            }
        )
    for name, fig in cards:
        blocks += sections(card(name, fig, k=k))
    hint = tr(
        "Figures come only from pulses and questions with {k}+ answers. "
        "`/pulse report &lt;team&gt;` shows drivers, comments and the link to customer metrics."
    ).format(k=k)
    if more:
        hint = (
            ngettext(
                "*{n} more team* is not shown here: use `/pulse report &lt;team&gt;`.",
                "*{n} more teams* are not shown here: use `/pulse report &lt;team&gt;`.",
                more,
            ).format(n=more)
            + " "
            + hint
        )
    blocks.append({"type": "context", "elements": [md(hint)]})
    return blocks
