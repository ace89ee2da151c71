"""Open a pulse for a team: choose questions by rotation, write the outbox."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session

from bot.config import AppConfig
from insights.questions import QuestionBank
from insights.rotation import choose_questions
from storage.org import team_by_key
from storage.pulses import open_pulse
from storage.questions import asked_history, sync_questions


class PulseError(ValueError):
    """A pulse cannot be opened; the message says why in one sentence."""


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
    team = team_by_key(session, workspace_id=workspace_id, key=team_key)
    if config.team(team_key) is None:
        raise PulseError(f"no team {team_key!r} in config.toml")
    if team is None or team.id is None or team.synced_at is None:
        raise PulseError(f"team {team_key!r} has not been synced yet: run `pulse teams sync`")
    rows = sync_questions(session, bank.active())
    keys = choose_questions(
        bank,
        history=asked_history(session, team_id=team.id),
        size=config.pulse.questions_per_pulse,
        enps_every=config.pulse.enps_every,
    )
    pulse, invited = open_pulse(
        session,
        workspace_id=workspace_id,
        team_id=team.id,
        question_ids=[rows[k].id for k in keys if rows[k].id is not None],  # type: ignore[misc]
        opened_at=now,
        closes_at=now + dt.timedelta(hours=config.pulse.open_hours),
    )
    assert pulse.id is not None
    return Opened(pulse_id=pulse.id, team_key=team_key, invited=invited, question_keys=keys)
