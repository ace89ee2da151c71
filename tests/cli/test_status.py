"""`pulse status`: the worker's state from the database, as an operator reads it."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine
from sqlmodel import col, select, update

from cli.main import main
from cli.status import status_lines
from settings.config import parse_config
from storage.db import make_engine, session_scope
from storage.held import hold_answer
from storage.models import Delivery, PulseQuestion, SchedulerState, SentDigest
from storage.pseudonym import Respondent
from tests import factories
from tests.cli.conftest import PULSE_SECRET, Install

NOW = factories.NOW  # Tue 24 Nov 2026, 09:00 UTC
CONFIG = parse_config(
    {
        "hr": {"digest_channel": "C0PEOPLE", "digest_day": "mon", "digest_time": "09:00"},
        "pulse": {"weekday": "tue", "local_time": "10:00"},
        "teams": [
            {"key": "support", "name": "Customer Support", "usergroup": "S0SUPPORT"},
            {"key": "billing", "name": "Billing", "usergroup": "S0BILLING"},
        ],
    }
)


def _answer(engine: Engine, pulse_id: int, people: list[str]) -> None:
    """People answer the open pulse (held, as the DM's buttons hold them)."""
    with session_scope(engine) as s:
        qid = s.exec(select(PulseQuestion.question_id).where(PulseQuestion.pulse_id == pulse_id))
        question = qid.first()
        assert question is not None
        for user in people:
            who = Respondent(PULSE_SECRET.encode(), factories.WORKSPACE, user, pulse_id)
            hold_answer(s, respondent=who, question_id=question, value=4)


def _status(engine: Engine, now: dt.datetime) -> str:
    with session_scope(engine) as s:
        return "\n".join(status_lines(s, config=CONFIG, now=now))


def test_status_reads_pulses_outboxes_schedule_and_digest(engine: Engine) -> None:
    ids = factories.org(engine, people=6)
    pulse_id = factories.pulse(engine, ids)
    now = NOW + dt.timedelta(hours=1)
    with session_scope(engine) as s:
        s.add(SchedulerState(key=f"planner:{ids['workspace']}", last_run_at=NOW))
        rows = s.exec(select(Delivery.id).where(Delivery.pulse_id == pulse_id)).all()
        failed, skipped, claimed = rows[:2], rows[2:3], rows[3:4]
        s.exec(
            update(Delivery)
            .where(col(Delivery.id).in_(failed))
            .values(status="failed", error="messages_tab_disabled")
        )
        s.exec(
            update(Delivery)
            .where(col(Delivery.id).in_(skipped))
            .values(status="skipped", error="opted_out")
        )
        s.exec(
            update(Delivery)
            .where(col(Delivery.id).in_(claimed))
            .values(status="claimed", claimed_by="w1", claimed_at=NOW)
        )
    _answer(engine, pulse_id, ["U0000", "U0001", "U0002", "U0003"])
    out = _status(engine, now)
    assert (
        out.splitlines()[0] == "Oxygen Pulse in Sandbox Co (T0SANDBOX), Tue 24 Nov 2026, 10:00 UTC"
    )
    assert "Worker: planner last ran 60 min ago (Tue 24 Nov 2026, 09:00 UTC); it runs every " in out
    assert "is `pulse worker` running?" in out
    assert (
        f"  support  pulse {pulse_id}, open until Fri 27 Nov 2026, 09:00 UTC; 6 invited; "
        "participation shows once 5 have answered" in out
    )
    assert (
        "  2 queued (2 due now), 1 claimed by 1 worker, oldest 60 min ago, 0 sent, "
        "2 failed (messages_tab_disabled 2), 1 skipped (opted_out 1)" in out
    )
    assert "  0 queued, 0 claimed, 0 updated, 0 failed" in out
    # The ad hoc pulse open at the start of 24 Nov's cycle used it up: next is 1 Dec.
    assert "  support  Tue 01 Dec at 10:00 in each person's time zone (weekly)" in out
    assert "  billing  not synced yet: run `pulse teams sync`" in out
    assert (
        "Digest to C0PEOPLE: none posted yet; this week's was due Mon 23 Nov 2026, 09:00 UTC: "
        "the worker posts it on its next check" in out
    )
    assert "U000" not in out  # counts only: nobody is named

    _answer(engine, pulse_id, ["U0004"])  # the 5th answer: k reached
    with session_scope(engine) as s:
        s.add(
            SentDigest(
                workspace_id=ids["workspace"],
                period_start=dt.date(2026, 11, 23),
                sent_at=NOW + dt.timedelta(minutes=1) - dt.timedelta(days=1),
            )
        )
    out = _status(engine, now)
    assert (
        f"pulse {pulse_id}, open until Fri 27 Nov 2026, 09:00 UTC; 6 invited; 83% have answered"
        in out
    )
    assert (
        "Digest to C0PEOPLE: last posted Mon 23 Nov 2026, 09:01 UTC (the week of 16 Nov); "
        "next due Mon 30 Nov 2026, 09:00 UTC" in out
    )
    # Once it has closed, the next cycle is due and late if the planner has not written it.
    later = _status(engine, dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC))
    assert "Open pulses: none" in later
    assert "  support  due now, late (the Tue 01 Dec pulse): the planner opens it next run" in later


def test_status_over_the_cli_after_a_pulse_went_out(
    install: Install, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["status"]) == 2
    assert capsys.readouterr().err == (
        "pulse: no workspace in the database yet: run `pulse teams sync` first\n"
    )
    install.ws.set_dm_blocked("U0SUP01")
    assert main(["teams", "sync"]) == 0
    assert main(["send-pulse", "--team", "support"]) == 1
    capsys.readouterr()
    assert main(["status"]) == 0
    out = capsys.readouterr().out
    assert "Worker: its planner has never run here: start `pulse worker`" in out
    assert "  support  pulse 1, open until " in out
    assert "; 12 invited; participation shows once 5 have answered" in out
    assert "  0 queued, 0 claimed, 11 sent, 1 failed (messages_tab_disabled 1)" in out
    for team in ("success", "onboarding", "billing", "renewals"):
        assert f"\n  {team:<10}  " in out
    assert "U0SUP" not in out
    engine = make_engine(install.database_url)
    _answer(engine, 1, [f"U0SUP{i:02d}" for i in range(2, 7)])  # 5 people: k reached
    engine.dispose()
    assert main(["status"]) == 0
    assert "; 12 invited; 42% have answered so far" in capsys.readouterr().out
