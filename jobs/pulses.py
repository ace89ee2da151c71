"""Open pulses: now (`pulse send-pulse`) or on schedule (the planner), writing the outbox;
close them early (`pulse close`).

One pulse per team per cycle, and never two open at once. The planner opens each team's
latest due cycle once (a database constraint on team and cycle date makes that hold across
processes), unless another pulse already used the cycle up: one still open when the cycle
began (at its date's local time, first reached at UTC+14) or opened since, such as an ad
hoc pulse. A team's pulses are opened under a lock on the team, and an ad hoc pulse is
refused while the team has one open or planned. After downtime the latest missed cycle is
opened late, with a full window from now; older missed cycles are not sent. A cycle whose
window closed before the planner first ran, or while it ran, is left alone.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from insights.choice import decide
from insights.questions import QuestionBank
from insights.rotation import choose_questions
from jobs import closing
from jobs.calendar import cycle_dates, local_instant, schedule_for, send_date, window
from settings.config import AppConfig
from settings.i18n import DEFAULT, LANGUAGES, current_language, tr, using, when_label
from storage import cocreate, commitments
from storage.models import Pulse, SchedulerState, Team
from storage.org import team_by_key
from storage.pulses import (
    current_pulse,
    eligible_members,
    lock_team,
    open_pulse,
    pulse_in_cycle,
)
from storage.questions import asked_history, retired_keys, sync_questions

log = logging.getLogger("pulse.planner")
LEAD = dt.timedelta(days=1)  # pulses are written this far ahead, deliveries due at local time


def follow_up_texts() -> dict[str, str]:
    """The commitment follow-up question in every language the bot speaks."""
    texts = {}
    for lang in LANGUAGES:
        if lang != DEFAULT:
            with using(lang):
                texts[lang] = tr("“{text}” — this commitment has made a real difference.")
    return texts


def choice_texts(bank: QuestionBank, driver: str) -> dict[str, str]:
    """The co-created choice question in every language the bot speaks (English included)."""
    found = bank.drivers.get(driver)
    texts = {}
    for lang in LANGUAGES:
        label = (found.labels.get(lang) or found.label) if found else driver
        with using(lang):
            said = tr("Your team's next commitment on {driver}: which should it be?")
        texts[lang] = said.format(driver=label)
    return texts


def settle_choices(session: Session, *, team_id: int, k: int) -> None:
    """The team's counted choices become commitments (k or more chose) or lapse."""
    for row, respondents in cocreate.counted(session, team_id=team_id):
        options = cocreate.options_of(row)
        choice = decide(json.loads(row.tally or "[]"), respondents=respondents, k=k)
        winner = None if choice.winner is None else options[choice.winner]
        cocreate.make_commitment(session, row, text=winner)


class PulseError(ValueError):
    """A pulse cannot be opened (or closed); the message says why in one sentence, in the
    reader's language (`/pulse admin`'s HR admin; English for the CLI, which sets none)."""


class AlreadyOpen(PulseError):
    """The team has a pulse open (or planned to open): a second one is refused."""

    def __init__(self, team_key: str, pulse: Pulse, now: dt.datetime) -> None:
        self.team_key, self.pulse = team_key, pulse
        said = (
            tr("team {team} already has a pulse open until {closes} (pulse {id})")
            if pulse.opened_at <= now
            else tr("team {team} already has a pulse opening {opens}, until {closes} (pulse {id})")
        )
        super().__init__(
            said.format(
                team=repr(team_key),
                opens=_utc_label(pulse.opened_at),
                closes=_utc_label(pulse.closes_at),
                id=pulse.id,
            )
        )


@dataclass(frozen=True)
class Opened:
    pulse_id: int
    team_key: str
    invited: int
    question_keys: list[str]


def open_now(
    session: Session,
    *,
    config: AppConfig,
    bank: QuestionBank,
    workspace_id: int,
    team_key: str,
    now: dt.datetime,
) -> Opened:
    """An ad hoc pulse: every eligible member's DM is due now. Refused (`AlreadyOpen`)
    while the team has a pulse open or planned."""
    team = _synced_team(session, config, workspace_id, team_key)
    lock_team(session, team_id=team.id or 0)
    current = current_pulse(session, team_id=team.id or 0, now=now)
    if current is not None:
        raise AlreadyOpen(team_key, current, now)
    members = eligible_members(session, team_id=team.id or 0, on=now.date())
    hours = schedule_for(config, team_key).open_hours
    return open_with_questions(
        session,
        config=config,
        bank=bank,
        team=team,
        opened_at=now,
        closes_at=now + dt.timedelta(hours=hours),
        deliveries=[(eid, now) for eid, _ in members],
        cycle_date=None,
    )


def plan(
    session: Session, *, config: AppConfig, bank: QuestionBank, workspace_id: int, now: dt.datetime
) -> list[Opened]:
    """Open every team's due scheduled pulse that is not open yet."""
    key = f"planner:{workspace_id}"
    state = session.get(SchedulerState, key)
    last_run = state.last_run_at if state is not None else None
    opened = []
    for team_cfg in config.teams:
        if team_cfg.usergroup is None and team_cfg.channel is None:
            continue
        team = team_by_key(session, workspace_id=workspace_id, key=team_cfg.key)
        if team is None or team.id is None or team.synced_at is None:
            continue
        schedule = schedule_for(config, team_cfg.key)
        due = [
            d
            for d in cycle_dates(
                schedule, (now - dt.timedelta(days=40)).date(), (now + LEAD).date()
            )
            if window(schedule, d)[0] <= now + LEAD
        ]
        if not due:
            continue
        cycle = due[-1]
        starts, closes = window(schedule, cycle)
        lock_team(session, team_id=team.id)
        if pulse_in_cycle(session, team_id=team.id, cycle_date=cycle, starts=starts) is not None:
            continue  # this cycle had its pulse (scheduled, ad hoc, or a late one still open)
        if current_pulse(session, team_id=team.id, now=now) is not None:
            continue  # one closes before the cycle begins: open this one after it
        newly_due = last_run is not None and starts - LEAD > last_run
        if closes <= now and not newly_due:
            continue  # its window passed while we were already running, or before first start
        day = send_date(schedule, cycle)
        members = eligible_members(session, team_id=team.id, on=day)
        deliveries = [
            (eid, max(local_instant(day, schedule.clock, tz), now)) for eid, tz in members
        ]
        if not deliveries:
            continue
        first = min(at for _, at in deliveries)
        last = max(at for _, at in deliveries)
        try:
            with session.begin_nested():
                opened.append(
                    open_with_questions(
                        session,
                        config=config,
                        bank=bank,
                        team=team,
                        opened_at=first,
                        closes_at=last + dt.timedelta(hours=schedule.open_hours),
                        deliveries=deliveries,
                        cycle_date=cycle,
                    )
                )
        except IntegrityError:  # another planner opened it first
            log.info("cycle %s of %s already opened elsewhere", cycle, team_cfg.key)
    if state is None:
        state = SchedulerState(key=key, last_run_at=now)
    state.last_run_at = now
    session.add(state)
    return opened


def close_now(
    session: Session,
    *,
    config: AppConfig,
    workspace_id: int,
    team_key: str,
    now: dt.datetime,
    secret: bytes,
) -> Pulse:
    """Close the team's open (or planned) pulse now, through the scheduled close path:
    answers stop, unsent DMs are abandoned, sent DMs are queued to show it closed."""
    team_cfg = config.team(team_key)
    if team_cfg is None:
        raise PulseError(tr("no team {team} in config.toml").format(team=repr(team_key)))
    team = team_by_key(session, workspace_id=workspace_id, key=team_key)
    pulse = None
    if team is not None and team.id is not None:
        lock_team(session, team_id=team.id)
        pulse = current_pulse(session, team_id=team.id, now=now)
    if pulse is None:
        raise PulseError(tr("team {team} has no open pulse to close").format(team=repr(team_key)))
    pulse.closes_at = now
    session.add(pulse)
    session.flush()
    closing.run(session, now=now, secret=secret, config=config)
    return pulse


def _utc_label(when: dt.datetime) -> str:
    if current_language() != DEFAULT:
        return when_label(when, "UTC")
    return when.astimezone(dt.UTC).strftime("%a %d %b %Y, %H:%M UTC")


def _without_admin_retired(session: Session, config: AppConfig, bank: QuestionBank) -> QuestionBank:
    """The bank less the questions HR retired from Slack (`/pulse admin retire`)."""
    retired = {k for k in retired_keys(session) if k in bank}
    if not retired:
        return bank
    return bank.with_overrides(
        [q.model_dump(exclude_none=True) for q in config.questions.custom],
        sorted({*config.questions.retired, *retired}),
    )


def _synced_team(session: Session, config: AppConfig, workspace_id: int, team_key: str) -> Team:
    team_cfg = config.team(team_key)
    if team_cfg is None:
        raise PulseError(tr("no team {team} in config.toml").format(team=repr(team_key)))
    if team_cfg.usergroup is None and team_cfg.channel is None:
        raise PulseError(
            tr("team {team} has no members of its own (it is a parent team)").format(
                team=repr(team_key)
            )
        )
    team = team_by_key(session, workspace_id=workspace_id, key=team_key)
    if team is None or team.id is None or team.synced_at is None:
        raise PulseError(
            tr("team {team} has not been synced yet: run `pulse teams sync`").format(
                team=repr(team_key)
            )
        )
    return team


def open_with_questions(
    session: Session,
    *,
    config: AppConfig,
    bank: QuestionBank,
    team: Team,
    opened_at: dt.datetime,
    closes_at: dt.datetime,
    deliveries: list[tuple[int, dt.datetime]],
    cycle_date: dt.date | None,
) -> Opened:
    """Open one pulse for ``team``: choose its questions (the bank less retired ones, plus a
    commitment's follow-up question when one is due), write the pulse with ``deliveries``
    ((employee id, when to send) each), and mark the team's new commitments announced.

    Checks nothing about what is already open: ``open_now`` and ``plan`` lock the team and
    check first; the demo history (cli.demo_history) writes past pulses with it."""
    assert team.id is not None
    rows = sync_questions(session, bank.active())
    bank = _without_admin_retired(session, config, bank)
    settle_choices(session, team_id=team.id, k=config.privacy.min_group_size)
    followup = next(iter(commitments.to_follow_up(session, team_id=team.id)), None)
    proposal = cocreate.waiting(session, team_id=team.id)
    size = config.pulse.questions_per_pulse - (1 if followup else 0) - (1 if proposal else 0)
    keys = choose_questions(
        bank,
        history=asked_history(session, team_id=team.id),
        size=max(size, 3),
        enps_every=config.pulse.enps_every,
    )
    question_ids = [rows[k].id for k in keys if rows[k].id is not None]
    if followup is not None:
        extra = commitments.followup_question(session, followup, translations=follow_up_texts())
        question_ids.append(extra.id)
        keys.append(extra.key)
    if proposal is not None:
        choice = cocreate.choice_question(
            session, proposal, texts=choice_texts(bank, proposal.driver), english=DEFAULT
        )
        question_ids.append(choice.id)
        keys.append(choice.key)
    announce = commitments.to_announce(session, team_id=team.id)
    pulse = open_pulse(
        session,
        workspace_id=team.workspace_id,
        team_id=team.id,
        question_ids=question_ids,  # type: ignore[arg-type]
        opened_at=opened_at,
        closes_at=closes_at,
        deliveries=deliveries,
        cycle_date=cycle_date,
    )
    assert pulse.id is not None
    if followup is not None:
        followup.followup_pulse_id = pulse.id
        followup.followup_question_id = question_ids[-2 if proposal else -1]
        session.add(followup)
    if proposal is not None:
        proposal.vote_pulse_id, proposal.vote_question_id = pulse.id, question_ids[-1]
        session.add(proposal)
    for commitment in announce:
        commitment.announced_pulse_id = pulse.id
        session.add(commitment)
    return Opened(pulse_id=pulse.id, team_key=team.key, invited=len(deliveries), question_keys=keys)
