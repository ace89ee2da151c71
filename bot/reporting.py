"""`/pulse report [team]`: authorise, aggregate in SQL, apply the k guard, render."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import Session

from bot.access import can_view_team, viewable_teams
from bot.blocks import commitments as commitment_blocks
from bot.blocks import report
from bot.config import AppConfig
from bot.dm import local_label
from insights.privacy import visible, visible_groups, withheld_sentence
from storage import commitments
from storage.comments import pulse_comments
from storage.org import team_by_key, workspace_by_slack_id
from storage.pulses import is_open, latest_pulse
from storage.responses import pulse_aggregate


def team_report(
    session: Session,
    *,
    config: AppConfig,
    slack_team_id: str,
    user_id: str,
    team_key: str | None,
    now: dt.datetime,
    driver_labels: dict[str, str] | None = None,
) -> dict[str, Any]:
    k = config.privacy.min_group_size
    ws = workspace_by_slack_id(session, slack_team_id=slack_team_id)
    if ws is None or ws.id is None:
        return report.message("This Slack workspace isn't set up for Oxygen Pulse.")
    mine = viewable_teams(config, user_id)
    if team_key is None:
        if not mine:
            return report.message(
                "Reports are for team managers and HR, and you're not listed as either. "
                "Your own answers stay private to you."
            )
        team_key = mine[0]
    team_cfg = config.team(team_key)
    if team_cfg is None:
        known = ", ".join(f"`{t}`" for t in mine) or "none"
        return report.message(f"There is no team `{team_key}`. Teams you can see: {known}.")
    if not can_view_team(config, user_id, team_key):
        return report.message(
            f"Sorry, only the managers of *{team_cfg.name}* and HR can see its report."
        )
    if team_cfg.usergroup is None and team_cfg.channel is None:
        return _department_report(session, config=config, workspace_id=ws.id, department=team_key)
    team = team_by_key(session, workspace_id=ws.id, key=team_key)
    pulse = latest_pulse(session, team_id=team.id) if team and team.id else None
    if pulse is None or pulse.id is None:
        return report.message(f"No pulse has run for *{team_cfg.name}* yet.")
    agg = pulse_aggregate(session, pulse_id=pulse.id)
    if not visible(agg.respondents, k):
        return report.message(f"*{team_cfg.name}* · latest pulse\n" + withheld_sentence(k=k))
    state = "open until" if is_open(pulse, now) else "closed"
    when = local_label(pulse.closes_at, "UTC")
    return report.team_report(
        team_name=team_cfg.name,
        pulse_label=f"Pulse of {pulse.opened_at:%d %b %Y} · {state} {when}",
        respondents=agg.respondents,
        participation=agg.respondents / agg.invited if agg.invited else 0.0,
        lines=[
            report.QuestionLine(
                text=q.text, kind=q.kind, n=q.n, mean=q.mean if visible(q.n, k) else None
            )
            for q in agg.questions
            if q.kind != "text"
        ],
        k=k,
        comments=pulse_comments(session, pulse_id=pulse.id),
        extra=commitment_blocks.report_section(
            [
                (
                    c.commitment.text,
                    (driver_labels or {}).get(c.commitment.driver, c.commitment.driver),
                    f"{c.commitment.created_at:%d %b}",
                    c.followup_n,
                    c.followup_mean if visible(c.followup_n, k) else None,
                )
                for c in commitments.for_team(session, team_id=team.id or 0)
            ],
            team_key=team_key,
            k=k,
        ),
        other_teams=[config.team(t).name for t in mine if t != team_key and config.team(t)],  # type: ignore[union-attr]
    )


def _department_report(
    session: Session, *, config: AppConfig, workspace_id: int, department: str
) -> dict[str, Any]:
    """Each team's latest pulse under a department, with the differencing guard applied."""
    k = config.privacy.min_group_size
    below = [t for t in config.teams if department in config.ancestors(t.key)]
    counts: dict[str, int] = {department: 0, **{t.key: 0 for t in below}}
    invited: dict[str, int] = dict.fromkeys(counts, 0)
    asked: set[str] = set()
    parents = {department: None, **{t.key: t.parent for t in below}}
    for team_cfg in below:
        team = team_by_key(session, workspace_id=workspace_id, key=team_cfg.key)
        pulse = latest_pulse(session, team_id=team.id) if team and team.id else None
        if pulse is None or pulse.id is None:
            continue
        agg = pulse_aggregate(session, pulse_id=pulse.id)
        asked.add(team_cfg.key)
        for key in [team_cfg.key, *config.ancestors(team_cfg.key)]:
            if key in counts:
                counts[key] += agg.respondents
                invited[key] += agg.invited
    shown = visible_groups(counts, parents, k)
    name = config.team(department).name  # type: ignore[union-attr]
    if department not in shown:
        return report.message(f"*{name}* · latest pulses\n" + withheld_sentence(k=k))
    return report.department_report(
        name=name,
        total=(counts[department], invited[department]),
        teams=[
            (t.name, (counts[t.key], invited[t.key]) if t.key in shown else None)
            for t in below
            if t.key in asked
        ],
        k=k,
    )
