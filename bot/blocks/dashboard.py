"""A team's figures in a few plain lines, and the manager dashboard of the App Home.

Pure renderers over bot.figures.TeamFigures (already k-guarded): the department report
and the Home show the same words for the same team.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Any

from bot.blocks.pages import sections
from bot.blocks.pulse import _md, _plain
from bot.figures import TeamFigures

LEVELS = "▁▂▃▄▅▆▇█"
GAP = "·"  # a week with nothing shown: no pulse, or fewer than k answers


def sparkline(fig: TeamFigures) -> str:
    """One character per week of the window, 0–100 in eight steps; gaps as a dot."""
    values = dict(fig.series)
    chars = []
    for w in range(fig.weeks):
        value = values.get(fig.since + dt.timedelta(weeks=w))
        if value is None or math.isnan(value):
            chars.append(GAP)
        else:
            chars.append(LEVELS[min(len(LEVELS) - 1, max(0, int(value / 100 * len(LEVELS))))])
    return "`" + "".join(chars) + "`"


def signed(value: float) -> str:
    """+12, 0, −20 (a real minus sign, as insights writes it)."""
    return f"{value:+.0f}".replace("-", "−") if round(value) else "0"


def last_weeks(weeks: int) -> str:
    """'week' or '12 weeks', as in 'the last 12 weeks'."""
    return "week" if weeks == 1 else f"{weeks} weeks"


def week_of(day: dt.date) -> str:
    return f"week of {day:%d %b}"


def headline(fig: TeamFigures) -> str:
    """'Engagement *68* · up 4 points from last week — within noise for 9 respondents'."""
    if fig.engagement is None:
        return (
            f"Engagement not measured in the {week_of(fig.period)} "  # type: ignore[arg-type]
            f"({fig.respondents} respondents)"
        )
    sentence = fig.sentence[:1].lower() + fig.sentence[1:]
    return f"Engagement *{fig.engagement:.0f}* · {sentence}"


def participation(fig: TeamFigures) -> str:
    share = fig.participation
    if share is None:
        return f"{fig.respondents} respondents"
    return f"participation {share:.0%} ({fig.respondents} of {fig.invited} invited)"


def enps(fig: TeamFigures) -> str:
    if fig.enps is None:
        return "eNPS not asked in these weeks"
    return f"eNPS *{signed(fig.enps)}* ({fig.enps_n} answers)"


def card(name: str, fig: TeamFigures, *, k: int) -> str:
    """A team in three or four lines: headline, participation · eNPS · sparkline, top flag."""
    if fig.period is None:
        return f"*{name}* — no week with {k}+ respondents in the last {last_weeks(fig.weeks)}."
    lines = [
        f"*{name}* · {week_of(fig.period)}",
        headline(fig),
        f"{participation(fig)} · {enps(fig)} · {sparkline(fig)}",
    ]
    if fig.flags:
        more = f" (+{len(fig.flags) - 1} more)" if len(fig.flags) > 1 else ""
        lines.append(f":warning: {fig.flags[0].reason}{more}")
    return "\n".join(lines)


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
        {"type": "header", "text": _plain(f"{title} · last {weeks} weeks")},
    ]
    if chart_file_id:
        names = ", ".join(charted)
        blocks.append(
            {
                "type": "image",
                "slack_file": {"id": chart_file_id},
                "alt_text": f"Engagement over the last {weeks} weeks: {names}"[:2000],
                "title": _plain(f"Engagement, last {weeks} weeks"),
            }
        )
    for name, fig in cards:
        blocks += sections(card(name, fig, k=k))
    hint = (
        f"Figures come only from pulses and questions with {k}+ answers. "
        "`/pulse report <team>` shows drivers, comments and the link to customer metrics."
    )
    if more:
        hint = f"*{more} more teams* are not shown here: use `/pulse report <team>`. " + hint
    blocks.append({"type": "context", "elements": [_md(hint)]})
    return blocks
