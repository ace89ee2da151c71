"""HR admin subcommands: send now, schedules with delivery problems, retire questions."""

from __future__ import annotations

import json

import pytest
from sqlmodel import col, select, update

from bot.messages import SlackMessages
from jobs.delivery import Sender
from sandbox import company
from settings.slack import make_client
from storage.db import session_scope
from storage.models import Employee, Pulse, PulseQuestion, Question
from tests.bot.conftest import World

HR = "U0HRLEAD"


def _text(reply: dict) -> str:
    return json.dumps(reply, ensure_ascii=False)


@pytest.mark.parametrize("user", [company.team_members("support")[0], "U0MANAGER", "U0CXDIRECTOR"])
def test_admin_commands_are_for_hr_only(world: World, user: str) -> None:
    for text in ("admin schedules", "admin send onboarding", "admin retire wellbeing.energy"):
        assert "for the HR admins" in _text(world.command(user, text))


def test_send_now_then_schedules_show_delivery_problems(world: World) -> None:
    blocked = company.team_members("onboarding")[0]
    world.sandbox.workspace.set_dm_blocked(blocked)
    reply = _text(world.command(HR, "admin send onboarding"))
    assert "Opened a pulse for *Onboarding*: 7 people" in reply
    settings = world.settings
    Sender(
        world.engine,
        make_client(settings, retries=False),
        worker="t",
        k=5,
        messages=SlackMessages(),
    ).drain(timeout=30)
    schedules = _text(world.command(HR, "admin schedules"))
    assert "*Onboarding* — weekly on Tue at 10:00 local time" in schedules
    assert "Latest pulse not delivered to: 1 turned off DMs from apps" in schedules
    assert "Next pulse:" in schedules


def test_retired_questions_are_never_asked_and_can_come_back(world: World) -> None:
    key = "wellbeing.energy"
    with session_scope(world.engine) as s:
        last = max(s.exec(select(Pulse.id)).all())
    assert f"`{key}` is retired" in _text(world.command(HR, f"admin retire {key}"))
    listed = _text(world.command(HR, "admin questions"))
    assert f"`{key}` ~" in listed and "_(retired)_" in listed
    for _ in range(12):  # more pulses than it takes to cycle through every driver
        world.command(HR, "admin close support")  # one pulse open per team at a time
        assert "Opened a pulse" in _text(world.command(HR, "admin send support"))
    with session_scope(world.engine) as s:
        asked = s.exec(
            select(Question.key)
            .join(PulseQuestion, PulseQuestion.question_id == Question.id)
            .join(Pulse, Pulse.id == PulseQuestion.pulse_id)
            .where(Pulse.id > last)
        ).all()
    assert asked and key not in asked
    assert "back in rotation" in _text(world.command(HR, f"admin restore {key}"))
    assert "No question `nope.nothing`" in _text(world.command(HR, "admin retire nope.nothing"))


def test_unknown_admin_input_shows_admin_usage(world: World) -> None:
    assert "HR admin commands" in _text(world.command(HR, "admin frobnicate"))
    assert "Couldn't open a pulse: no team 'nowhere'" in _text(
        world.command(HR, "admin send nowhere")
    )
    with session_scope(world.engine) as s:  # the same admin, reading French
        s.exec(
            update(Employee)
            .where(col(Employee.slack_user_id) == HR)
            .values(locale_override="fr-FR")
        )
    assert "*Commandes d'administration RH*" in _text(world.command(HR, "admin frobnicate"))
    assert "Impossible d'ouvrir un sondage : aucune équipe 'nowhere' dans config.toml." in _text(
        world.command(HR, "admin send nowhere")
    )
