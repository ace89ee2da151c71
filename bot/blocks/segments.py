"""`/pulse report TEAM by SEGMENT` replies (ephemeral): one node's week cut by one attribute.

Pure: a figures.segment_figures.SegmentCut in, a message out. A hidden value says why in
one sentence and shows no count (how many a hidden cell holds is itself a figure). Team,
segment and value names come from config.toml and are escaped like anything typed.
"""

from __future__ import annotations

from typing import Any

from bot.blocks.pages import sections
from bot.blocks.text import escape, md, plain
from figures.segment_figures import SegmentCut, SegmentRow
from settings.i18n import N_, fixed, long_date, ngettext, percent, tr

COUNTED = N_(
    "A value counts a team's people with it only in a week {k} or more of them answered "
    "(a department's or the org's value adds up those teams), so it may count fewer "
    "respondents than the people with that value who answered."
)
HIDDEN = N_("hidden: fewer than {k} people, or showing it would let a smaller group be worked out")


def respondents(n: int | None) -> str:
    """``12 respondents`` in the reader's language."""
    return ngettext("{n} respondent", "{n} respondents", n or 0).format(n=n or 0)


def _row(row: SegmentRow, k: int, labels: dict[str, str]) -> str:
    name = f"*{escape(row.value, limit=80)}*"
    if not row.shown:
        return f"{name} · {tr(HIDDEN).format(k=k)}"
    parts = [respondents(row.respondents)]
    if row.participation is not None:
        parts[0] += f" ({percent(row.participation)})"
    if row.engagement is not None:
        parts.insert(0, tr("engagement {score}").format(score=fixed(row.engagement, digits=0)))
    if row.enps is not None:
        parts.append(f"eNPS {row.enps:+.0f}")
    line = f"{name} · " + " · ".join(parts)
    if row.drivers:
        shown = ", ".join(
            f"{escape(labels.get(d, d), limit=40)} {fixed(s, digits=0)}" for d, s in row.drivers
        )
        line += f"\n      {shown}"
    return line


def segment_report(
    *, node_name: str, cut: SegmentCut, driver_labels: dict[str, str] | None = None
) -> dict[str, Any]:
    """The cut as one message, in the reader's language: the node's week and one line per
    value."""
    head = tr("{node} · by {segment}").format(node=node_name, segment=cut.name)
    if cut.period is None:
        text = f"*{escape(head, limit=300)}*\n" + tr(
            "No week in the last four had enough answers to show this team's figures "
            "(at least {k} people), so there is no cut yet."
        ).format(k=cut.k)
        return {"response_type": "ephemeral", "text": text, "blocks": sections(text)}
    total = respondents(cut.respondents)
    if cut.engagement is not None:
        total = tr("engagement {score}").format(score=fixed(cut.engagement, digits=0))
        total += f" · {respondents(cut.respondents)}"
    lines = [_row(r, cut.k, driver_labels or {}) for r in cut.rows] or [
        tr("No answers from people with a value of this attribute that week.")
    ]
    body = "\n".join(lines)
    note = (
        tr(
            "Values fewer than {k} of a team's invited people share are counted as "
            "*other*; a value is hidden when it, or the difference between it and another "
            "figure you can see, rests on fewer than {k} people."
        ).format(k=cut.k)
        + " "
        + tr(COUNTED).format(k=cut.k)
    )
    week = tr("Week of {day}").format(day=long_date(cut.period))
    blocks = [
        {"type": "header", "text": plain(head, limit=150)},
        {
            "type": "context",
            "elements": [md(week + " · " + tr("whole team: {total}").format(total=total))],
        },
        *sections(body),
        *_links(cut),
        {"type": "context", "elements": [md(note), md(tr(VALUES_THEN))]},
    ]
    return {
        "response_type": "ephemeral",
        "text": f"{escape(head, limit=300)}\n{body}",
        "blocks": blocks,
    }


VALUES_THEN = N_(
    "Each week is cut by the values people had when its pulse closed: a later import of "
    "people's values changes later weeks only."
)


def _links(cut: SegmentCut) -> list[dict[str, Any]]:
    """HR's `org by layer`: the digest's EX↔CX link by value, the digest's sentences (each
    with its statistics and caveats: pooled within team, lags, adjusted p and CI)."""
    if not cut.links:
        return []
    head = tr("EX ↔ CX by {name}: each team's cell of the value, as in the weekly digest")
    lines = [f"*{escape(x.label, limit=200)}*: {escape(x.sentence)}" for x in cut.links]
    text = f"*{escape(head.format(name=cut.name), limit=300)}*\n" + "\n".join(lines)
    return [{"type": "divider"}, *sections(text)]
