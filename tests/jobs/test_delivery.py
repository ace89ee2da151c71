"""Exactly one pulse DM per person, through 429s, server errors, timeouts and crashes."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine
from sqlmodel import col, select

from bot.messages import SlackMessages
from jobs import sync
from jobs.delivery import Sender
from jobs.posting import METADATA_EVENT
from jobs.pulses import open_now
from sandbox import company
from sandbox.server import SandboxServer
from settings.runtime import Settings
from settings.slack import make_client
from storage import outbox
from storage.db import session_scope
from storage.models import Delivery, Employee
from storage.org import workspace_by_slack_id

SUPPORT = company.team_members("support")


def _open(engine: Engine, client, settings: Settings, team: str = "support") -> int:  # type: ignore[no-untyped-def]
    now = dt.datetime.now(dt.UTC)
    with session_scope(engine) as s:
        sync.run(s, client, settings.config, now)
        ws = workspace_by_slack_id(s, slack_team_id="T0SANDBOX")
        opened = open_now(
            s,
            config=settings.config,
            bank=settings.bank,
            workspace_id=ws.id,
            team_key=team,
            now=now,
        )
    return opened.pulse_id


def _sender(
    engine: Engine, settings: Settings, *, worker: str = "w1", timeout: int = 5, **kw
) -> Sender:  # type: ignore[no-untyped-def]
    return Sender(
        engine,
        make_client(settings, retries=False, timeout=timeout),
        worker=worker,
        k=5,
        messages=SlackMessages(),
        **kw,
    )


def _dm_counts(sandbox: SandboxServer, pulse_id: int) -> dict[str, int]:
    counts = {}
    for user in SUPPORT:
        tagged = [
            m
            for m in sandbox.workspace.dm_messages(user)
            if (m.get("metadata") or {}).get("event_payload", {}).get("pulse_id") == pulse_id
        ]
        counts[user] = len(tagged)
    return counts


def test_each_member_gets_one_dm_carrying_the_pulse_id(
    engine: Engine, client, settings: Settings, sandbox: SandboxServer
) -> None:
    pulse_id = _open(engine, client, settings)
    stats = _sender(engine, settings).drain(pulse_id=pulse_id, timeout=30)
    assert (stats.sent, stats.failed) == (12, 0)
    assert set(_dm_counts(sandbox, pulse_id).values()) == {1}
    dm = sandbox.workspace.dm_messages(SUPPORT[0])[0]
    assert dm["metadata"]["event_type"] == METADATA_EVENT
    with session_scope(engine) as s:
        rows = s.exec(select(Delivery).where(Delivery.pulse_id == pulse_id)).all()
    assert {r.status for r in rows} == {"sent"}
    assert all(r.message_ts and r.channel_id.startswith("D") for r in rows)


def test_rate_limits_are_waited_out_without_losing_or_doubling(
    engine: Engine, client, settings: Settings, sandbox: SandboxServer
) -> None:
    pulse_id = _open(engine, client, settings)
    sandbox.set_rate_limit("chat.postMessage", 4)
    stats = _sender(engine, settings).drain(pulse_id=pulse_id, timeout=60)
    assert stats.sent == 12
    assert set(_dm_counts(sandbox, pulse_id).values()) == {1}
    statuses = [c["status"] for c in sandbox.workspace.calls("chat.postMessage")]
    assert 429 in statuses  # the limit really bit


def test_server_errors_and_lost_replies_never_produce_a_second_dm(
    engine: Engine, client, settings: Settings, sandbox: SandboxServer
) -> None:
    pulse_id = _open(engine, client, settings)
    sandbox.inject_fault("chat.postMessage", "http_500", times=2)
    # Slack stores the message but the reply never arrives in time: the classic duplicate.
    sandbox.inject_fault("chat.postMessage", "timeout_after", times=2, delay=2.0)
    stats = _sender(engine, settings, timeout=1).drain(pulse_id=pulse_id, timeout=120)
    assert (stats.sent, stats.failed) == (12, 0)
    assert stats.recovered == 2  # found in the DM history instead of re-posting
    assert set(_dm_counts(sandbox, pulse_id).values()) == {1}


def test_a_crashed_workers_claims_are_finished_once_by_another(
    engine: Engine, client, settings: Settings, sandbox: SandboxServer
) -> None:
    pulse_id = _open(engine, client, settings)
    now = dt.datetime.now(dt.UTC)
    with session_scope(engine) as s:
        claims = outbox.claim_due(
            s, worker="dead", now=now, limit=100, lease=dt.timedelta(minutes=5)
        )
    for claim in claims[:5]:  # it posted five DMs, then was killed before recording them
        client.chat_postMessage(
            channel=claim.slack_user_id,
            text="pulse",
            metadata={"event_type": METADATA_EVENT, "event_payload": {"pulse_id": pulse_id}},
        )
    later = now + dt.timedelta(minutes=6)
    stats = _sender(engine, settings, clock=lambda: later).drain(pulse_id=pulse_id, timeout=30)
    assert (stats.sent, stats.recovered) == (12, 5)
    assert set(_dm_counts(sandbox, pulse_id).values()) == {1}


def test_permanent_failures_are_recorded_not_retried(
    engine: Engine, client, settings: Settings, sandbox: SandboxServer
) -> None:
    sandbox.workspace.set_dm_blocked(SUPPORT[2])
    pulse_id = _open(engine, client, settings)
    stats = _sender(engine, settings).drain(pulse_id=pulse_id, timeout=30)
    assert (stats.sent, stats.failed) == (11, 1)
    with session_scope(engine) as s:
        assert outbox.status_counts(s, pulse_id=pulse_id) == {"sent": 11, "failed": 1}
        failed = s.exec(select(Delivery).where(Delivery.status == "failed")).one()
    assert failed.error == "messages_tab_disabled" and failed.attempts == 1


def test_people_who_opted_out_or_paused_after_the_pulse_opened_are_skipped(
    engine: Engine, client, settings: Settings, sandbox: SandboxServer
) -> None:
    pulse_id = _open(engine, client, settings)
    today = dt.datetime.now(dt.UTC).date()
    with session_scope(engine) as s:
        people = s.exec(select(Employee).where(col(Employee.slack_user_id).in_(SUPPORT[:3])))
        by_id = {e.slack_user_id: e for e in people}
        by_id[SUPPORT[0]].opted_out = True
        by_id[SUPPORT[1]].paused_until = today + dt.timedelta(days=7)
        by_id[SUPPORT[2]].paused_until = today - dt.timedelta(days=2)  # back from the pause
        s.add_all(by_id.values())
    stats = _sender(engine, settings).drain(pulse_id=pulse_id, timeout=30)
    assert (stats.sent, stats.skipped) == (10, 2)
    counts = _dm_counts(sandbox, pulse_id)
    assert (counts[SUPPORT[0]], counts[SUPPORT[1]], counts[SUPPORT[2]]) == (0, 0, 1)
    with session_scope(engine) as s:
        assert outbox.status_counts(s, pulse_id=pulse_id) == {"sent": 10, "skipped": 2}
        skipped = s.exec(select(Delivery.error).where(Delivery.status == "skipped")).all()
    assert sorted(skipped) == ["opted_out", "paused"]
