"""`POST /_sandbox/act`: what a person does on the page reaches a real Bolt app, signed
exactly as Slack signs it, and what the app does in return shows up on the page."""

from __future__ import annotations

import json
import re
import socketserver
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from socketserver import ThreadingMixIn
from typing import Any
from urllib.error import HTTPError
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient

from sandbox import SandboxServer, Workspace

SECRET = "page-signing-secret"
ME = "U0CAROL"


def plain(text: str) -> dict[str, str]:
    return {"type": "plain_text", "text": text}


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


MODAL = {
    "type": "modal",
    "callback_id": "comment",
    "title": plain("Anonymous comment"),
    "submit": plain("Save"),
    "blocks": [
        {
            "type": "input",
            "block_id": "comment",
            "label": plain("Anything else?"),
            "element": {"type": "plain_text_input", "action_id": "text", "multiline": True},
        }
    ],
}


def build_app(server: SandboxServer, seen: list[str]) -> App:
    """A tiny app that verifies every request's signature (Bolt refuses others with 401)."""
    client = WebClient(token=server.workspace.bot_token, base_url=server.url)
    app = App(client=client, signing_secret=SECRET, request_verification_enabled=True)

    @app.middleware
    def record(body: dict, next: Callable[[], None]) -> None:  # runs only once verified
        seen.append(body.get("command") or body.get("type") or "?")
        next()

    @app.command("/pulse")
    def pulse(ack, command, respond, client) -> None:
        if command["text"] == "inline":
            return ack(text="Inline *reply* :wave:")
        ack()
        if command["text"] == "comment":
            client.views_open(trigger_id=command["trigger_id"], view=MODAL)
        else:
            respond(text=f"Team {command['text']}: *4.2* of 5")

    @app.action(re.compile(r"answer:\d"))
    def answer(ack, body, client) -> None:
        ack()
        value = body["actions"][0]["value"]
        message = body["container"]
        client.chat_update(
            channel=message["channel_id"],
            ts=message["message_ts"],
            text="answered",
            blocks=[section(f":white_check_mark: Recorded: *{value}*")],
        )

    @app.event("app_home_opened")
    def home(event, client) -> None:
        button = {"type": "button", "action_id": "pause", "text": plain("Pause"), "value": "2w"}
        blocks = [section("Your pulse history"), {"type": "actions", "elements": [button]}]
        client.views_publish(user_id=event["user"], view={"type": "home", "blocks": blocks})

    @app.action("pause")
    def pause(ack, body, client) -> None:
        ack()
        blocks = [section(f"Paused for {body['actions'][0]['value']}")]
        client.views_publish(user_id=body["user"]["id"], view={"type": "home", "blocks": blocks})

    @app.view("comment")
    def comment(ack, view, body, client) -> None:
        text = view["state"]["values"]["comment"]["text"]["value"]
        if len(text) < 5:
            ack(response_action="errors", errors={"comment": "A little more, please"})
        elif text == "show me":
            ack(response_action="update", view={**MODAL, "blocks": [section("Saved, thanks")]})
        else:
            ack()
            client.chat_postMessage(channel=body["user"]["id"], text=f"Saved: {text}")

    return app


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True

    def server_bind(self) -> None:  # skip the reverse DNS lookup HTTPServer does
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = "127.0.0.1", self.server_address[1]
        self.setup_environ()


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def seen() -> list[str]:
    return []


@pytest.fixture
def app_url(server: SandboxServer, seen: list[str]) -> Iterator[str]:
    """The Bolt app over real HTTP (slack_bolt's WSGI adapter), connected to the sandbox."""
    wsgi = SlackRequestHandler(build_app(server, seen))
    httpd = make_server("127.0.0.1", 0, wsgi, server_class=_Server, handler_class=_Quiet)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}/slack/events"
    server.connect_app(url, SECRET)
    yield url
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def act(
    server: SandboxServer, who: str, kind: str, *, headers: dict | None = None, **fields: Any
) -> dict:
    """Do `kind` on the page as person `who`, as page.js does; the status joins the answer."""
    data = json.dumps({"as": who, "kind": kind, **fields}).encode()
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    sent = urllib.request.Request(f"{server.base}/_sandbox/act", data=data, headers=all_headers)
    try:
        with urllib.request.urlopen(sent, timeout=5) as response:
            return {"status": response.status, **json.loads(response.read())}
    except HTTPError as error:
        with error:
            return {"status": error.code, **json.loads(error.read())}


def page(server: SandboxServer, query: str) -> str:
    with urllib.request.urlopen(f"{server.base}/{query}", timeout=5) as response:
        return response.read().decode()


def eventually(server: SandboxServer, query: str, *wanted: str) -> str:
    """The page once it shows every `wanted` string (the app works after its ack)."""
    deadline = time.monotonic() + 5
    while True:
        html = page(server, query)
        if all(w in html for w in wanted) or time.monotonic() > deadline:
            assert all(w in html for w in wanted), html
            return html
        time.sleep(0.02)


@pytest.mark.usefixtures("app_url")
def test_button_click_reaches_the_app_and_its_update_replaces_the_dm(
    server: SandboxServer, client: WebClient, seen: list[str]
) -> None:
    buttons = [
        {"type": "button", "action_id": f"answer:{n}", "text": plain(str(n)), "value": str(n)}
        for n in (1, 5)
    ]
    posted = client.chat_postMessage(
        channel="U0ALICE",
        text="q",
        blocks=[section("Energy?"), {"type": "actions", "elements": buttons}],
    )
    html = page(server, "?as=U0ALICE")
    assert "data-action-id='answer:5'" in html and "disabled" not in html
    result = act(
        server,
        "U0ALICE",
        "click",
        channel=posted["channel"],
        ts=posted["ts"],
        action_id="answer:5",
        value="5",
    )
    assert result == {"status": 200, "ok": True, "message": ""}
    html = eventually(server, "?as=U0ALICE", "✅ Recorded: <b>5</b>", "(edited)")
    assert "Energy?" not in html
    assert seen == ["block_actions"]


@pytest.mark.usefixtures("app_url")
def test_slash_command_replies_only_to_that_person(server: SandboxServer, seen: list[str]) -> None:
    assert act(server, "U0ALICE", "command", text="/pulse support")["ok"]
    eventually(server, "?as=U0ALICE", "Team support: <b>4.2</b> of 5", "Only visible to you")
    assert act(server, "U0ALICE", "command", text="/pulse inline")["ok"]
    html = eventually(server, "?as=U0ALICE", "Inline <b>reply</b> 👋")
    assert html.index("Team support") < html.index("Inline")
    assert "Team support" not in page(server, "?as=U0BOB")
    assert seen == ["/pulse", "/pulse"]
    refused = act(server, "U0ALICE", "command", text="hello")
    assert refused["status"] == 400 and "/pulse" in refused["message"]


@pytest.mark.usefixtures("app_url")
def test_opening_app_home_publishes_it_and_its_buttons_work(server: SandboxServer) -> None:
    assert "has not published a Home tab" in page(server, "?as=U0BOB&view=home")
    assert act(server, "U0BOB", "home_opened")["ok"]
    html = eventually(server, "?as=U0BOB&view=home", "Your pulse history")
    view_id = html.split("data-view-id='")[1].split("'")[0]
    assert act(server, "U0BOB", "click", view_id=view_id, action_id="pause", value="2w")["ok"]
    eventually(server, "?as=U0BOB&view=home", "Paused for 2w")


@pytest.mark.usefixtures("app_url")
def test_modal_opens_checks_fields_shows_app_errors_and_closes_on_submit(
    server: SandboxServer, seen: list[str]
) -> None:
    assert act(server, ME, "command", text="/pulse comment")["ok"]
    html = eventually(server, f"?as={ME}", "class='modal'", "Anything else?")
    view_id = html.split("class='modal' data-surface='view' data-view-id='")[1].split("'")[0]

    empty = act(server, ME, "submit", view_id=view_id, values={"comment": "  "})
    assert not empty["ok"] and seen == ["/pulse"]  # Slack's client checks required fields itself
    assert "Please complete this required field." in page(server, f"?as={ME}")

    short = act(server, ME, "submit", view_id=view_id, values={"comment": "<b>"})
    assert not short["ok"] and seen[-1] == "view_submission"
    html = page(server, f"?as={ME}")
    assert "A little more, please" in html and ">&lt;b&gt;</textarea>" in html  # draft kept

    assert act(server, ME, "submit", view_id=view_id, values={"comment": "show me"})["ok"]
    assert "Saved, thanks" in page(server, f"?as={ME}")  # response_action=update
    assert act(server, ME, "close", view_id=view_id)["ok"]
    assert "class='modal'" not in page(server, f"?as={ME}")

    assert act(server, ME, "command", text="/pulse comment")["ok"]
    html = eventually(server, f"?as={ME}", "class='modal'")
    second = html.split("data-view-id='")[1].split("'")[0]
    assert second != view_id
    assert act(server, ME, "submit", view_id=second, values={"comment": "More tools"})["ok"]
    html = eventually(server, f"?as={ME}", "Saved: More tools")
    assert "class='modal'" not in html


def test_a_wrong_signing_secret_is_refused_by_the_app(
    server: SandboxServer, app_url: str, seen: list[str]
) -> None:
    server.connect_app(app_url, "not-the-secret")
    result = act(server, "U0ALICE", "command", text="/pulse support")
    assert not result["ok"] and "dispatch_failed" in result["message"]
    assert seen == [] and "Team support" not in page(server, "?as=U0ALICE")


def test_without_an_app_the_page_is_read_only(server: SandboxServer, client: WebClient) -> None:
    button = {"type": "button", "action_id": "go", "text": plain("Go")}
    client.chat_postMessage(
        channel="U0ALICE", text="q", blocks=[{"type": "actions", "elements": [button]}]
    )
    html = page(server, "?as=U0ALICE")
    assert "<b>Read-only</b>" in html and "title='No app connected: read-only'" in html
    result = act(server, "U0ALICE", "command", text="/pulse")
    assert result["status"] == 409 and "read-only" in result["message"]


def test_connect_app_over_control_and_loopback_only(server: SandboxServer) -> None:
    def control(body: dict) -> int:
        request = urllib.request.Request(
            f"{server.base}/_sandbox/connect_app", data=json.dumps(body).encode()
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return response.status
        except HTTPError as error:
            error.close()
            return error.code

    assert control({"app_url": "http://127.0.0.1:3000", "signing_secret": "s"}) == 200
    assert server.app is not None and server.app.url == "http://127.0.0.1:3000/slack/events"
    assert control({"app_url": "http://example.com/slack/events", "signing_secret": "s"}) == 400


def test_act_refuses_cross_site_requests(server: SandboxServer, workspace: Workspace) -> None:
    server.connect_app("http://127.0.0.1:9/slack/events", SECRET)
    foreign = act(server, "U0ALICE", "home_opened", headers={"Origin": "http://evil.test"})
    assert foreign["status"] == 403
    as_form = act(server, "U0ALICE", "home_opened", headers={"Content-Type": "text/plain"})
    assert as_form["status"] == 415
    unreachable = act(server, "U0ALICE", "home_opened")
    assert unreachable["status"] == 502
    assert act(server, "U0NOBODY", "home_opened")["status"] == 400
