"""A closed pulse updates every DM it sent, once: no buttons, when it closed, and turnout
only from k people; through lost replies, crashes and repeated sweeps."""

from __future__ import annotations

import datetime as dt
import json
import time

from sqlalchemy import Engine
from sqlmodel import select

from bot.messages import SlackMessages
from jobs import closing, pulses, sync
from jobs.delivery import Sender
from jobs.posting import METADATA_EVENT
from sandbox import company
from sandbox.server import SandboxServer
from settings.runtime import Settings
from settings.slack import make_client
from storage import closed_dms, outbox
from storage.db import session_scope
from storage.models import Delivery
from storage.org import workspace_by_slack_id
from storage.pseudonym import respondent_key
from storage.pulses import pulse_view
from storage.responses import record_answer

SUPPORT = company.team_members("support")
LATER = dt.timedelta(seconds=10)  # past the grace that closing updates wait


def _sent_pulse(engine: Engine, client, settings: Settings, answering: int) -> int:  # type: ignore[no-untyped-def]
    """A support pulse delivered to all 12, answered by the first `answering` people."""
    now = dt.datetime.now(dt.UTC)
    with session_scope(engine) as s:
        sync.run(s, client, settings.config, now)
        ws = workspace_by_slack_id(s, slack_team_id="T0SANDBOX")
        opened = pulses.open_now(
            s,
            config=settings.config,
            bank=settings.bank,
            workspace_id=ws.id,
            team_key="support",
            now=now,
        )
    _sender(engine, settings, rate=200).drain(pulse_id=opened.pulse_id, timeout=30)
    with session_scope(engine) as s:
        question = pulse_view(s, pulse_id=opened.pulse_id).questions[0]
        for user in SUPPORT[:answering]:
            key = respondent_key(
                settings.secret(), workspace="T0SANDBOX", user_id=user, pulse_id=opened.pulse_id
            )
            record_answer(
                s, pulse_id=opened.pulse_id, question_id=question.id, respondent=key, value=4
            )
    return opened.pulse_id


def _close(engine: Engine, settings: Settings) -> None:
    with session_scope(engine) as s:
        ws = workspace_by_slack_id(s, slack_team_id="T0SANDBOX")
        pulses.close_now(
            s,
            config=settings.config,
            workspace_id=ws.id,
            team_key="support",
            now=dt.datetime.now(dt.UTC),
            secret=settings.secret(),
        )


def _sender(engine: Engine, settings: Settings, *, timeout: int = 5, **kw) -> Sender:  # type: ignore[no-untyped-def]
    """A sender; fast (200 calls a second) unless a test is about its pace."""
    kw.setdefault("rate", 200)
    client = make_client(settings, retries=False, timeout=timeout)
    return Sender(engine, client, worker="w1", k=5, messages=SlackMessages(), **kw)


def _later() -> dt.datetime:
    return dt.datetime.now(dt.UTC) + LATER


def _dms(sandbox: SandboxServer, pulse_id: int) -> list[dict]:
    found = []
    for user in SUPPORT:
        for m in sandbox.workspace.dm_messages(user):
            if (m.get("metadata") or {}).get("event_payload", {}).get("pulse_id") == pulse_id:
                found.append(m)
    return found


def _updates_per_dm(sandbox: SandboxServer) -> dict[tuple[str, str], int]:
    counts: dict[tuple[str, str], int] = {}
    for call in sandbox.workspace.calls("chat.update"):
        key = (call["params"]["channel"], call["params"]["ts"])
        counts[key] = counts.get(key, 0) + 1
    return counts


def _shows_closed(message: dict) -> bool:
    blocks = message["blocks"]
    return (
        "This pulse closed" in json.dumps(blocks)
        and not any(b["type"] == "actions" or "accessory" in b for b in blocks)
        and message["metadata"]["event_payload"].get("closed") is True
    )


def test_every_sent_dm_gets_exactly_one_closing_update_at_the_senders_pace(
    engine: Engine, client, settings: Settings, sandbox: SandboxServer
) -> None:
    pulse_id = _sent_pulse(engine, client, settings, answering=6)
    sandbox.workspace.reset_calls()
    _close(engine, settings)
    assert _sender(engine, settings).run_once() == 0  # not yet: the grace after a close
    stats = _sender(engine, settings, rate=10, clock=_later).drain(pulse_id=pulse_id, timeout=30)
    assert (stats.updated, stats.update_failed) == (12, 0)
    dms = _dms(sandbox, pulse_id)
    assert len(dms) == 12 and all(_shows_closed(m) for m in dms)
    assert all(m["metadata"]["event_type"] == METADATA_EVENT for m in dms)
    assert set(_updates_per_dm(sandbox).values()) == {1}
    assert {(m["channel"], m["ts"]) for m in dms} == set(_updates_per_dm(sandbox))
    assert "6 people answered" in json.dumps(dms[0]["blocks"])
    times = [c["time"] for c in sandbox.workspace.calls("chat.update")]
    assert times[-1] - times[0] >= 11 / 10 * 0.9  # paced at 10 a second, like DM posts
    with session_scope(engine) as s:  # the close job sweeps again, a worker restarts
        closing.run(s, now=_later(), secret=settings.secret())
    again = _sender(engine, settings, clock=_later).drain(timeout=2)
    assert again.updated == 0 and len(sandbox.workspace.calls("chat.update")) == 12


def test_below_k_respondents_the_closed_dm_gives_no_figure(
    engine: Engine, client, settings: Settings, sandbox: SandboxServer
) -> None:
    pulse_id = _sent_pulse(engine, client, settings, answering=4)  # k is 5
    _close(engine, settings)
    _sender(engine, settings, clock=_later).drain(pulse_id=pulse_id, timeout=30)
    text = json.dumps([m["blocks"] for m in _dms(sandbox, pulse_id)])
    assert text.count("This pulse closed") == 12 and "answered" not in text


def test_lost_replies_and_a_killed_worker_never_update_a_dm_twice(
    engine: Engine, client, settings: Settings, sandbox: SandboxServer
) -> None:
    pulse_id = _sent_pulse(engine, client, settings, answering=6)
    _close(engine, settings)
    later = _later()
    with session_scope(engine) as s:  # a worker claims them all, updates three, is killed
        claims = closed_dms.claim_due(
            s, worker="dead", now=later, limit=100, lease=dt.timedelta(minutes=5)
        )
    assert len(claims) == 12
    for claim in claims[:3]:
        client.chat_update(
            channel=claim.channel_id,
            ts=claim.message_ts,
            text="closed",
            blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "This pulse closed"}}],
            metadata={
                "event_type": METADATA_EVENT,
                "event_payload": {"pulse_id": pulse_id, "closed": True},
            },
        )
    # Slack applies the update but the reply is lost: the retry must look before updating.
    sandbox.inject_fault("chat.update", "timeout_after", times=1, delay=1.5)
    lease = dt.timedelta(minutes=6)  # the dead worker's lease has run out
    stats = _sender(engine, settings, timeout=1, clock=lambda: _later() + lease).drain(
        pulse_id=pulse_id, timeout=60
    )
    assert stats.updated == 12
    assert stats.update_failed == 0
    assert set(_updates_per_dm(sandbox).values()) == {1}
    assert len(_updates_per_dm(sandbox)) == 12
    assert all(_shows_closed(m) for m in _dms(sandbox, pulse_id)[3:])
    with session_scope(engine) as s:
        rows = s.exec(select(Delivery.id).where(Delivery.pulse_id == pulse_id)).all()
        assert closed_dms.unfinished(s, pulse_id=pulse_id)[0] == 0
    assert len(rows) == 12


def test_a_dm_recorded_as_sent_after_the_close_is_updated_too(
    engine: Engine, client, settings: Settings, sandbox: SandboxServer
) -> None:
    pulse_id = _sent_pulse(engine, client, settings, answering=0)
    with session_scope(engine) as s:  # one post was still in flight when the pulse closed
        late = s.exec(select(Delivery).where(Delivery.pulse_id == pulse_id)).first()
        late.status = "claimed"
        s.add(late)
    _close(engine, settings)
    with session_scope(engine) as s:  # ... and its worker recorded it a moment later
        late = s.get(Delivery, late.id)
        late.status = "sent"
        s.add(late)
        closing.run(
            s, now=dt.datetime.now(dt.UTC), secret=settings.secret()
        )  # the close job's next sweep
    _sender(engine, settings, clock=_later).drain(pulse_id=pulse_id, timeout=30)
    assert set(_updates_per_dm(sandbox).values()) == {1}
    assert len(_updates_per_dm(sandbox)) == 12


def test_a_restarted_worker_takes_back_its_claims_and_updates_each_dm_once(
    engine: Engine, client, settings: Settings, sandbox: SandboxServer
) -> None:
    pulse_id = _sent_pulse(engine, client, settings, answering=0)
    _close(engine, settings)
    with session_scope(engine) as s:  # worker.1 claims all, updates five, is killed
        claims = closed_dms.claim_due(
            s, worker="worker.1", now=_later(), limit=100, lease=dt.timedelta(minutes=5)
        )
    for claim in claims[:5]:
        _sender(engine, settings).poster.close(claim, {"text": "closed"}, time.monotonic())
    with session_scope(engine) as s:  # it restarts under the same name (`pulse worker`)
        assert outbox.reclaim_own(s, worker="worker.1", now=_later()) == 12
    restarted = _sender(engine, settings, clock=_later)
    restarted.worker = "worker.1"
    assert restarted.drain(pulse_id=pulse_id, timeout=30).updated == 12
    assert set(_updates_per_dm(sandbox).values()) == {1}
    assert len(_updates_per_dm(sandbox)) == 12
