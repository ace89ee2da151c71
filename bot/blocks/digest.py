"""The HR digest and red-flag alerts in Block Kit: pure, paginated, never cut mid-word.

A long digest (a 200-team org with many flags) becomes several messages of at most
``PAGE_BLOCKS`` blocks: the first goes to the channel, the rest into its thread. Long lists
are packed into sections of at most ``MAX_TEXT`` characters, split between lines (or, for
one very long line, between words). Names and sentences are text (bot.blocks.text.escape).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.blocks.pages import split_text
from bot.blocks.segments import COUNTED, respondents
from bot.blocks.sentences import change_sentence, flag_reason, withheld
from bot.blocks.text import escape, md, plain, truncate
from bot.blocks.validate import MAX_MESSAGE_BLOCKS
from figures.commitments import KEPT_FROM, followup_words
from insights.privacy import withheld_sentence
from settings.i18n import N_, fixed, long_date, ngettext, percent, short_date, tr

if TYPE_CHECKING:
    from figures.commitments import CommitmentLine
    from figures.digest import Digest, OrgFigures, TeamLine
    from figures.segment_figures import SegmentCut

MAX_TEXT = 3000  # Slack's limit for a section's text
PAGE_BLOCKS = MAX_MESSAGE_BLOCKS - 1  # one block spare for the "part i of n" line
MAX_COMMITMENTS = 15
AT_RISK_RULE = N_("each team once; a department is not counted for its teams' flags")


def _sections(title: str, lines: list[str]) -> list[dict[str, Any]]:
    text = "\n".join([f"*{title}*", *lines])
    return [{"type": "section", "text": md(chunk)} for chunk in split_text(text)]


def _signed(x: float) -> str:
    """+12, 0, −20 (never "+0")."""
    return f"{x:+.0f}".replace("-", "−") if round(x) else "0"


def _change(x: float, unit: str, since: str) -> str:
    """'up 3 points from the week before', 'no change from the week before'."""
    if not round(x):
        return tr("no change from {since}").format(since=since)
    points = round(abs(x))
    if x > 0:
        said = ngettext("up {n} point from {since}", "up {n} points from {since}", points)
    else:
        said = ngettext("down {n} point from {since}", "down {n} points from {since}", points)
    return said.format(n=points, since=since)


def _org_blocks(org: OrgFigures | None, k: int) -> list[dict[str, Any]]:
    if org is None:
        return [
            {"type": "section", "text": md(withheld(withheld_sentence(k=k, what="org figures")))}
        ]
    part = "–" if org.participation is None else percent(org.participation)
    if org.participation_change is not None:
        before = tr("the week before")
        part += f" ({_change(org.participation_change, 'point', before)})"
    enps = tr("not asked in these weeks")
    if org.enps is not None and org.enps_week is not None:
        enps = f"{_signed(org.enps)} (" + tr("week of {day}").format(day=short_date(org.enps_week))
        since = tr("the eNPS before")
        enps += (
            f", {_change(org.enps_change, 'point', since)})" if org.enps_change is not None else ")"
        )
    fields = [
        tr("*Engagement*")
        + f"\n{org.engagement:.0f} / 100 · {escape(change_sentence(org.engagement_trend))}",
        tr("*Participation*") + f"\n{part}",
        f"*eNPS*\n{enps}",
        tr("*Respondents*") + f"\n{org.respondents}" + _coverage(org),
    ]
    return [{"type": "section", "fields": [md(f) for f in fields]}]


def _coverage(org: OrgFigures) -> str:
    """' in 3 of 5 teams': the org's week is the teams that answered that week."""
    if not org.teams:
        return ""
    return " " + tr("in {n} of {total} teams").format(
        n=org.teams, total=max(org.teams, org.teams_total)
    )


def _team_lines(lines: list[TeamLine]) -> list[str]:
    return [f"• *{escape(t.name, limit=300)}* — {escape(_said(t), limit=1000)}" for t in lines]


def _said(line: TeamLine) -> str:
    """A team line in the reader's language: its flags' reasons, or its week's change."""
    if line.reasons:
        return " ".join(flag_reason(r) for r in line.reasons)
    if line.change is not None and line.engagement is not None:
        return tr("{change}; engagement now {score}.").format(
            change=change_sentence(line.change), score=fixed(line.engagement, digits=0)
        )
    return line.text


def _kept_lines(lines: list[CommitmentLine]) -> list[str]:
    """Commitments their team says were kept (figures.commitments: from k answers only)."""
    return [
        f"• *{escape(c.team, limit=300)}* — "
        + tr("commitment kept: “{text}”").format(text=escape(c.text, limit=300))
        for c in lines[:MAX_COMMITMENTS]
        if c.outcome == "kept"
    ]


def _commitment_lines(lines: list[CommitmentLine], k: int) -> list[str]:
    kept = sum(c.outcome == "kept" for c in lines)
    judged = sum(c.outcome in ("kept", "not felt yet") for c in lines)
    out = [
        tr("{n} made · {kept} of {judged} judged by their team kept ({rule}+ / 5)").format(
            n=len(lines), kept=kept, judged=judged, rule=f"{KEPT_FROM:g}"
        )
    ]
    for c in lines[:MAX_COMMITMENTS]:
        if c.mean is not None and c.answers is not None:
            verdict = followup_words(c.mean, c.answers)
        elif c.outcome == "withheld":
            verdict = tr("follow-up from fewer than {k} people, not shown").format(k=k)
        else:
            verdict = tr("follow-up pending")
        made = short_date(c.made)
        team, text = escape(c.team, limit=300), escape(c.text, limit=300)
        out.append(f"• *{team}*: “{text}” ({escape(c.driver, limit=100)}, {made}) — {verdict}")
    if len(lines) > MAX_COMMITMENTS:
        out.append(tr("…and {n} more").format(n=len(lines) - MAX_COMMITMENTS))
    return out


def _segment_line(cut: SegmentCut) -> str:
    """One attribute's values: engagement and respondents, or hidden (no count shown)."""
    parts = []
    for row in cut.rows:
        value = escape(row.value, limit=40)
        if not row.shown:
            parts.append(tr("{value} hidden").format(value=value))
        elif row.engagement is None:
            parts.append(f"{value} ({respondents(row.respondents)})")
        else:
            parts.append(f"{value} {fixed(row.engagement, digits=0)} ({row.respondents})")
    said = " · ".join(parts) or tr("no answers by value")
    return f"*{escape(cut.name, limit=80)}*: {said}"


def digest_blocks(*, digest: Digest) -> list[dict[str, Any]]:
    """Every block of the digest, in order, before pagination."""
    k = digest.k
    week = (
        tr("no answers yet")
        if digest.week is None
        else tr("week of {day}").format(day=long_date(digest.week))
    )
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": plain(tr("Oxygen Pulse · weekly HR digest"), limit=150)},
        {
            "type": "context",
            "elements": [md(week + " · " + tr("figures only from {k}+ people").format(k=k))],
        },
        *_org_blocks(digest.org, k),
    ]
    if digest.org is not None:
        at_risk = _team_lines(digest.at_risk) or [tr("None this week.")]
        blocks += [
            {"type": "divider"},
            *_sections(
                tr("Teams at risk ({n}, {rule})").format(
                    n=len(digest.at_risk), rule=tr(AT_RISK_RULE)
                ),
                at_risk,
            ),
        ]
        wins = _team_lines(digest.improved) + _kept_lines(digest.commitments)
        wins = wins or [tr("No team rose beyond noise this week.")]
        blocks += _sections(tr("Biggest improvements, to celebrate :tada:"), wins)
    if digest.links:
        links = [f"*{escape(name, limit=200)}*: {escape(said)}" for name, said in digest.links]
        blocks += [{"type": "divider"}, *_sections("EX ↔ CX", links)]
    if digest.gaps:
        blocks += _sections(
            tr("Perception gaps (what teams think customers felt)"), _team_lines(digest.gaps)
        )
    if digest.segments:
        cuts = [_segment_line(c) for c in digest.segments]
        cuts.append(f"_{tr(COUNTED).format(k=k)}_")
        blocks += [{"type": "divider"}, *_sections(tr("By segment, whole organisation"), cuts)]
    if digest.segment_links:
        said = [
            f"*{escape(x.label, limit=200)}*: {escape(x.sentence)}" for x in digest.segment_links
        ]
        blocks += _sections(tr("EX ↔ CX by layer (each team's cell of the layer)"), said)
    if digest.commitments:
        lines = _commitment_lines(digest.commitments, k)
        blocks += [
            {"type": "divider"},
            *_sections(tr("Commitments, last {n} weeks").format(n=digest.weeks), lines),
        ]
    notes = []
    if digest.teams_hidden:
        notes.append(
            ngettext(
                "{n} team not named: fewer than {k} respondents, or "
                "showing it could single people out.",
                "{n} teams not named: fewer than {k} respondents, or "
                "showing them could single people out.",
                digest.teams_hidden,
            ).format(n=digest.teams_hidden, k=k)
        )
    if digest.charts:
        notes.append(
            tr("Charts: {titles}.").format(titles="; ".join(escape(c.title) for c in digest.charts))
        )
    if notes:
        blocks.append({"type": "context", "elements": [md(n) for n in notes]})
    return blocks


def charts_comment(*, digest: Digest) -> str:
    """The line posted with the chart images: what they are, and each chart's takeaway."""
    week = (
        "" if digest.week is None else ", " + tr("week of {day}").format(day=long_date(digest.week))
    )
    lines = [tr("Charts of the weekly HR digest") + week]
    for chart in digest.charts:  # the file's own title gives the weeks; the name is enough here
        if chart.takeaway:
            lines.append(f"• *{escape(chart.title.split(',')[0])}*: {escape(chart.takeaway)}")
    return "\n".join(lines)


def paginate(blocks: list[dict[str, Any]], *, title: str) -> list[dict[str, Any]]:
    """Messages of at most 50 blocks; parts after the first say where they belong."""
    pages = [blocks[i : i + PAGE_BLOCKS] for i in range(0, len(blocks), PAGE_BLOCKS)] or [[]]
    if len(pages) == 1:
        return [{"text": title, "blocks": pages[0]}]
    total = len(pages)
    messages = []
    for n, page in enumerate(pages, start=1):
        note = tr("continued in the thread") if n == 1 else tr("continued")
        part = tr("Part {n} of {total}").format(n=n, total=total)
        context = {"type": "context", "elements": [md(f"{part} · {note}")]}
        page = [*page, context] if n == 1 else [context, *page]
        messages.append({"text": f"{title} ({n}/{total})", "blocks": page})
    return messages


def digest_messages(*, digest: Digest) -> list[dict[str, Any]]:
    """The digest as one or more messages: post the first, the rest as thread replies."""
    week = (
        "" if digest.week is None else ", " + tr("week of {day}").format(day=long_date(digest.week))
    )
    return paginate(digest_blocks(digest=digest), title=tr("Weekly HR digest") + week)


def alert_message(
    *, team_name: str, team_key: str, week_label: str, reasons: list[str], k: int, why: str
) -> dict[str, Any]:
    """A DM about a team's new red flags (each from k+ respondents)."""
    text = "\n".join(
        [
            f"*{escape(team_name, limit=300)}* · {week_label}",
            *(f"• {escape(flag_reason(r))}" for r in reasons),
        ]
    )
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": plain(tr("Red flag"), limit=150)},
        *({"type": "section", "text": md(chunk)} for chunk in split_text(text)),
        {
            "type": "context",
            "elements": [
                md(
                    f"{escape(why)} "
                    + tr(
                        "Figures come from {k}+ people. "
                        "`/pulse report {team}` shows the team's latest pulse."
                    ).format(k=k, team=escape(team_key, limit=100))
                )
            ],
        },
    ]
    return {
        "text": truncate(
            tr("Red flag for {team}: {reason}").format(
                team=escape(team_name), reason=escape(flag_reason(reasons[0])) if reasons else ""
            ),
            3000,
        ),
        "blocks": blocks,
    }
