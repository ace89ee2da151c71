"""A real Bolt app between the sender and the sandbox: the whole Slack round trip works."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from slack_bolt import App, BoltRequest
from slack_sdk import WebClient

from sandbox import SandboxServer, SlackSender, Workspace

SECRET = "bolt-signing-secret"
MODAL = {
    "type": "modal",
    "callback_id": "comment",
    "title": {"type": "plain_text", "text": "Comment"},
    "blocks": [
        {
            "type": "input",
            "block_id": "comment",
            "label": {"type": "plain_text", "text": "Anything else?"},
            "element": {"type": "plain_text_input", "action_id": "text"},
        }
    ],
}


def build_app(server: SandboxServer) -> App:
    client = WebClient(token=server.workspace.bot_token, base_url=server.url)
    app = App(client=client, signing_secret=SECRET, process_before_response=True)

    @app.command("/pulse")
    def pulse(ack, respond, command, client) -> None:
        ack()
        if command["text"] == "comment":
            client.views_open(trigger_id=command["trigger_id"], view=MODAL)
        else:
            respond(text=f"Team {command['text']}: 4.2")

    @app.action(re.compile(r"answer_\d"))
    def answer(ack, body, respond) -> None:
        ack()
        respond(replace_original=True, text=f"Thanks, you said {body['actions'][0]['value']}")

    @app.event("app_home_opened")
    def home(event, client) -> None:
        blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "Your pulse history"}}]
        client.views_publish(user_id=event["user"], view={"type": "home", "blocks": blocks})

    @app.view("comment")
    def comment(ack, view) -> None:
        text = view["state"]["values"]["comment"]["text"]["value"]
        if len(text) < 5:
            ack(response_action="errors", errors={"comment": "A little more, please"})
        else:
            ack()

    return app


@pytest.fixture
def app_url(server: SandboxServer) -> Iterator[str]:
    app = build_app(server)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers["Content-Length"])).decode()
            response = app.dispatch(BoltRequest(body=raw, headers=dict(self.headers.items())))
            body = (response.body or "").encode()
            self.send_response(response.status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,))
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/slack/events"
    httpd.shutdown()
    httpd.server_close()
    thread.join()


@pytest.fixture
def slack(app_url: str, server: SandboxServer) -> SlackSender:
    return SlackSender(app_url, SECRET, server)


def test_slash_command_answers_on_the_response_url(
    slack: SlackSender, workspace: Workspace
) -> None:
    assert slack.slash_command("U0ALICE", "support").status == 200
    assert [e["text"] for e in workspace.ephemerals("U0ALICE")] == ["Team support: 4.2"]


def test_button_click_replaces_the_question(
    slack: SlackSender, workspace: Workspace, client: WebClient
) -> None:
    blocks = [
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": str(n)},
                    "action_id": f"answer_{n}",
                    "value": str(n),
                }
                for n in (1, 2, 3, 4, 5)
            ],
        }
    ]
    client.chat_postMessage(channel="U0BOB", text="How was your week?", blocks=blocks)
    [question] = workspace.dm_messages("U0BOB")
    assert slack.click("U0BOB", question, action_id="answer_4").status == 200
    [answered] = workspace.dm_messages("U0BOB")
    assert answered["text"] == "Thanks, you said 4" and answered["updates"] == 1


def test_home_tab_and_modal_round_trip(slack: SlackSender, workspace: Workspace) -> None:
    slack.app_home_opened("U0CAROL")
    [home] = workspace.views("U0CAROL")
    assert home["blocks"][0]["text"]["text"] == "Your pulse history"

    slack.slash_command("U0CAROL", "comment")
    modal = workspace.views("U0CAROL")[-1]
    assert modal["callback_id"] == "comment"
    short = {"comment": {"text": {"type": "plain_text_input", "value": "ok"}}}
    assert slack.submit_view("U0CAROL", modal, short).json()["response_action"] == "errors"
    long = {"comment": {"text": {"type": "plain_text_input", "value": "More coffee please"}}}
    assert slack.submit_view("U0CAROL", modal, long).status == 200


def test_a_bad_signature_never_reaches_a_listener(slack: SlackSender, workspace: Workspace) -> None:
    body = b"command=%2Fpulse&text=support&user_id=U0ALICE"
    headers = {"X-Slack-Signature": "v0=deadbeef", "X-Slack-Request-Timestamp": "1"}
    assert slack.post_raw(body, headers).status == 401
    assert workspace.response_url_posts() == []
