"""`/pulse report [team] [weeks]`: authorise, gather guarded figures, render one or more replies.

Every weekly figure, the EX↔CX link and the perception gap come from one load of the figures
pipeline (figures.pipeline: pulses and questions with k+ answers, one privacy rule over the
team tree); the latest pulse's question means and comments are shown only from k+ respondents.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import Session

from bot import ids
from bot.access import can_view_team, is_hr_admin, viewable_teams
from bot.blocks import cocreate as cocreate_blocks
from bot.blocks import commitments as commitment_blocks
from bot.blocks import report
from bot.blocks.reply import message
from bot.blocks.report_picker import report_picker
from bot.blocks.sentences import withheld
from bot.blocks.text import escape
from bot.report_args import (
    DEFAULT_WEEKS,
    MAX_WEEKS,
    NOT_A_MANAGER,
    Choose,
    Refused,
    read_report_args,
    unknown_team,
)
from bot.segment_reporting import segment_reply
from figures import ready
from figures.cocreate import proposal_lines
from figures.commitments import followup_outcome
from figures.link_sentences import after_colon
from figures.teams import load_team_figures
from insights.privacy import visible, withheld_sentence
from insights.scores import ORG
from jobs.calendar import local_label
from settings.config import AppConfig
from settings.i18n import (
    N_,
    current_language,
    long_date,
    month_label,
    month_short,
    percent,
    short_date,
    tr,
)
from storage import commitments
from storage.comments import pulse_comment_rows
from storage.models import Pulse, Question
from storage.org import team_by_key, workspace_by_slack_id
from storage.pulses import is_open, latest_pulse
from storage.questions import localized
from storage.responses import pulse_aggregate

OPEN_SENTENCE = N_(
    "Results appear once it has closed with at least {k} answers: figures that moved with "
    "every answer would let anyone compare them before and after one person answered."
)
Messages = list[dict[str, Any]]
NOT_SET_UP = N_("This Slack workspace isn't set up for Oxygen Pulse.")


def report_command(
    session: Session,
    *,
    config: AppConfig,
    slack_team_id: str,
    user_id: str,
    args: list[str],
    now: dt.datetime,
    driver_labels: dict[str, str] | None = None,
    secret: bytes | None = None,
) -> Messages:
    """`/pulse report …`: the report asked for, a choice of teams, or what would work.
    ``secret`` (PULSE_SECRET) opens the segment atoms a cut is audited on (none: no cell)."""
    if workspace_by_slack_id(session, slack_team_id=slack_team_id) is None:
        return [message(NOT_SET_UP)]
    wanted = read_report_args(config, user_id=user_id, args=args)
    if isinstance(wanted, Refused):
        return [message(wanted.text)]
    if isinstance(wanted, Choose):
        return [report_picker(teams=wanted.teams, weeks=wanted.weeks)]
    if wanted.segment is not None:
        return segment_reply(
            session,
            config=config,
            slack_team_id=slack_team_id,
            user_id=user_id,
            team_key=wanted.team,
            segment=wanted.segment,
            now=now,
            driver_labels=driver_labels,
            secret=secret,
        )
    return team_report(
        session,
        config=config,
        slack_team_id=slack_team_id,
        user_id=user_id,
        team_key=wanted.team,
        now=now,
        weeks=wanted.weeks,
        driver_labels=driver_labels,
    )


def picked_report(
    session: Session,
    *,
    config: AppConfig,
    slack_team_id: str,
    user_id: str,
    raw_value: str,
    now: dt.datetime,
    driver_labels: dict[str, str] | None = None,
) -> Messages:
    """A team chosen in the picker: the same report the command gives, access checked again
    (a button's value comes from the client)."""
    picked = ids.parse_report_value(raw_value)
    if picked is None or not 1 <= picked[1] <= MAX_WEEKS:
        return [message(tr("That choice no longer works: type `/pulse report` again."))]
    return team_report(
        session,
        config=config,
        slack_team_id=slack_team_id,
        user_id=user_id,
        team_key=picked[0],
        now=now,
        weeks=picked[1],
        driver_labels=driver_labels,
    )


def team_report(
    session: Session,
    *,
    config: AppConfig,
    slack_team_id: str,
    user_id: str,
    team_key: str | None,
    now: dt.datetime,
    weeks: int = DEFAULT_WEEKS,
    driver_labels: dict[str, str] | None = None,
) -> Messages:
    """The replies to send, in order (usually one; a big department may need several)."""
    ws = workspace_by_slack_id(session, slack_team_id=slack_team_id)
    if ws is None or ws.id is None:
        return [message(tr(NOT_SET_UP))]
    mine = viewable_teams(config, user_id)
    if team_key in (None, ORG) and is_hr_admin(config, user_id):
        key, name, below = ORG, tr("All teams"), [t.key for t in config.teams]
    else:
        team_key = team_key or (mine[0] if mine else None)
        team_cfg = config.team(team_key) if team_key else None
        if team_key is None or team_cfg is None or not can_view_team(config, user_id, team_key):
            return [message(_refusal(config, team_key, mine))]
        if team_cfg.usergroup is not None or team_cfg.channel is not None:
            others = [t.name for k in mine if k != team_key and (t := config.team(k))]
            return _team(
                session,
                config=config,
                workspace_id=ws.id,
                weeks=weeks,
                key=team_key,
                now=now,
                labels=driver_labels or {},
                others=others,
            )
        key, name = team_key, team_cfg.name
        below = [t.key for t in config.teams if team_key in config.ancestors(t.key)]
    return _department(
        session,
        config=config,
        workspace_id=ws.id,
        weeks=weeks,
        now=now,
        key=key,
        name=name,
        below=below,
    )


def _refusal(config: AppConfig, team_key: str | None, mine: list[str]) -> str:
    """Why there is no report; a team the person may not see gets the same answer as one
    that does not exist."""
    if not mine:
        return NOT_A_MANAGER
    return unknown_team(team_key or "", [(k, t.name) for k in mine if (t := config.team(k))])


def _team(
    session: Session,
    *,
    config: AppConfig,
    workspace_id: int,
    weeks: int,
    key: str,
    now: dt.datetime,
    labels: dict[str, str],
    others: list[str],
) -> Messages:
    k, team_cfg = config.privacy.min_group_size, config.team(key)
    assert team_cfg is not None
    team = team_by_key(session, workspace_id=workspace_id, key=key)
    pulse = latest_pulse(session, team_id=team.id) if team and team.id else None
    if pulse is None or pulse.id is None:
        return [
            message(
                tr("No pulse has run for *{team}* yet.").format(
                    team=escape(team_cfg.name, limit=300)
                )
            )
        ]
    kept = ready.team_report_figures(
        session, config=config, workspace_id=workspace_id, key=key, weeks=weeks, now=now
    )
    fig = kept.team
    latest = _latest(session, pulse=pulse, k=k, now=now)
    if latest.withheld is not None and fig.period is None:
        head = tr("*{team}* · latest pulse, {label}").format(
            team=escape(team_cfg.name, limit=300), label=latest.label
        )
        return [message(f"{head}\n{latest.withheld}")]
    made = commitments.for_team(session, team_id=team.id or 0, now=now) if team else []
    return report.team_report(
        team_name=team_cfg.name,
        fig=fig,
        k=k,
        pulse=latest,
        links=_links(kept.links),
        driver_labels=labels,
        extra=commitment_blocks.report_section(
            [
                (
                    c.commitment.text,
                    labels.get(c.commitment.driver, c.commitment.driver),
                    short_date(c.commitment.created_at.date()),
                    *followup_outcome(c, k),
                )
                for c in made
            ],
            team_key=key,
            k=k,
        )
        + cocreate_blocks.report_blocks(
            proposal_lines(session, team_id=team.id or 0, k=k, labels=labels) if team else [],
            team_key=key,
            k=k,
        ),
        other_teams=others,
    )


def _latest(session: Session, *, pulse: Pulse, k: int, now: dt.datetime) -> report.LatestPulse:
    """The latest pulse's figures once it has closed with k+ respondents; else why not.

    While a pulse is open its figures would move with every answer, and comparing two looks
    would give away one person's answers: only how many have answered so far is shown (k+).
    """
    agg = pulse_aggregate(session, pulse_id=pulse.id or 0)
    if is_open(pulse, now):
        label = tr("opened {day} · open until {when}").format(
            day=long_date(pulse.opened_at.date()), when=local_label(pulse.closes_at, "UTC")
        )
        so_far = ""
        if visible(agg.respondents, k) and agg.invited:
            so_far = tr("{share} of the team have answered so far.").format(
                share=percent(agg.respondents / agg.invited)
            )
            so_far += " "
        return report.LatestPulse(label=label, withheld=so_far + tr(OPEN_SENTENCE).format(k=k))
    closed = min(pulse.closed_at or pulse.closes_at, pulse.closes_at)
    label = tr("opened {day} · closed {when}").format(
        day=long_date(pulse.opened_at.date()), when=local_label(closed, "UTC")
    )
    if not visible(agg.respondents, k):
        return report.LatestPulse(label=label, withheld=withheld(withheld_sentence(k=k)))
    rows = pulse_comment_rows(session, pulse_id=pulse.id or 0)
    return report.LatestPulse(
        label=label,
        respondents=agg.respondents,
        participation=agg.respondents / agg.invited if agg.invited else 0.0,
        lines=[
            report.QuestionLine(
                text=_question_text(session, q.question_id, q.text),
                kind=q.kind,
                n=q.n,
                mean=q.mean if visible(q.n, k) else None,
            )
            for q in agg.questions
            if q.kind != "text"
        ],
        comments=[(prompt, body) for _, prompt, body in rows],
        comment_ids=[cid for cid, _, _ in rows],
    )


def _question_text(session: Session, question_id: int, text: str) -> str:
    """The question as the reader reads it (English when it has no text in their language)."""
    row = session.get(Question, question_id)
    return localized(row, current_language())[0] if row is not None else text


def _period(start: dt.date, cadence: str) -> str:
    """A CX period as a report names it: week of 02 Nov, November 2026, quarter from Oct 2026."""
    if cadence == "monthly":
        return month_label(start)
    if cadence == "quarterly":
        return tr("quarter from {month}").format(month=month_short(start))
    return tr("week of {day}").format(day=short_date(start))


def _links(links: tuple[ready.LinkSummary, ...]) -> list[report.LinkLine]:
    """Per linked CX metric: its link sentence and the latest perception gap of the window,
    in the reader's language."""
    out = []
    for link in links:
        said = None
        if link.gap_period is not None and link.gap is not None:
            said = tr("Perception gap, {period}: {said}.").format(
                period=_period(link.gap_period, link.cadence), said=after_colon(link.gap.sentence)
            )
        out.append(report.LinkLine(metric=link.name, link=link.sentence, gap=said))
    return out


def _department(
    session: Session,
    *,
    config: AppConfig,
    workspace_id: int,
    weeks: int,
    key: str,
    name: str,
    below: list[str],
    now: dt.datetime,
) -> Messages:
    """A department's (or, for HR, the whole org's) own figures and every team below it."""
    k = config.privacy.min_group_size
    figs = load_team_figures(
        session,
        config=config,
        workspace_id=workspace_id,
        teams=[key, *below],
        weeks=weeks,
        now=now,
    )
    teams = [(config.team(t).name, figs[t]) for t in below if config.team(t)]  # type: ignore[union-attr]
    if figs[key].period is None and all(f.period is None for _, f in teams):
        span = "week" if weeks == 1 else f"{weeks} weeks"
        head = f"*{escape(name, limit=300)}* · last {span}"
        return [message(f"{head}\n{withheld(withheld_sentence(k=k))}")]
    return report.department_report(name=name, fig=figs[key], teams=teams, k=k)
