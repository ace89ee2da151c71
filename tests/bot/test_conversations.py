"""Conversations about anonymous comments through the real listeners, on the sandbox:
a manager replies, the author answers from their DM, the relay passes it on, and nothing a
manager sees names the author. Bad input is refused and changes nothing."""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_bolt import BoltRequest
from sqlalchemy import func
from sqlmodel import select

from bot import ids
from bot.conversations import BAD_LABEL, EMPTY, GONE, NOT_ALLOWED, NOT_STARTED, NOT_YOURS
from bot.home import build_home, refresher
from bot.messages import SlackMessages
from jobs import relay
from sandbox import company
from sandbox.sender import sign
from settings.slack import make_client
from storage.db import session_scope
from storage.models import Comment, ConversationHeld, ConversationMessage, Employee
from storage.pseudonym import comment_key, respondent_key
from storage.pulses import pulse_view
from storage.responses import record_answer
from tests.bot.conftest import SIGNING, World

SUPPORT = company.team_members("support")
AUTHOR, BYSTANDER = SUPPORT[0], SUPPORT[1]
MANAGER, HR, OTHER_MANAGER = "U0MANAGER", "U0HRLEAD", "U0SUCCESSLEAD"
COMMENT = "The on-call rota is exhausting <!channel> *every* week"
RELAY_AT = dt.datetime(2026, 12, 3, 10, 20, tzinfo=dt.UTC)
STARTED: dict[str, Any] = {}


def _send(world: World, payload: dict[str, Any]) -> dict[str, Any] | None:
    body = urlencode({"payload": json.dumps(payload)})
    headers = {
        "content-type": "application/x-www-form-urlencoded",
        **sign(SIGNING, body.encode(), int(time.time())),
    }
    response = world.app.dispatch(
        BoltRequest(body=body, headers={k.lower(): v for k, v in headers.items()})
    )
    assert response.status == 200
    return json.loads(response.body) if response.body else None


def _click(world: World, user: str, action_id: str, value: str) -> None:
    ws = world.sandbox.workspace
    _send(
        world,
        {
            "type": "block_actions",
            "team": {"id": "T0SANDBOX"},
            "user": {"id": user},
            "trigger_id": ws.issue_trigger(user),
            "response_url": world.sandbox.base
            + ws.new_response_url("block_actions", user_id=user, ephemeral=True),
            "actions": [{"action_id": action_id, "value": value, "type": "button"}],
        },
    )


def _submit(
    world: World, user: str, callback: str, comment_id: str, values: dict[str, Any]
) -> dict[str, Any] | None:
    state = {block: {action: value} for block, (action, value) in values.items()}
    view = {
        "id": "V1",
        "type": "modal",
        "callback_id": callback,
        "private_metadata": comment_id,
        "state": {"values": state},
    }
    return _send(
        world,
        {
            "type": "view_submission",
            "team": {"id": "T0SANDBOX"},
            "user": {"id": user},
            "view": view,
        },
    )


def _reply(text: str) -> dict[str, Any]:
    return {ids.CONVO_REPLY_BLOCK: (ids.CONVO_REPLY, {"type": "plain_text_input", "value": text})}


def _sign(value: str) -> dict[str, Any]:
    option = {"selected_option": {"value": value}, "type": "static_select"}
    return {ids.CONVO_SIGN_BLOCK: (ids.CONVO_SIGN, option)}


def _label(value: str) -> dict[str, Any]:
    option = {"selected_option": {"value": value}, "type": "static_select"}
    return {ids.CONVO_LABEL_BLOCK: (ids.CONVO_LABEL, option)}


def _latest_view(world: World, user: str) -> dict[str, Any]:
    return [v for v in world.sandbox.workspace.views(user) if v["type"] == "modal"][-1]


def _messages(world: World) -> int:
    """Messages in threads plus replies waiting for the relay."""
    with session_scope(world.engine) as s:
        return sum(
            int(s.exec(select(func.count()).select_from(table)).one())
            for table in (ConversationMessage, ConversationHeld)
        )


def _comment_of(world: World, user: str) -> str:
    secret = world.settings.secret()  # type: ignore[union-attr]
    key = comment_key(secret, workspace="T0SANDBOX", user_id=user, pulse_id=world.pulse_id)
    with session_scope(world.engine) as s:
        return s.exec(select(Comment.id).where(Comment.respondent == key)).one()


def _names_of_team(world: World) -> list[str]:
    with session_scope(world.engine) as s:
        rows = s.exec(select(Employee.slack_user_id, Employee.name)).all()
    members = set(SUPPORT)
    return [x for uid, name in rows if uid in members for x in (uid, name) if x]


@pytest.fixture(scope="module", autouse=True)
def commented(world: World) -> None:
    """Six of the team answered, two commented; the pulse closed with k = 5 respondents."""
    secret = world.settings.secret()  # type: ignore[union-attr]
    with session_scope(world.engine) as s:
        view = pulse_view(s, pulse_id=world.pulse_id)
        assert view is not None
        qid = next(q.id for q in view.questions if q.kind == "likert5")
        for user in SUPPORT[:6]:
            key = respondent_key(
                secret, workspace="T0SANDBOX", user_id=user, pulse_id=world.pulse_id
            )
            record_answer(s, pulse_id=world.pulse_id, question_id=qid or 0, respondent=key, value=4)
    for user, text in ((AUTHOR, COMMENT), (BYSTANDER, "I love how we help each other out")):
        _submit_comment(world, user, text)
    world.close_pulse()
    # The manager opens the author's comment and replies (tests below read what happened).
    ws, comment_id = world.sandbox.workspace, _comment_of(world, AUTHOR)
    _click(world, MANAGER, ids.CONVO_OPEN, comment_id)
    STARTED["thread"] = _latest_view(world, MANAGER)
    before = {u: len(ws.dm_messages(u)) for u in SUPPORT}
    STARTED["ack"] = _submit(
        world, MANAGER, ids.CONVO_MODAL, comment_id, _reply("Thank you. What would help?")
    )
    STARTED["got"] = {u for u in SUPPORT if len(ws.dm_messages(u)) > before[u]}


def _submit_comment(world: World, user: str, text: str) -> None:
    dm = world.sandbox.workspace.dm_messages(user)[-1]
    metadata = f"{world.pulse_id}:{ids.COMMENT_QUESTION}:{dm['channel']}:{dm['ts']}"
    view = {
        "id": "V0",
        "type": "modal",
        "callback_id": ids.TEXT_MODAL,
        "private_metadata": metadata,
        "state": {
            "values": {
                ids.TEXT_BLOCK: {ids.TEXT_INPUT: {"type": "plain_text_input", "value": text}}
            }
        },
    }
    _send(
        world,
        {
            "type": "view_submission",
            "team": {"id": "T0SANDBOX"},
            "user": {"id": user},
            "view": view,
        },
    )


def test_a_conversation_goes_both_ways_and_never_names_the_author(world: World) -> None:
    ws = world.sandbox.workspace
    comment_id = _comment_of(world, AUTHOR)
    thread, ack = STARTED["thread"], STARTED["ack"]
    seen_by_managers: list[Any] = [thread, ack]
    assert thread["callback_id"] == ids.CONVO_MODAL
    assert "&lt;!channel&gt;" in json.dumps(thread) and "<!channel>" not in json.dumps(thread)
    assert ack is not None and ack["response_action"] == "update"
    assert STARTED["got"] == {AUTHOR}  # the author, and only the author, gets the reply
    dm = json.dumps(ws.dm_messages(AUTHOR)[-1])
    assert "What would help?" in dm and "on-call rota" in dm and "&lt;!channel&gt;" in dm
    assert f"<@{MANAGER}>" in dm  # a manager's reply shows who wrote it

    _click(world, AUTHOR, ids.CONVO_AUTHOR_OPEN, comment_id)
    assert _latest_view(world, AUTHOR)["callback_id"] == ids.CONVO_AUTHOR_MODAL
    manager_dms = len(ws.dm_messages(MANAGER))
    homes = [v for v in ws.views(MANAGER) if v["type"] == "home"]
    assert "new reply" not in json.dumps(homes[-1])  # republished when they opened and replied
    ack = _submit(
        world,
        AUTHOR,
        ids.CONVO_AUTHOR_MODAL,
        comment_id,
        {**_reply("Two people per shift"), **_sign("anonymous")},
    )
    assert ack is not None and "passed on anonymously" in json.dumps(ack)
    with session_scope(world.engine) as s:
        waiting = s.exec(
            select(ConversationHeld).where(ConversationHeld.body == "Two people per shift")
        ).one()
        assert waiting.turn == 1  # held: no place in the thread, no time until the relay
        assert not s.exec(
            select(ConversationMessage).where(ConversationMessage.body == waiting.body)
        ).all()
    assert len(ws.dm_messages(MANAGER)) == manager_dms  # nothing reaches the manager yet
    assert [v for v in ws.views(MANAGER) if v["type"] == "home"] == homes  # nor their Home

    client = make_client(world.settings)  # type: ignore[arg-type]
    config, bank = world.settings.config, world.settings.bank
    homes_of = refresher(client, config=config, bank=bank, secret=world.settings.secret())
    with session_scope(world.engine) as s:
        assert relay.run(s, client, RELAY_AT, messages=SlackMessages(), refresh_home=homes_of) >= 1
    home = [v for v in ws.views(MANAGER) if v["type"] == "home"][-1]  # at the relay, unopened
    assert "new reply" in json.dumps(home) and "Two people per shift" not in json.dumps(home)
    seen_by_managers.append(home)
    with session_scope(world.engine) as s:
        assert (
            relay.run(s, client, RELAY_AT + dt.timedelta(minutes=30), messages=SlackMessages()) == 0
        )
        released = s.exec(
            select(ConversationMessage).where(ConversationMessage.body == "Two people per shift")
        ).one()
        assert released.at == dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.UTC)  # the relay's time
        assert released.seq is not None and released.seq > 1  # after the manager's reply
    notice = ws.dm_messages(MANAGER)[-1]
    assert "Two people per shift" in json.dumps(notice) and "Anonymous" in json.dumps(notice)
    seen_by_managers.append(notice)

    _click(world, HR, ids.CONVO_OPEN, comment_id)  # HR may read every team's conversations
    seen_by_managers.append(_latest_view(world, HR))
    assert "Two people per shift" in json.dumps(seen_by_managers[-1])

    leaked = json.dumps(seen_by_managers, ensure_ascii=False)
    for name in _names_of_team(world):
        assert name not in leaked


def test_signing_a_reply_takes_an_explicit_confirmation(world: World) -> None:
    comment_id = _comment_of(world, AUTHOR)
    before = _messages(world)
    ack = _submit(
        world, AUTHOR, ids.CONVO_AUTHOR_MODAL, comment_id, {**_reply("It's me"), **_sign("reveal")}
    )
    assert ack is not None and ack["response_action"] == "push"
    assert ack["view"]["callback_id"] == ids.CONVO_REVEAL_MODAL
    assert _messages(world) == before  # asking is not sending
    ack = _submit(world, AUTHOR, ids.CONVO_REVEAL_MODAL, comment_id, _reply("It's me"))
    assert ack is not None and "with your name" in json.dumps(ack)
    with session_scope(world.engine) as s:
        signed = s.exec(
            select(ConversationHeld).where(col_is_not_null(ConversationHeld.revealed_name))
        ).one()
        name = s.exec(select(Employee.name).where(Employee.slack_user_id == AUTHOR)).one()
    assert signed.revealed_name == name


def col_is_not_null(column: Any) -> Any:
    from sqlmodel import col

    return col(column).is_not(None)


@pytest.mark.parametrize(
    ("who", "callback", "whose", "values", "said"),
    [
        ("manager", ids.CONVO_MODAL, AUTHOR, _reply("   "), "Write a reply"),
        ("manager", ids.CONVO_MODAL, AUTHOR, _reply("x" * 2001), "at most 2,000"),
        ("manager", ids.CONVO_MODAL, None, _reply("Hello?"), GONE),
        ("other manager", ids.CONVO_MODAL, AUTHOR, _reply("Hello?"), NOT_ALLOWED),
        ("author", ids.CONVO_AUTHOR_MODAL, AUTHOR, {**_reply(""), **_sign("anonymous")}, EMPTY),
        (
            "bystander",
            ids.CONVO_AUTHOR_MODAL,
            AUTHOR,
            {**_reply("Hi"), **_sign("anonymous")},
            NOT_YOURS,
        ),
        ("bystander", ids.CONVO_REVEAL_MODAL, AUTHOR, _reply("It's me"), NOT_YOURS),
        ("bystander", ids.CONVO_AUTHOR_MODAL, BYSTANDER, _reply("Hi"), NOT_STARTED),
        ("author", ids.CONVO_AUTHOR_MODAL, None, _reply("Hi"), GONE),
        ("manager", ids.CONVO_MODAL, AUTHOR, {**_reply("Hi"), **_label("hacked")}, BAD_LABEL),
    ],
)
def test_bad_input_gets_a_clear_message_and_changes_nothing(
    world: World, who: str, callback: str, whose: str | None, values: dict[str, Any], said: str
) -> None:
    user = {
        "manager": MANAGER,
        "other manager": OTHER_MANAGER,
        "author": AUTHOR,
        "bystander": BYSTANDER,
    }[who]
    comment_id = _comment_of(world, whose) if whose else "0123456789abcdef"
    before, dms = _messages(world), len(world.sandbox.workspace.dm_messages(AUTHOR))
    ack = _submit(world, user, callback, comment_id, values)
    assert ack is not None and ack["response_action"] == "errors"
    assert said in json.dumps(ack)
    assert _messages(world) == before
    assert len(world.sandbox.workspace.dm_messages(AUTHOR)) == dms


def test_someone_else_cannot_open_a_thread(world: World) -> None:
    comment_id = _comment_of(world, AUTHOR)
    views = len(world.sandbox.workspace.views(BYSTANDER))
    _click(world, BYSTANDER, ids.CONVO_OPEN, comment_id)  # a forged manager action
    _click(world, BYSTANDER, ids.CONVO_AUTHOR_OPEN, comment_id)  # someone else's thread
    assert len(world.sandbox.workspace.views(BYSTANDER)) == views
    said = json.dumps(world.sandbox.workspace.response_url_posts()[-2:])
    assert "Only the team" in said and "isn't yours" in said


def test_the_inbox_lists_the_team_comments_with_their_state(world: World) -> None:
    def home(user: str) -> str:
        with session_scope(world.engine) as s:
            view = build_home(
                s,
                config=world.settings.config,  # type: ignore[union-attr]
                secret=world.settings.secret(),  # type: ignore[union-attr]
                slack_team_id="T0SANDBOX",
                user_id=user,
                now=dt.datetime.now(dt.UTC),
                inbox_filter=filt,
            )
        return json.dumps(view, ensure_ascii=False)

    filt = ""
    manager = home(MANAGER)
    assert "*Inbox* · 2 comments" in manager
    assert "help each other" in manager and "on-call rota" in manager
    assert "*new*" in manager  # the bystander's comment, never opened
    assert "help each other" in home(HR)
    assert "on-call rota" not in home(OTHER_MANAGER)
    filt = "|positive"
    positive = home(MANAGER)
    assert "help each other" in positive and "on-call rota" not in positive


def test_the_sandbox_page_lets_both_sides_try_it_and_names_nobody(world: World) -> None:
    from sandbox.page import render_page

    def pane(query: str) -> str:
        page = render_page(world.sandbox, query)
        return page.split("data-region='pane'>", 1)[1].split("</section>", 1)[0]

    envelope = {
        "type": "event_callback",
        "team_id": "T0SANDBOX",
        "api_app_id": "A0PULSE",
        "event_id": f"Ev{time.monotonic_ns()}",
        "event_time": int(time.time()),
        "event": {"type": "app_home_opened", "user": MANAGER, "tab": "home"},
    }
    assert world.dispatch(json.dumps(envelope), "application/json") == 200
    home = pane(f"as={MANAGER}&view=home")
    assert "Inbox" in home and "on-call rota" in home and "Open" in home
    author_dm = pane(f"as={AUTHOR}")
    assert "What would help?" in author_dm and "Reply" in author_dm
    for seen in (home, pane(f"as={MANAGER}")):
        assert not any(name in seen for name in _names_of_team(world))


def _read_in(world: World, user: str, locale: str | None) -> None:
    with session_scope(world.engine) as s:
        person = s.exec(select(Employee).where(Employee.slack_user_id == user)).one()
        person.locale_override = locale
        s.add(person)


def test_each_person_reads_the_conversation_in_their_own_language(world: World) -> None:
    """The author's DM is in the author's language, not the replying manager's; the relay's
    notice in the manager's. (Last in the module: it replies again on AUTHOR's comment.)"""
    ws, comment_id = world.sandbox.workspace, _comment_of(world, AUTHOR)
    _read_in(world, AUTHOR, "fr-FR")
    try:
        ack = _submit(world, MANAGER, ids.CONVO_MODAL, comment_id, _reply("Et la nuit ?"))
        assert ack is not None and "Sent: the author gets your reply" in json.dumps(ack)
        dm = json.dumps(ws.dm_messages(AUTHOR)[-1], ensure_ascii=False)
        assert "Et la nuit ?" in dm
        assert "a répondu à votre commentaire anonyme" in dm and '"Répondre"' in dm
        assert "replied to your anonymous comment" not in dm

        _click(world, AUTHOR, ids.CONVO_AUTHOR_OPEN, comment_id)
        assert "Rester anonyme" in json.dumps(_latest_view(world, AUTHOR), ensure_ascii=False)
        ack = _submit(
            world,
            AUTHOR,
            ids.CONVO_AUTHOR_MODAL,
            comment_id,
            {**_reply("Surtout la nuit"), **_sign("anonymous")},
        )
        assert ack is not None and "transmise anonymement" in json.dumps(ack, ensure_ascii=False)

        _read_in(world, MANAGER, "de-DE")
        client = make_client(world.settings)  # type: ignore[arg-type]

        def broken_home(*_: object) -> None:
            raise RuntimeError("a Home that cannot be built")

        for _ in range(2):  # a Home that fails to build neither undoes nor repeats the batch
            with session_scope(world.engine) as s:
                relay.run(
                    s,
                    client,
                    RELAY_AT,
                    messages=SlackMessages(),
                    force=True,
                    refresh_home=broken_home,
                )
        notices = [json.dumps(m, ensure_ascii=False) for m in ws.dm_messages(MANAGER)]
        assert sum("Surtout la nuit" in n for n in notices) == 1
        notice = notices[-1]
        assert "Surtout la nuit" in notice and "*Anonym*" in notice and "Gespräch öffnen" in notice
    finally:
        _read_in(world, AUTHOR, None)
        _read_in(world, MANAGER, None)
