"""What an employee does to trust the bot: comment anonymously, see their own data, pause,
download or delete it — over HTTP, and with the database unable to tell who said what."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import inspect
from sqlmodel import select

from bot import ids
from sandbox import company
from storage.comments import written_by
from storage.db import session_scope
from storage.models import Comment, Held, Response
from storage.pseudonym import Respondent
from tests.acceptance.conftest import SECRET, Stack, wait_for

SUCCESS = company.team_members("success")


def _fresh_pulse(stack: Stack) -> None:
    assert stack.pulse("teams", "sync").returncode == 0
    stack.close_pulses()  # one pulse open per team at a time: an earlier test's closes
    assert stack.pulse("send-pulse", "--team", "success").returncode == 0


def _button(message: dict, action_id: str) -> dict:
    for block in message["blocks"]:
        for element in [block.get("accessory") or {}, *block.get("elements", [])]:
            if element.get("action_id", "").startswith(action_id):
                return element
    raise AssertionError(f"no {action_id} button")


def _modal_callback(stack: Stack, user: str) -> str | None:
    modals = [v for v in stack.ws.views(user) if v["type"] == "modal"]
    return modals[-1].get("callback_id") if modals else None


def _latest_modal(stack: Stack, user: str) -> dict:
    modals = [v for v in stack.ws.views(user) if v["type"] == "modal"]
    return modals[-1]


@pytest.mark.databases("sqlite")  # HTTP and the ack: storage is the other tests'
def test_anonymous_comment_with_modal_validation(stack: Stack) -> None:
    _fresh_pulse(stack)
    user = SUCCESS[0]
    comment = _button(stack.latest_dm(user), ids.COMMENT)
    stack.slack.click(user, stack.latest_dm(user), action_id=ids.COMMENT, value=comment["value"])
    wait_for(lambda: any(v["type"] == "modal" for v in stack.ws.views(user)))
    modal = _latest_modal(stack, user)
    field = {ids.TEXT_BLOCK: {ids.TEXT_INPUT: {"type": "plain_text_input", "value": " "}}}
    refused = stack.slack.submit_view(user, modal, field)
    assert refused.json()["response_action"] == "errors"
    assert "at least 3 characters" in refused.json()["errors"][ids.TEXT_BLOCK]
    with session_scope(stack.engine) as s:
        assert s.exec(select(Comment)).all() == []

    said = "Our macros for refunds are out of date; customers wait while we rewrite them."
    field[ids.TEXT_BLOCK][ids.TEXT_INPUT]["value"] = said
    assert stack.slack.submit_view(user, modal, field).status == 200
    wait_for(lambda: "anonymous comment is saved" in json.dumps(stack.latest_dm(user)))
    pulse_id = int(comment["value"].split(":")[0])
    who = Respondent(SECRET.encode(), workspace="T0SANDBOX", user_id=user, pulse_id=pulse_id)
    with session_scope(stack.engine) as s:  # held, sealed, until the pulse closes
        assert written_by(s, respondent=who) == {None: said}
        assert said not in [c.body for c in s.exec(select(Comment))]
        sealed = [h.sealed for h in s.exec(select(Held).where(Held.kind == "text"))]
    assert sealed and not [b for b in sealed if said.encode() in b]


def test_home_shows_my_answers_and_lets_me_pause(stack: Stack) -> None:
    _fresh_pulse(stack)
    user = SUCCESS[1]
    first_row = next(b for b in stack.latest_dm(user)["blocks"] if b["type"] == "actions")
    choice = first_row["elements"][3]
    stack.slack.click(
        user, stack.latest_dm(user), action_id=choice["action_id"], value=choice["value"]
    )
    wait_for(lambda: "Recorded" in json.dumps(stack.latest_dm(user), ensure_ascii=False))
    stack.slack.app_home_opened(user)
    wait_for(lambda: any(v["type"] == "home" for v in stack.ws.views(user)))
    home = next(v for v in stack.ws.views(user) if v["type"] == "home")
    text = json.dumps(home, ensure_ascii=False)
    assert choice["text"]["text"] in text and "Only you can see your answers" in text
    assert "Who sees what" in text
    stack.slack.home_click(user, home, action_id=ids.HOME_PAUSE)
    wait_for(
        lambda: (
            "*Paused* until"
            in json.dumps(next(v for v in stack.ws.views(user) if v["type"] == "home"))
        )
    )


def test_my_data_download_and_erase(stack: Stack) -> None:
    _fresh_pulse(stack)
    user = SUCCESS[2]
    row = next(b for b in stack.latest_dm(user)["blocks"] if b["type"] == "actions")
    stack.slack.click(
        user,
        stack.latest_dm(user),
        action_id=row["elements"][1]["action_id"],
        value=row["elements"][1]["value"],
    )
    wait_for(lambda: "Recorded" in json.dumps(stack.latest_dm(user), ensure_ascii=False))
    reply = stack.reply_to(user, "my-data")
    assert "What Oxygen Pulse stores about you" in reply["text"]
    panel = stack.ws.ephemerals(user)[-1]
    files_before = len(stack.ws.files())
    stack.slack.click(user, panel, action_id=ids.MYDATA_DOWNLOAD)
    wait_for(lambda: len(stack.ws.files()) > files_before)
    exported = json.loads(stack.ws.files()[-1]["bytes"])
    assert exported["slack_user_id"] == user
    assert any(p["answers"] for p in exported["pulses"])

    def answers() -> int:  # stored, or held while the pulse is open
        with session_scope(stack.engine) as s:
            held = s.exec(select(Held).where(Held.kind == "answer")).all()
            return len(s.exec(select(Response)).all()) + len(held)

    before = answers()
    stack.slack.click(user, panel, action_id=ids.MYDATA_ERASE)
    wait_for(lambda: "is linked to you any more" in json.dumps(stack.ws.response_url_posts()[-1]))
    assert answers() == before - 1


def test_answers_cannot_be_linked_to_people_from_the_database(stack: Stack) -> None:
    """No column joins answers to people or deliveries, and no Slack user id is stored."""
    for table in ("response", "comment", "held"):
        columns = {c["name"] for c in inspect(stack.engine).get_columns(table)}
        assert columns.isdisjoint({"user_id", "employee_id", "delivery_id", "slack_user_id"})
        assert not any("time" in c or c.endswith("_at") for c in columns)
        keys = inspect(stack.engine).get_foreign_keys(table)
        assert {k["referred_table"] for k in keys} <= {"pulse", "question"}
    people = {
        u for team in ("support", "success", "onboarding") for u in company.team_members(team)
    }
    with session_scope(stack.engine) as s:
        values = [str(v) for r in s.exec(select(Response)) for v in r.model_dump().values()]
        values += [str(v) for c in s.exec(select(Comment)) for v in c.model_dump().values()]
        values += [f"{h.slot} {h.sealed!r}" for h in s.exec(select(Held))]
    assert values  # the earlier tests in this module stored answers
    assert not any(p in v for v in values for p in people)


def _answer_first(stack: Stack, user: str) -> None:
    row = next(b for b in stack.latest_dm(user)["blocks"] if b["type"] == "actions")
    button = row["elements"][2]
    stack.slack.click(
        user, stack.latest_dm(user), action_id=button["action_id"], value=button["value"]
    )
    wait_for(lambda: "Recorded" in json.dumps(stack.latest_dm(user), ensure_ascii=False))


def test_comments_reach_the_manager_only_from_k_respondents(stack: Stack) -> None:
    _fresh_pulse(stack)
    author = SUCCESS[3]
    button = _button(stack.latest_dm(author), ids.COMMENT)
    stack.slack.click(author, stack.latest_dm(author), action_id=ids.COMMENT, value=button["value"])
    wait_for(lambda: len([v for v in stack.ws.views(author) if v["type"] == "modal"]) > 0)
    said = "Please fix the escalation path to billing."
    field = {ids.TEXT_BLOCK: {ids.TEXT_INPUT: {"type": "plain_text_input", "value": said}}}
    stack.slack.submit_view(author, _latest_modal(stack, author), field)
    wait_for(lambda: "anonymous comment is saved" in json.dumps(stack.latest_dm(author)))
    for user in SUCCESS[3:7]:  # four respondents: below k = 5
        _answer_first(stack, user)
    hidden = json.dumps(stack.reply_to("U0SUCCESSLEAD", "report"))
    assert said not in hidden and "Results appear once it has closed" in hidden
    _answer_first(stack, SUCCESS[7])
    still_open = json.dumps(stack.reply_to("U0SUCCESSLEAD", "report"))
    assert said not in still_open and "answered so far" in still_open
    stack.close_pulses()
    shown = json.dumps(stack.reply_to("U0SUCCESSLEAD", "report"))
    assert said in shown and "Anonymous comments" in shown
    assert "U0SUC" not in shown  # no author, no respondent ids


def test_logs_hold_no_secrets_and_no_answers(stack: Stack) -> None:
    _fresh_pulse(stack)
    user = SUCCESS[4]
    _answer_first(stack, user)
    button = _button(stack.latest_dm(user), ids.COMMENT)
    stack.slack.click(user, stack.latest_dm(user), action_id=ids.COMMENT, value=button["value"])
    wait_for(lambda: any(v["type"] == "modal" for v in stack.ws.views(user)))
    secret_phrase = "zebra-quartz-my-manager-never-listens"
    field = {ids.TEXT_BLOCK: {ids.TEXT_INPUT: {"type": "plain_text_input", "value": secret_phrase}}}
    stack.slack.submit_view(user, _latest_modal(stack, user), field)
    wait_for(lambda: "anonymous comment is saved" in json.dumps(stack.latest_dm(user)))
    stack.slack.post_raw(f"text={secret_phrase}".encode(), {"X-Slack-Signature": "v0=bad"})
    log = stack.web_log()
    assert '"msg": "request"' in log and '"request_id"' in log  # it does log, one line each
    for secret in (
        secret_phrase,
        stack.env["SLACK_SIGNING_SECRET"],
        stack.env["SLACK_BOT_TOKEN"],
        stack.env["PULSE_SECRET"],
    ):
        assert secret not in log


def test_the_author_can_delete_their_comment_from_home(stack: Stack) -> None:
    _fresh_pulse(stack)
    user = SUCCESS[5]
    button = _button(stack.latest_dm(user), ids.COMMENT)
    stack.slack.click(user, stack.latest_dm(user), action_id=ids.COMMENT, value=button["value"])
    wait_for(lambda: any(v["type"] == "modal" for v in stack.ws.views(user)))
    said = "I'd rather not have said this."
    field = {ids.TEXT_BLOCK: {ids.TEXT_INPUT: {"type": "plain_text_input", "value": said}}}
    stack.slack.submit_view(user, _latest_modal(stack, user), field)
    wait_for(lambda: "anonymous comment is saved" in json.dumps(stack.latest_dm(user)))
    stack.slack.app_home_opened(user)

    def home() -> dict:
        return next(v for v in stack.ws.views(user) if v["type"] == "home")

    wait_for(
        lambda: (
            any(v["type"] == "home" for v in stack.ws.views(user)) and said in json.dumps(home())
        )
    )
    stack.slack.home_click(user, home(), action_id=ids.HOME_DELETE_COMMENT)
    wait_for(lambda: said not in json.dumps(home()))
    with session_scope(stack.engine) as s:
        assert said not in [c.body for c in s.exec(select(Comment))]


def test_a_manager_and_an_anonymous_author_talk_through_the_bot(stack: Stack) -> None:
    """Report → reply → the author's DM → their reply, relayed at a fixed time → the
    manager's DM and Home inbox; the author is never named, bad input changes nothing."""
    from storage.models import ConversationHeld, ConversationMessage
    from storage.pseudonym import comment_key

    team = [u for u in company.team_members("onboarding") if u != "U0ONBOARDLEAD"]
    assert stack.pulse("teams", "sync").returncode == 0
    assert stack.pulse("send-pulse", "--team", "onboarding").returncode == 0
    author, manager = team[0], "U0ONBOARDLEAD"  # a team no other test here touches
    said = "Handovers between shifts lose tickets."
    button = _button(stack.latest_dm(author), ids.COMMENT)
    modals = len(stack.ws.views(author))
    stack.slack.click(author, stack.latest_dm(author), action_id=ids.COMMENT, value=button["value"])
    wait_for(lambda: len(stack.ws.views(author)) > modals)
    field = {ids.TEXT_BLOCK: {ids.TEXT_INPUT: {"type": "plain_text_input", "value": said}}}
    stack.slack.submit_view(author, _latest_modal(stack, author), field)
    wait_for(lambda: "anonymous comment is saved" in json.dumps(stack.latest_dm(author)))
    for user in team[:6]:
        _answer_first(stack, user)
    stack.close_pulses()
    pulse_id = int(button["value"].split(":")[0])
    key = comment_key(SECRET.encode(), workspace="T0SANDBOX", user_id=author, pulse_id=pulse_id)
    with session_scope(stack.engine) as s:
        comment_id = s.exec(select(Comment.id).where(Comment.respondent == key)).one()

    stack.reply_to(manager, "report")
    report = next(e for e in stack.ws.ephemerals(manager) if comment_id in json.dumps(e))
    stack.slack.click(manager, report, action_id=ids.CONVO_OPEN, value=comment_id)
    wait_for(lambda: _modal_callback(stack, manager) == ids.CONVO_MODAL)
    thread = _latest_modal(stack, manager)

    def reply(text: str) -> dict:
        return {
            ids.CONVO_REPLY_BLOCK: {ids.CONVO_REPLY: {"type": "plain_text_input", "value": text}}
        }

    empty = stack.slack.submit_view(manager, thread, reply(" "))
    assert empty.json()["response_action"] == "errors"
    assert "Write a reply" in empty.json()["errors"][ids.CONVO_REPLY_BLOCK]
    dms = len(stack.ws.dm_messages(author))
    sent = stack.slack.submit_view(manager, thread, reply("Thanks. Which handover?"))
    assert sent.json()["response_action"] == "update"
    wait_for(lambda: len(stack.ws.dm_messages(author)) > dms)
    dm = stack.latest_dm(author)
    assert "Which handover?" in json.dumps(dm) and said in json.dumps(dm)

    stack.slack.click(author, dm, action_id=ids.CONVO_AUTHOR_OPEN, value=comment_id)
    wait_for(lambda: _modal_callback(stack, author) == ids.CONVO_AUTHOR_MODAL)
    form = _latest_modal(stack, author)
    anonymous = {
        ids.CONVO_SIGN_BLOCK: {
            ids.CONVO_SIGN: {"type": "static_select", "selected_option": {"value": "anonymous"}}
        }
    }
    too_long = stack.slack.submit_view(author, form, {**reply("x" * 2001), **anonymous})
    assert "at most 2,000" in too_long.json()["errors"][ids.CONVO_REPLY_BLOCK]
    answer = "Night to morning: notes are lost."
    saved = stack.slack.submit_view(author, form, {**reply(answer), **anonymous})
    assert "passed on anonymously" in json.dumps(saved.json())
    with session_scope(stack.engine) as s:
        assert len(s.exec(select(ConversationMessage)).all()) == 1  # the manager's reply
        assert len(s.exec(select(ConversationHeld)).all()) == 1  # refusals stored nothing

    before = len(stack.ws.dm_messages(manager))
    relayed = stack.pulse("relay")  # what the worker does at the next fixed time
    assert relayed.returncode == 0 and "relayed 1 waiting reply" in relayed.stdout
    assert len(stack.ws.dm_messages(manager)) == before + 1
    notice = json.dumps(stack.latest_dm(manager))
    assert answer in notice and "Anonymous" in notice

    stack.slack.app_home_opened(manager)
    wait_for(
        lambda: (
            "new reply"
            in json.dumps([v for v in stack.ws.views(manager) if v["type"] == "home"][-1:])
        )
    )
    home = json.dumps([v for v in stack.ws.views(manager) if v["type"] == "home"][-1])
    for seen in (home, notice, json.dumps(stack.ws.views(manager))):
        assert not any(person in seen for person in team)
