"""Each person reads the bot in their own language, over HTTP: a French employee gets a
French pulse, a German manager a German report of the same team with the same figures, and
anyone can pick another language on the Home tab."""

from __future__ import annotations

import json
import re

import pytest

from bot import ids
from sandbox import company
from tests.acceptance.conftest import Stack, wait_for

# HTTP on SQLite: the language is rendering; its storage (locale columns, sync) is tested
# on PostgreSQL in tests/jobs/test_sync.py
pytestmark = pytest.mark.databases("sqlite")

SUPPORT = company.team_members("support")
FRENCH, ENGLISH = SUPPORT[0], SUPPORT[2]


def _text(reply: object) -> str:
    return json.dumps(reply, ensure_ascii=False)


def _home(stack: Stack, user: str) -> dict:
    before = [v for v in stack.ws.views(user) if v["type"] == "home"]
    stack.slack.app_home_opened(user)
    wait_for(lambda: [v for v in stack.ws.views(user) if v["type"] == "home"] != before)
    return next(v for v in stack.ws.views(user) if v["type"] == "home")


def _figures(report: str) -> dict[str, list[str]]:
    """The numbers of a report, whatever its language (a decimal comma read as a point)."""
    return {
        "engagement": re.findall(r"Engagement \*(\d+)\*", report),
        "means": [m.replace(",", ".") for m in re.findall(r"\*(\d+[.,]\d)\* / [15]0?", report)],
        "respondents": re.findall(r"\\n(\d+)\"", report)[:1],
    }


@pytest.fixture(scope="module")
def languages(stack: Stack) -> Stack:
    """Alex reads Slack in French and Maya, Support's manager, in German (Slack tells the
    bot at sync); the others in English."""
    stack.ws.add_user(FRENCH, "alex", real_name="Alex Moreau", tz="Europe/Paris", locale="fr-FR")
    stack.ws.add_user(
        "U0MANAGER", "maya", real_name="Maya Lindqvist", tz="Europe/Stockholm", locale="de-DE"
    )
    assert stack.pulse("teams", "sync").returncode == 0
    assert stack.pulse("send-pulse", "--team", "support").returncode == 0
    return stack


def test_a_french_employee_answers_a_french_pulse_and_a_german_manager_reads_it(
    languages: Stack,
) -> None:
    stack = languages
    french, english = stack.latest_dm(FRENCH), stack.latest_dm(ENGLISH)
    assert french["blocks"][0]["text"]["text"] == "Sondage · Customer Support"
    assert "Ouvert jusqu'au" in _text(french["blocks"][1])  # closes in Paris time, in French
    assert english["blocks"][0]["text"]["text"] == "Pulse check · Customer Support"
    rows = [b["elements"] for b in french["blocks"] if b["type"] == "actions"]
    labels = [e["text"]["text"] for row in rows for e in row]
    assert "Pas du tout d'accord" in labels or "Très mécontents" in labels
    assert "Strongly disagree" not in labels

    for user in SUPPORT[:6]:  # six answer every scale question
        for row in [b for b in stack.latest_dm(user)["blocks"] if b["type"] == "actions"]:
            button = row["elements"][3]
            before = _text(stack.latest_dm(user))
            stack.slack.click(
                user, stack.latest_dm(user), action_id=button["action_id"], value=button["value"]
            )
            wait_for(lambda user=user, before=before: _text(stack.latest_dm(user)) != before)
    answered = _text(stack.latest_dm(FRENCH))
    assert "Enregistré" in answered and "Recorded" not in answered
    stack.close_pulses()

    german = _text(stack.reply_to("U0MANAGER", "report support"))
    english_report = _text(stack.reply_to("U0HRLEAD", "report support"))
    assert "Customer Support · Umfragebericht" in german
    assert "Customer Support · pulse report" in english_report
    assert "Beteiligung" in german and "Participation" not in german
    figures = _figures(german)
    assert figures["engagement"] and figures["means"]
    assert figures == _figures(english_report)  # the same figures, only the words differ


def test_a_person_picks_another_language_on_the_home_tab(languages: Stack) -> None:
    stack = languages
    home = _home(stack, ENGLISH)
    assert "*Who sees what*" in _text(home)
    reply = stack.slack.home_select(ENGLISH, home, action_id=ids.HOME_LANGUAGE, value="es")
    assert reply.status == 200
    wait_for(lambda: "*Quién ve qué*" in _text(stack.ws.views(ENGLISH)))
    assert "Comandos" in _text(stack.reply_to(ENGLISH, "help")) or "comandos" in _text(
        stack.reply_to(ENGLISH, "help")
    )
    stack.slack.home_select(
        ENGLISH, _home(stack, ENGLISH), action_id=ids.HOME_LANGUAGE, value="auto"
    )
    wait_for(
        lambda: (
            "*Who sees what*"
            in _text(next(v for v in stack.ws.views(ENGLISH) if v["type"] == "home"))
        )
    )
