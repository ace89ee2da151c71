"""Twelve weeks of believable history for the demo company, written straight to the DB.

Each team has a story a people team would recognise: Support's workload is climbing and
its engagement sliding; Success recovered after a reorganisation; the rest hold steady.
CX metrics follow each team's engagement two weeks later, plus noise, so the EX↔CX link
in reports and the digest has something true to find. Answers are stored under the real
pseudonymous keys, so employees' own history (App Home, `/pulse my-data`) shows them.

`pulse demo` takes CSAT the way a real company would: ``helpdesk_export`` writes the
helpdesk's per-ticket satisfaction export (good/bad by support group), and the demo imports
it through the ``ticket_satisfaction`` preset (`pulse cx import --responses`).
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

from sqlmodel import Session, col, select, update

from insights.cxscales import normalise
from insights.questions import QuestionBank
from jobs.pulses import open_with_questions
from settings.config import AppConfig
from storage.comments import save_written_answer
from storage.cx import CxRow, upsert_metrics
from storage.models import Delivery, Employee, Membership, Pulse
from storage.org import team_by_key
from storage.pseudonym import comment_key, respondent_key
from storage.pulses import pulse_view
from storage.responses import record_answers

WEEKS = 12
MOOD = {  # engagement level (1-5 scale) per week, oldest first
    "support": [4.1 - 0.09 * w for w in range(WEEKS)],
    "success": [3.1 + 0.07 * w for w in range(WEEKS)],
}
CX_SCALE = {"csat": "0-100", "nps": "-100-100", "ces": "1-7", "fcr": "0-100"}
COMMENTS = [
    "Queues have been long every day this month; we skip training to keep up.",
    "The new macros for refunds helped a lot.",
    "Escalations to billing take days; customers notice.",
    "Great week, the team really pulled together.",
]


def seed(
    session: Session,
    *,
    config: AppConfig,
    bank: QuestionBank,
    workspace_id: int,
    slack_team_id: str,
    secret: bytes,
    now: dt.datetime,
    skip_metrics: frozenset[str] = frozenset(),
) -> int:
    """Write the history; returns how many answers it stored. Metrics in ``skip_metrics``
    get no CX values here (the demo imports them from an export)."""
    rng = random.Random(2026)
    this_monday = now.date() - dt.timedelta(days=now.weekday())
    stored = 0
    for team_cfg in config.teams:
        team = team_by_key(session, workspace_id=workspace_id, key=team_cfg.key)
        if team is None or team.id is None or team.synced_at is None:
            continue
        members = session.exec(
            select(Employee.id, Employee.slack_user_id)
            .join(Membership, col(Membership.employee_id) == Employee.id)
            .where(Membership.team_id == team.id)
        ).all()
        mood = MOOD.get(team_cfg.key, [3.8 + rng.uniform(-0.1, 0.1) for _ in range(WEEKS)])
        for week in range(WEEKS):
            monday = this_monday - dt.timedelta(weeks=WEEKS - week)
            opened = dt.datetime.combine(monday + dt.timedelta(days=1), dt.time(9), tzinfo=dt.UTC)
            made = open_with_questions(
                session,
                config=config,
                bank=bank,
                team=team,
                opened_at=opened,
                closes_at=opened + dt.timedelta(hours=72),
                deliveries=[(eid, opened) for eid, _ in members if eid is not None],
                cycle_date=monday + dt.timedelta(days=1),
            )
            session.exec(
                update(Pulse)
                .where(col(Pulse.id) == made.pulse_id)
                .values(closed_at=opened + dt.timedelta(hours=72))
            )
            session.exec(
                update(Delivery)
                .where(col(Delivery.pulse_id) == made.pulse_id)
                .values(status="sent", sent_at=opened)
            )
            stored += _answers(
                session, rng, made.pulse_id, members, mood[week], slack_team_id, secret
            )
        metrics = [m for m in team_cfg.cx_metrics if m not in skip_metrics]
        _cx(session, rng, workspace_id, team.id, metrics, mood, this_monday)
    return stored


def _answers(session, rng, pulse_id, members, level, slack_team_id, secret) -> int:  # type: ignore[no-untyped-def]
    view = pulse_view(session, pulse_id=pulse_id)
    assert view is not None
    answers: list[tuple[int, str, int]] = []
    for _, user in members:
        if rng.random() > 0.82:
            continue  # didn't answer this week
        key = respondent_key(secret, workspace=slack_team_id, user_id=user, pulse_id=pulse_id)
        for q in view.questions:
            if q.kind == "text":
                if rng.random() < 0.15:
                    body = rng.choice(COMMENTS)
                    author = comment_key(
                        secret, workspace=slack_team_id, user_id=user, pulse_id=pulse_id
                    )
                    save_written_answer(
                        session, pulse_id=pulse_id, question_id=q.id, respondent=author, body=body
                    )
                continue
            if q.kind == "nps10":
                value = round(min(10, max(0, rng.gauss((level - 1) * 2.5, 1.8))))
            else:
                value = round(min(5, max(1, rng.gauss(level, 0.8))))
            answers.append((q.id or 0, key, value))
    # stored, then the pulse sealed (storage.seal), as jobs.closing leaves a closed pulse
    record_answers(session, pulse_id=pulse_id, answers=answers)
    return len(answers)


def _cx(session, rng, workspace_id, team_id, metrics, mood, this_monday) -> None:  # type: ignore[no-untyped-def]
    rows = []
    for metric in metrics:
        scale = CX_SCALE.get(metric, "0-100")
        for week in range(WEEKS):
            lead = mood[max(0, week - 2)]  # customers feel it two weeks later
            score = min(98.0, max(5.0, 20 + (lead - 1) * 18 + rng.gauss(0, 3)))
            raw = {"-100-100": score * 2 - 100, "1-7": 7 - score / 100 * 6}.get(scale, score)
            value, _ = normalise(metric, raw, scale)
            monday = this_monday - dt.timedelta(weeks=WEEKS - week)
            rows.append(
                CxRow(team_id, metric, monday, value, round(raw, 1), scale, rng.randint(40, 160))
            )
    upsert_metrics(session, workspace_id=workspace_id, rows=rows)


HELPDESK_GROUPS = {"support": ("Support - Tier 1", "Support - Tier 2"), "billing": ("Billing",)}


def helpdesk_export(path: Path, *, now: dt.datetime, seed: int = 11) -> int:
    """The helpdesk's ticket satisfaction export of the last twelve weeks (what an admin
    downloads): one row per ticket, rated good or bad about as often as the team's mood two
    weeks earlier predicts, some only offered a survey, and a Sales group no team maps."""
    rng = random.Random(seed)
    this_monday = now.date() - dt.timedelta(days=now.weekday())
    rows = 0
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        out.write("Ticket ID,Subject,Group,Satisfaction,Rated at\r\n")
        for week in range(WEEKS):
            monday = this_monday - dt.timedelta(weeks=WEEKS - week)
            groups = [(key, g) for key, names in HELPDESK_GROUPS.items() for g in names]
            for key, group in [*groups, ("sales", "Sales")]:
                lead = MOOD.get(key, [3.8] * WEEKS)[max(0, week - 2)]
                good = min(0.98, max(0.05, (20 + (lead - 1) * 18) / 100))
                for _ in range(rng.randint(30, 80)):
                    rows += 1
                    when = dt.datetime.combine(monday, dt.time(), tzinfo=dt.UTC) + dt.timedelta(
                        seconds=rng.randrange(7 * 86400)
                    )
                    rating = (
                        "offered"
                        if rng.random() < 0.15
                        else ("good" if rng.random() < good else "bad")
                    )
                    out.write(
                        f'{50000 + rows},"Ticket {rows}, follow-up",{group},{rating},'
                        f"{when:%Y-%m-%dT%H:%M:%SZ}\r\n"
                    )
    return rows
