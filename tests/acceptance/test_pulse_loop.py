"""Steps 3–6 of the foundation loop, played over HTTP as Slack and an operator would."""

from __future__ import annotations

import datetime as dt
import json
import time
from statistics import mean

import pytest
from sqlmodel import select, update

from sandbox import company
from sandbox.sender import sign
from storage.db import session_scope
from storage.models import Pulse
from tests.acceptance.conftest import Stack, wait_for

SUPPORT = company.team_members("support")


def _answer_buttons(message: dict) -> list[list[dict]]:
    return [b["elements"] for b in message["blocks"] if b["type"] == "actions"]


def _click(stack: Stack, user: str, button: dict) -> None:
    before = stack.latest_dm(user)["blocks"]
    reply = stack.slack.click(
        user, stack.latest_dm(user), action_id=button["action_id"], value=button["value"]
    )
    assert reply.status == 200
    wait_for(lambda: stack.latest_dm(user)["blocks"] != before)


def _report_text(reply: dict) -> str:
    return json.dumps(reply, ensure_ascii=False)


@pytest.mark.transports("http", "socket")
def test_sync_send_answer_and_report(stack: Stack) -> None:
    sync = stack.pulse("teams", "sync")
    assert sync.returncode == 0, sync.stderr
    assert "support: 12 members" in sync.stdout
    assert "onboarding: 7 members" in sync.stdout

    sent = stack.pulse("send-pulse", "--team", "support")
    assert sent.returncode == 0, sent.stderr
    assert "sent 12 DMs, 0 failed" in sent.stdout
    for user in SUPPORT:
        dms = stack.ws.dm_messages(user)
        assert len(dms) == 1, f"{user} got {len(dms)} DMs"
        assert "Pulse check · Customer Support" in json.dumps(dms[0]["blocks"], ensure_ascii=False)
    assert stack.ws.dm_messages("U0HELPERBOT") == []  # bots and deactivated people are skipped
    assert stack.ws.dm_messages("U0FORMER") == []

    # Six people answer every scale question; answers are likert 1-5 or eNPS 0-10.
    chosen: dict[int, list[int]] = {}
    for n, user in enumerate(SUPPORT[:6]):
        for i, row in enumerate(_answer_buttons(stack.latest_dm(user))):
            button = row[(n + i) % len(row)]
            _click(stack, user, button)
            chosen.setdefault(i, []).append(int(button["value"].rsplit(":", 1)[1]))
    # The DM updated in place: still one message, now showing the recorded answer.
    dm = stack.latest_dm(SUPPORT[0])
    assert len(stack.ws.dm_messages(SUPPORT[0])) == 1
    assert "Recorded" in json.dumps(dm["blocks"], ensure_ascii=False)
    assert "All answered" in json.dumps(dm["blocks"], ensure_ascii=False)

    # Changing an answer while the pulse is open replaces it.
    first_row = _answer_buttons(stack.latest_dm(SUPPORT[0]))[0]
    new = next(b for b in first_row if int(b["value"].rsplit(":", 1)[1]) != chosen[0][0])
    _click(stack, SUPPORT[0], new)
    chosen[0][0] = int(new["value"].rsplit(":", 1)[1])
    highlighted = [b for b in _answer_buttons(stack.latest_dm(SUPPORT[0]))[0] if b.get("style")]
    assert [b["value"] for b in highlighted] == [new["value"]]

    # While the pulse is open only how many answered shows: figures that moved with each
    # answer would give away one person's answers to anyone comparing two looks.
    still_open = _report_text(stack.reply_to("U0MANAGER", "report"))
    assert "50% of the team have answered so far" in still_open
    assert "Respondents" not in still_open and f"*{mean(chosen[0]):.1f}*" not in still_open

    stack.close_pulses()
    report = _report_text(stack.reply_to("U0MANAGER", "report"))
    assert "Customer Support" in report
    assert "Respondents*\\n6" in report
    assert "Participation*\\n50%" in report
    for values in chosen.values():
        assert f"*{mean(values):.1f}*" in report

    # The department's manager and HR see it too; a team member does not.
    assert "Respondents*\\n6" in _report_text(stack.reply_to("U0CXDIRECTOR", "report support"))
    assert "Respondents*\\n6" in _report_text(stack.reply_to("U0HRLEAD", "report support"))
    refused = _report_text(stack.reply_to(SUPPORT[3], "report support"))
    assert "Reports are for team managers and HR" in refused
    assert "Respondents" not in refused


def test_below_the_minimum_group_size_no_figures_are_shown(stack: Stack) -> None:
    assert stack.pulse("teams", "sync").returncode == 0
    assert stack.pulse("send-pulse", "--team", "success").returncode == 0
    for user in company.team_members("success")[:4]:  # k is 5
        _click(stack, user, _answer_buttons(stack.latest_dm(user))[0][3])
    stack.close_pulses()
    reply = _report_text(stack.reply_to("U0SUCCESSLEAD", "report"))
    assert "No figures yet" in reply and "at least 5 people" in reply
    assert "Respondents" not in reply and "/ 5" not in reply


def test_a_retried_click_counts_once(stack: Stack) -> None:
    assert stack.pulse("teams", "sync").returncode == 0
    stack.close_pulses()  # one pulse open per team at a time: an earlier test's closes
    assert stack.pulse("send-pulse", "--team", "onboarding").returncode == 0
    user = company.team_members("onboarding")[0]
    button = _answer_buttons(stack.latest_dm(user))[0][2]
    first = stack.slack.click(
        user, stack.latest_dm(user), action_id=button["action_id"], value=button["value"]
    )
    wait_for(lambda: "Recorded" in json.dumps(stack.latest_dm(user)["blocks"]))
    retry = stack.slack.resend(first)
    assert retry.status == 200
    time.sleep(0.3)
    with session_scope(stack.engine) as s:
        pulse_id = s.exec(select(Pulse.id).order_by(Pulse.id.desc())).first()
    assert len(stack.answers(pulse_id)) == 1


@pytest.mark.databases("sqlite")  # HTTP and the ack: storage is the other tests'
def test_a_click_on_a_closed_pulse_gets_a_friendly_reply(stack: Stack) -> None:
    assert stack.pulse("teams", "sync").returncode == 0
    stack.close_pulses()  # one pulse open per team at a time: an earlier test's closes
    assert stack.pulse("send-pulse", "--team", "onboarding").returncode == 0
    user = company.team_members("onboarding")[1]
    with session_scope(stack.engine) as s:
        pulse_id = s.exec(select(Pulse.id).order_by(Pulse.id.desc())).first()
        past = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
        s.exec(update(Pulse).where(Pulse.id == pulse_id).values(closes_at=past))
    before = len(stack.ws.response_url_posts())
    button = _answer_buttons(stack.latest_dm(user))[0][0]
    stack.slack.click(
        user, stack.latest_dm(user), action_id=button["action_id"], value=button["value"]
    )
    wait_for(lambda: len(stack.ws.response_url_posts()) > before)
    assert "This pulse has closed" in stack.ws.response_url_posts()[-1]["body"]["text"]
    assert stack.answers(pulse_id) == []


@pytest.mark.databases("sqlite")  # HTTP and the ack: storage is the other tests'
def test_bad_signatures_and_stale_requests_get_401_and_change_nothing(stack: Stack) -> None:
    body = b"command=%2Fpulse&text=report&user_id=U0MANAGER&team_id=T0SANDBOX"
    before = len(stack.ws.response_url_posts())
    forged = sign("not-the-secret", body, int(time.time()))
    stale = sign(stack.env["SLACK_SIGNING_SECRET"], body, int(time.time()) - 6 * 60)
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    assert stack.slack.post_raw(body, {**headers, **forged}).status == 401
    assert stack.slack.post_raw(body, {**headers, **stale}).status == 401
    assert stack.slack.post_raw(body, headers).status == 401
    time.sleep(0.2)
    assert len(stack.ws.response_url_posts()) == before


@pytest.mark.databases("sqlite")  # HTTP and the ack: storage is the other tests'
def test_unknown_subcommand_shows_usage(stack: Stack) -> None:
    reply = _report_text(stack.reply_to("U0MANAGER", "frobnicate now"))
    assert "I don't know `frobnicate now`" in reply and "/pulse report [team]" in reply


def test_a_second_pulse_is_refused_while_one_is_open_and_the_first_still_counts(
    stack: Stack,
) -> None:
    assert stack.pulse("teams", "sync").returncode == 0
    stack.close_pulses()  # one pulse open per team at a time: an earlier test's closes
    assert stack.pulse("send-pulse", "--team", "onboarding").returncode == 0
    user = company.team_members("onboarding")[3]
    before = len(stack.ws.dm_messages(user))
    again = stack.pulse("send-pulse", "--team", "onboarding")
    assert again.returncode != 0 and again.stdout == ""
    (line,) = again.stderr.splitlines()
    assert "team 'onboarding' already has a pulse open until" in line
    assert "`pulse close --team onboarding`" in line
    assert len(stack.ws.dm_messages(user)) == before  # nothing sent
    dm = stack.latest_dm(user)
    button = _answer_buttons(dm)[0][4]
    stack.slack.click(user, dm, action_id=button["action_id"], value=button["value"])
    wait_for(lambda: "Recorded" in json.dumps(stack.latest_dm(user), ensure_ascii=False))
    pulse_id = int(button["value"].split(":")[0])
    assert [value for _, value in stack.answers(pulse_id)] == [5]
