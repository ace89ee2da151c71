"""Commitments made and kept, for the HR digest: did managers close the loop?

A commitment is *kept* when its follow-up question ("this commitment has made a real
difference") was answered by at least k people with an average of 3.5 / 5 or more (agree);
below k answers the outcome is not shown. Commitment texts are public to the team already.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from sqlmodel import Session, col, select

from insights.privacy import visible
from settings.config import AppConfig
from settings.i18n import ngettext, number, tr
from storage.commitments import CommitmentStatus, for_team
from storage.models import Commitment, Team

KEPT_FROM = 3.5  # follow-up mean (1–5) from which the team agrees it made a difference
PER_TEAM = 20  # a team's latest commitments considered


@dataclass(frozen=True)
class CommitmentLine:
    team: str  # team name
    text: str
    driver: str  # label
    made: dt.date
    outcome: str  # "kept", "not felt yet", "withheld", "pending"
    mean: float | None  # follow-up mean, only from k+ answers
    answers: int | None  # follow-up answers, only when k+ (else None)


def followup_outcome(status: CommitmentStatus, k: int) -> tuple[str, float | None, int | None]:
    """("pending" | "withheld" | "kept" | "not felt yet", mean, answers): figures from k+ only.

    Pending until the follow-up pulse closes; then withheld below k answers (none or a few,
    alike), so the outcome never tells whether anyone at all answered."""
    if status.commitment.followup_pulse_id is None or not status.followup_closed:
        return "pending", None, None
    if not visible(status.followup_n, k) or status.followup_mean is None:
        return "withheld", None, None
    kept = is_kept(status.followup_mean)
    return ("kept" if kept else "not felt yet"), status.followup_mean, status.followup_n


def is_kept(mean: float) -> bool:
    """The one kept / not-kept rule, for the digest's count and every follow-up line."""
    return mean >= KEPT_FROM


def followup_words(mean: float, answers: int) -> str:
    """A follow-up figure with what it means under the kept rule, worded neutrally: a mean is
    what the team answered, not a claim that the commitment made a difference."""
    said = (
        ngettext(
            "follow-up: {mean} / 5 from {n} person; the team says it was kept ({rule})",
            "follow-up: {mean} / 5 from {n} people; the team says it was kept ({rule})",
            answers,
        )
        if is_kept(mean)
        else ngettext(
            "follow-up: {mean} / 5 from {n} person; the team does not say it was kept ({rule})",
            "follow-up: {mean} / 5 from {n} people; the team does not say it was kept ({rule})",
            answers,
        )
    )
    rule = tr("kept = {score} or more").format(
        score=number(KEPT_FROM, digits=0 if int(KEPT_FROM) == KEPT_FROM else 1)
    )
    return said.format(mean=number(mean, digits=1), n=answers, rule=rule)


def commitment_lines(
    session: Session,
    *,
    config: AppConfig,
    workspace_id: int,
    now: dt.datetime,
    weeks: int,
    labels: Mapping[str, str],
) -> list[CommitmentLine]:
    """Commitments made in the last ``weeks`` weeks before ``now``, newest first."""
    since = now - dt.timedelta(weeks=weeks)
    teams = session.exec(
        select(Team.id, Team.name)
        .join(Commitment, col(Commitment.team_id) == Team.id)
        .where(Team.workspace_id == workspace_id, col(Commitment.created_at) >= since)
        .distinct()
    ).all()
    k = config.privacy.min_group_size
    lines = []
    for team_id, name in teams:
        for status in for_team(session, team_id=team_id or 0, now=now, limit=PER_TEAM):
            made = status.commitment.created_at
            if not since <= made <= now:
                continue
            outcome, mean, answers = followup_outcome(status, k)
            driver = status.commitment.driver
            lines.append(
                CommitmentLine(
                    name,
                    status.commitment.text,
                    labels.get(driver, driver),
                    made.date(),
                    outcome,
                    mean,
                    answers,
                )
            )
    return sorted(lines, key=lambda c: (c.made, c.team), reverse=True)
