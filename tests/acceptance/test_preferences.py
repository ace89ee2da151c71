"""Employees pause, resume, opt out and opt back in with /pulse; the next pulse respects it."""

from __future__ import annotations

import pytest

from sandbox import company
from tests.acceptance.conftest import Stack

# HTTP on SQLite: pause and opt-out are single-row updates the storage tests run on PostgreSQL
pytestmark = pytest.mark.databases("sqlite")

ONBOARDING = company.team_members("onboarding")


def _text(reply: dict) -> str:
    return reply["text"]


def _send(stack: Stack) -> None:
    stack.close_pulses()  # one pulse open per team at a time: an earlier one closes
    result = stack.pulse("send-pulse", "--team", "onboarding")
    assert result.returncode == 0, result.stderr


def test_pause_resume_optout_optin(stack: Stack) -> None:
    assert stack.pulse("teams", "sync").returncode == 0
    paused, quitter = ONBOARDING[0], ONBOARDING[1]
    assert "Paused: no pulses until after" in _text(stack.reply_to(paused, "pause 2w"))
    assert "opted out" in _text(stack.reply_to(quitter, "optout"))
    before = {u: len(stack.ws.dm_messages(u)) for u in ONBOARDING}
    _send(stack)
    got = {u for u in ONBOARDING if len(stack.ws.dm_messages(u)) > before[u]}
    assert got == set(ONBOARDING) - {paused, quitter}

    assert "Welcome back" in _text(stack.reply_to(paused, "resume"))
    assert "opted back in" in _text(stack.reply_to(quitter, "optin"))
    before = {u: len(stack.ws.dm_messages(u)) for u in ONBOARDING}
    _send(stack)
    assert all(len(stack.ws.dm_messages(u)) == before[u] + 1 for u in ONBOARDING)


def test_bad_pause_shows_usage_and_changes_nothing(stack: Stack) -> None:
    assert stack.pulse("teams", "sync").returncode == 0
    user = ONBOARDING[2]
    assert "Usage: `/pulse pause 2w`" in _text(stack.reply_to(user, "pause forever"))
    assert "Usage" in _text(stack.reply_to(user, "pause 99w"))
    before = len(stack.ws.dm_messages(user))
    _send(stack)
    assert len(stack.ws.dm_messages(user)) == before + 1


def test_someone_outside_every_team_is_told_so(stack: Stack) -> None:
    assert "not part of a pulse team" in _text(stack.reply_to("U0HRLEAD", "optout"))
