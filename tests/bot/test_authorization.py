"""Who may see what: every role against every /pulse subcommand and the Home tab."""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import urlencode

import pytest
from sqlmodel import select

from bot import ids
from sandbox import company
from storage.db import session_scope
from storage.models import Commitment
from storage.pseudonym import respondent_key
from storage.pulses import pulse_view
from storage.responses import record_answer
from tests.bot.conftest import World

SUPPORT = company.team_members("support")
EMPLOYEE = SUPPORT[0]
ROLES = {
    "employee": (EMPLOYEE, "T0SANDBOX"),
    "manager": ("U0MANAGER", "T0SANDBOX"),
    "other manager": ("U0SUCCESSLEAD", "T0SANDBOX"),
    "parent manager": ("U0CXDIRECTOR", "T0SANDBOX"),
    "hr admin": ("U0HRLEAD", "T0SANDBOX"),
    "other workspace": ("U0MANAGER", "T0ELSEWHERE"),
}
FIGURES = "respondents"


@pytest.fixture(scope="module", autouse=True)
def answered(world: World) -> None:
    secret = world.settings.secret()  # type: ignore[union-attr]
    with session_scope(world.engine) as s:
        qid = pulse_view(s, pulse_id=world.pulse_id).questions[0].id
        for user in SUPPORT[:6]:
            key = respondent_key(
                secret, workspace="T0SANDBOX", user_id=user, pulse_id=world.pulse_id
            )
            record_answer(s, pulse_id=world.pulse_id, question_id=qid, respondent=key, value=4)
    world.close_pulse()  # figures show once the pulse has closed


@pytest.mark.parametrize(
    ("role", "text", "sees_figures"),
    [
        ("employee", "report", False),
        ("employee", "report support", False),
        ("manager", "report", True),
        ("manager", "report support", True),
        ("manager", "report success", False),
        ("other manager", "report support", False),
        ("parent manager", "report support", True),
        ("hr admin", "report support", True),
        ("hr admin", "report all", True),
        ("hr admin", "report", False),  # a choice of teams, no figures yet
        ("other workspace", "report support", False),
        ("other workspace", "report", False),
    ],
)
def test_report_matrix(world: World, role: str, text: str, sees_figures: bool) -> None:
    user, team = ROLES[role]
    reply = json.dumps(world.command(user, text, team=team), ensure_ascii=False)
    assert (FIGURES in reply.lower()) is sees_figures
    if not sees_figures:
        assert "4.0" not in reply  # not even a mean leaks


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize("text", ["my-data", "help", "pause nonsense", "resume", "frob"])
def test_personal_subcommands_never_reveal_anyone_else(world: World, role: str, text: str) -> None:
    user, team = ROLES[role]
    reply = json.dumps(world.command(user, text, team=team), ensure_ascii=False)
    others = [u for u in SUPPORT if u != user]
    assert not any(other in reply for other in others)
    assert FIGURES not in reply.lower()


def test_my_data_is_only_ever_your_own(world: World) -> None:
    mine = json.dumps(world.command(EMPLOYEE, "my-data"), ensure_ascii=False)
    assert "you answered 1" in mine
    elsewhere = json.dumps(world.command(EMPLOYEE, "my-data", team="T0ELSEWHERE"))
    assert "stores nothing about you" in elsewhere


def test_home_shows_only_your_own_answers(world: World) -> None:
    from bot.home import build_home

    with session_scope(world.engine) as s:
        for user, team in ROLES.values():
            view = json.dumps(
                build_home(
                    s,
                    config=world.settings.config,  # type: ignore[union-attr]
                    secret=world.settings.secret(),  # type: ignore[union-attr]
                    slack_team_id=team,
                    user_id=user,
                    now=dt.datetime.now(dt.UTC),
                )
            )
            shows_answer = "Agree" in view
            assert shows_answer is (user == EMPLOYEE and team == "T0SANDBOX")


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("employee", False),
        ("other manager", False),
        ("manager", True),
        ("parent manager", True),
        ("hr admin", True),
    ],
)
def test_only_managers_and_hr_can_commit_for_a_team(world: World, role: str, allowed: bool) -> None:
    user, team = ROLES[role]
    with session_scope(world.engine) as s:
        before = len(s.exec(select(Commitment)).all())
    view = {
        "id": "V9",
        "type": "modal",
        "callback_id": ids.COMMIT_MODAL,
        "private_metadata": "support",
        "state": {
            "values": {
                ids.COMMIT_DRIVER_BLOCK: {
                    ids.COMMIT_DRIVER: {
                        "type": "static_select",
                        "selected_option": {"value": "tools"},
                    }
                },
                ids.COMMIT_TEXT_BLOCK: {
                    ids.COMMIT_TEXT: {"type": "plain_text_input", "value": "Fix the CRM search"}
                },
            }
        },
    }
    payload = {"type": "view_submission", "team": {"id": team}, "user": {"id": user}, "view": view}
    assert world.dispatch(urlencode({"payload": json.dumps(payload)})) == 200
    with session_scope(world.engine) as s:
        after = len(s.exec(select(Commitment)).all())
    assert after == before + (1 if allowed else 0)


def test_home_in_another_workspace_names_no_teams(world: World) -> None:
    from bot.home import build_home

    with session_scope(world.engine) as s:
        view = json.dumps(
            build_home(
                s,
                config=world.settings.config,  # type: ignore[union-attr]
                secret=world.settings.secret(),  # type: ignore[union-attr]
                slack_team_id="T0ELSEWHERE",
                user_id="U0MANAGER",
                now=dt.datetime.now(dt.UTC),
            )
        )
    assert "Customer Support" not in view and "respondents" not in view.lower()
