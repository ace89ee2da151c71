"""One gentle reminder before close, only to those who have not answered; closing on time."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine
from sqlmodel import select

from bot.messages import SlackMessages
from jobs import closing, reminders, sync
from jobs.delivery import Sender
from jobs.pulses import open_now
from sandbox import company
from sandbox.server import SandboxServer
from settings.runtime import Settings
from settings.slack import make_client
from storage.db import session_scope
from storage.held import hold_answer
from storage.models import Delivery, Pulse
from storage.org import workspace_by_slack_id
from storage.pseudonym import Respondent
from storage.pulses import pulse_view

ONBOARDING = company.team_members("onboarding")


def _delivered_pulse(engine: Engine, client, settings: Settings, now: dt.datetime) -> int:  # type: ignore[no-untyped-def]
    with session_scope(engine) as s:
        sync.run(s, client, settings.config, now)
        ws = workspace_by_slack_id(s, slack_team_id="T0SANDBOX")
        opened = open_now(
            s,
            config=settings.config,
            bank=settings.bank,
            workspace_id=ws.id,
            team_key="onboarding",
            now=now,
        )
    sender = Sender(
        engine, make_client(settings, retries=False), worker="t", k=5, messages=SlackMessages()
    )
    sender.drain(pulse_id=opened.pulse_id, timeout=30)
    return opened.pulse_id


def _reminded(sandbox: SandboxServer) -> set[str]:
    return {
        user
        for user in ONBOARDING
        if any("gentle reminder" in m["text"] for m in sandbox.workspace.dm_messages(user))
    }


def test_reminder_goes_once_and_only_to_people_who_have_not_answered(
    engine: Engine, client, settings: Settings, sandbox: SandboxServer
) -> None:
    now = dt.datetime.now(dt.UTC)
    pulse_id = _delivered_pulse(engine, client, settings, now)
    secret = settings.secret()
    with session_scope(engine) as s:
        qid = pulse_view(s, pulse_id=pulse_id).questions[0].id
        for user in ONBOARDING[:3]:
            who = Respondent(secret, workspace="T0SANDBOX", user_id=user, pulse_id=pulse_id)
            hold_answer(s, respondent=who, question_id=qid, value=4)
    early = now + dt.timedelta(hours=12)  # open_hours 72, reminder 24 h before close
    assert (
        reminders.run(
            engine,
            client,
            config=settings.config,
            secret=secret,
            now=early,
            messages=SlackMessages(),
        )
        == 0
    )
    due = now + dt.timedelta(hours=49)
    sent = reminders.run(
        engine, client, config=settings.config, secret=secret, now=due, messages=SlackMessages()
    )
    assert sent == len(ONBOARDING) - 3
    assert _reminded(sandbox) == set(ONBOARDING[3:])
    again = due + dt.timedelta(hours=1)
    assert (
        reminders.run(
            engine,
            client,
            config=settings.config,
            secret=secret,
            now=again,
            messages=SlackMessages(),
        )
        == 0
    )
    assert "closes" in sandbox.workspace.dm_messages(ONBOARDING[4])[-1]["text"]


def test_pulses_close_on_time_and_abandon_unsent_dms(
    engine: Engine, client, settings: Settings, sandbox: SandboxServer
) -> None:
    now = dt.datetime.now(dt.UTC)
    pulse_id = _delivered_pulse(engine, client, settings, now)
    with session_scope(engine) as s:
        late = s.exec(select(Delivery).where(Delivery.pulse_id == pulse_id)).first()
        late.status = "pending"
        s.add(late)
    with session_scope(engine) as s:
        assert closing.run(s, now=now + dt.timedelta(hours=71), secret=b"k") == []
        assert closing.run(s, now=now + dt.timedelta(hours=72), secret=b"k") == [pulse_id]
    with session_scope(engine) as s:
        assert s.get(Pulse, pulse_id).closed_at is not None
        assert s.get(Delivery, late.id).error == "pulse_closed"
        assert closing.run(s, now=now + dt.timedelta(hours=80), secret=b"k") == []
