"""Co-created commitments through the real listeners, on the sandbox, on SQLite and
PostgreSQL: a manager proposes three actions, the team chooses in its next pulse (one
choice each, changeable until the close), the winner is announced with the pulse after and
followed up by the one after that, and the team's channel celebrates it once kept. Bad input
is refused and changes nothing."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_bolt import App, BoltRequest
from sqlalchemy import Engine, func
from sqlmodel import select, update

from bot import ids
from bot.app import build_app
from bot.blocks.cocreate import report_blocks
from bot.context import Context
from bot.messages import SlackMessages
from bot.reporting import team_report
from figures.cocreate import proposal_lines
from jobs import celebrate, closing, sync
from jobs.delivery import Sender
from jobs.pulses import open_now
from sandbox import company, payloads
from sandbox.sender import sign
from sandbox.server import SandboxServer
from sandbox.workspace import Workspace
from settings.runtime import Settings
from settings.slack import make_client
from storage.db import session_scope
from storage.models import Cocreated, Commitment, Held, Pulse
from storage.org import workspace_by_slack_id
from tests.conftest import REPO

SIGNING = "cocreate-signing-secret"
SECRET = "cocreate-secret-cocreate-secret"
TEAM, CHANNEL, MANAGER = "onboarding", "C0ONBOARD", "U0ONBOARDLEAD"
PEOPLE = company.team_members(TEAM)  # six people and their lead: seven DMs
OUTSIDER = company.team_members("support")[0]
ACTIONS = ["No meetings on Friday mornings", "A buddy for every new starter", "Shadow a call"]


class Flow:
    def __init__(self, sandbox: SandboxServer, engine: Engine, settings: Settings) -> None:
        self.sandbox, self.engine, self.settings = sandbox, engine, settings
        self.client = make_client(settings)
        self.app: App = build_app(
            Context(settings=settings, engine=engine), self.client, process_before_response=True
        )
        self.pulse_id = 0

    @property
    def ws(self) -> Workspace:
        return self.sandbox.workspace

    def send(self, payload: dict[str, Any]) -> dict[str, Any] | None:
        body = urlencode({"payload": json.dumps(payload)})
        headers = {
            "content-type": "application/x-www-form-urlencoded",
            **sign(SIGNING, body.encode(), int(time.time())),
        }
        response = self.app.dispatch(
            BoltRequest(body=body, headers={k.lower(): v for k, v in headers.items()})
        )
        assert response.status == 200
        return json.loads(response.body) if response.body else None

    def click(self, user: str, message: dict[str, Any], action_id: str, value: str) -> None:
        channel = self.ws.dm_id(user)
        self.send(
            payloads.block_actions(
                self.ws,
                user,
                container={"type": "message", "channel_id": channel, "message_ts": message["ts"]},
                channel={"id": channel},
                message=message,
                trigger_id=self.ws.issue_trigger(user),
                response_url=self.sandbox.base
                + self.ws.new_response_url("block_actions", user_id=user, ephemeral=True),
                actions=[{"action_id": action_id, "value": value, "type": "button"}],
            )
        )

    def open_pulse(self) -> None:
        now = dt.datetime.now(dt.UTC)
        with session_scope(self.engine) as s:
            ws = workspace_by_slack_id(s, slack_team_id="T0SANDBOX")
            assert ws is not None and ws.id is not None
            opened = open_now(
                s,
                config=self.settings.config,
                bank=self.settings.bank,
                workspace_id=ws.id,
                team_key=TEAM,
                now=now,
            )
        self.pulse_id = opened.pulse_id
        Sender(
            self.engine,
            make_client(self.settings, retries=False),
            worker="c",
            k=5,
            messages=SlackMessages(),
        ).drain(pulse_id=opened.pulse_id, timeout=30)

    def close_pulse(self) -> None:
        now = dt.datetime.now(dt.UTC)
        with session_scope(self.engine) as s:
            s.exec(
                update(Pulse)
                .where(Pulse.id == self.pulse_id)
                .values(closes_at=now - dt.timedelta(seconds=1))
            )
            assert closing.run(s, now=now, secret=SECRET.encode()) == [self.pulse_id]

    def dm(self, user: str) -> dict[str, Any]:
        return self.ws.dm_messages(user)[-1]

    def choose(self, user: str, n: int) -> None:
        """Click the n-th proposed action in the user's latest pulse DM."""
        dm = self.dm(user)
        buttons = [
            b["accessory"]
            for b in dm["blocks"]
            if b.get("block_id", "").endswith(f":o{n}") and "accessory" in b
        ]
        assert buttons, f"no choice {n} in the DM"
        self.click(user, dm, buttons[0]["action_id"], buttons[0]["value"])

    def answer_all(self, index: int) -> None:
        for user in PEOPLE:
            dm = self.dm(user)
            for row in [b for b in dm["blocks"] if b["type"] == "actions"]:
                button = row["elements"][index]
                self.click(user, self.dm(user), button["action_id"], button["value"])

    def propose(self, options: list[str], driver: str = "knowledge") -> dict[str, Any] | None:
        report = {"ts": "1.1", "blocks": []}
        self.click(MANAGER, report, ids.COCREATE_OPEN, TEAM)
        modal = [v for v in self.ws.views(MANAGER) if v["type"] == "modal"][-1]
        assert modal["callback_id"] == ids.COCREATE_MODAL
        values: dict[str, Any] = {
            ids.COMMIT_DRIVER_BLOCK: {
                ids.COMMIT_DRIVER: {"type": "static_select", "selected_option": {"value": driver}}
            }
        }
        for n, text in enumerate(options, start=1):
            values[f"{ids.COCREATE_OPTION}:{n}"] = {
                ids.COCREATE_OPTION: {"type": "plain_text_input", "value": text}
            }
        trigger = self.ws.issue_trigger(MANAGER)
        return self.send(payloads.view_submission(self.ws, MANAGER, modal, values, trigger))

    def proposals(self) -> int:
        with session_scope(self.engine) as s:
            return int(s.exec(select(func.count()).select_from(Cocreated)).one())

    def report(self) -> str:
        """What the manager's report says about the team's choices (the same renderer and
        figures the report uses)."""
        with session_scope(self.engine) as s:
            team = s.exec(select(Pulse.team_id).where(Pulse.id == self.pulse_id)).one()
            lines = proposal_lines(s, team_id=team, k=5, labels={"knowledge": "Knowledge"})
        return json.dumps(report_blocks(lines, team_key=TEAM, k=5), ensure_ascii=False)

    def celebrate(self) -> int:
        with session_scope(self.engine) as s:
            ws = workspace_by_slack_id(s, slack_team_id="T0SANDBOX")
            assert ws is not None and ws.id is not None
            return celebrate.run(
                s,
                self.client,
                config=self.settings.config,
                workspace_id=ws.id,
                now=dt.datetime.now(dt.UTC),
                messages=SlackMessages(),
            )

    def full_report(self) -> str:
        """The manager's whole `/pulse report` for the team, as the listener renders it."""
        with session_scope(self.engine) as s:
            replies = team_report(
                s,
                config=self.settings.config,
                slack_team_id="T0SANDBOX",
                user_id=MANAGER,
                team_key=TEAM,
                now=dt.datetime.now(dt.UTC),
                driver_labels={k: d.label for k, d in self.settings.bank.drivers.items()},
            )
        return json.dumps(replies, ensure_ascii=False)

    def held(self) -> int:
        with session_scope(self.engine) as s:
            return int(s.exec(select(func.count()).where(Held.kind == "answer")).one())


def _config(tmp: Path) -> Path:
    text = (REPO / "config.toml").read_text(encoding="utf-8")
    marker = 'key = "onboarding"\n'
    assert marker in text
    path = tmp / "config.toml"
    path.write_text(text.replace(marker, marker + "celebrate = true\n"), encoding="utf-8")
    return path


@pytest.fixture
def flow(engine: Engine, tmp_path: Path) -> Iterator[Flow]:
    with SandboxServer(company.seed(Workspace())) as sandbox:
        settings = Settings.from_env(
            {
                "PULSE_CONFIG": str(_config(tmp_path)),
                "SLACK_API_URL": sandbox.url,
                "SLACK_BOT_TOKEN": sandbox.workspace.bot_token,
                "SLACK_SIGNING_SECRET": SIGNING,
                "PULSE_SECRET": SECRET,
                "DATABASE_URL": "sqlite://",
            }
        )
        with session_scope(engine) as s:
            sync.run(s, make_client(settings), settings.config, dt.datetime.now(dt.UTC))
        yield Flow(sandbox, engine, settings)


def _errors(reply: dict[str, Any] | None) -> dict[str, str]:
    assert reply is not None and reply["response_action"] == "errors", reply
    return reply["errors"]


def test_the_team_chooses_its_commitment_and_celebrates_it(flow: Flow) -> None:
    # bad proposals: a clear message on the right field, nothing stored
    assert "two" in _errors(flow.propose([ACTIONS[0], ""]))[f"{ids.COCREATE_OPTION}:2"]
    long = "x" * 200
    assert "200" in _errors(flow.propose([ACTIONS[0], long]))[f"{ids.COCREATE_OPTION}:2"]
    assert "same" in json.dumps(_errors(flow.propose([ACTIONS[0], ACTIONS[0].upper()])))
    assert _errors(flow.propose(ACTIONS, driver="nonsense"))
    assert flow.proposals() == 0
    saved = flow.propose(ACTIONS)
    assert saved is not None and saved["response_action"] == "update"
    assert "already has a choice" in json.dumps(_errors(flow.propose(ACTIONS[:2])))
    assert flow.proposals() == 1

    flow.open_pulse()  # the team chooses in this pulse
    dm = json.dumps(flow.dm(PEOPLE[0]), ensure_ascii=False)
    assert all(action in dm for action in ACTIONS)
    assert "which should it be?" in dm
    assert "the team chooses in its next pulse" not in flow.report()
    assert "choosing until the pulse closes" in flow.report()  # no count while open
    votes = [2, 2, 2, 1, 1, 3, 1]  # 3 each for the first two...
    for user, n in zip(PEOPLE, votes, strict=True):
        flow.choose(user, n)
    flow.choose(PEOPLE[6], 2)  # ...until one changes their mind: 2, 4, 1
    assert flow.held() == len(PEOPLE)  # one choice each, held sealed until the close
    assert "Chosen" in json.dumps(flow.dm(PEOPLE[0]))
    # a forged vote: someone of another team clicks a copy of a member's button
    member_dm = flow.dm(PEOPLE[0])
    button = next(
        b["accessory"] for b in member_dm["blocks"] if b.get("block_id", "").endswith(":o1")
    )
    flow.click(OUTSIDER, member_dm, button["action_id"], button["value"])
    assert "wasn't sent to you" in json.dumps(flow.ws.response_url_posts()[-1]["body"])
    assert flow.held() == len(PEOPLE)

    flow.close_pulse()
    before = flow.held()
    flow.choose(PEOPLE[0], 3)  # too late: the pulse has closed
    assert flow.held() == before == 0
    assert "closed" in json.dumps(flow.ws.response_url_posts()[-1]["body"])
    reply = flow.full_report()
    assert f"the team chose “{ACTIONS[1]}”" in reply
    assert "which should it be?" not in reply  # no mean or count of the choice as a question
    assert "1: 2, 2: 4, 3: 1" in reply  # seven voted, all who answered: counts shown

    flow.open_pulse()  # the pulse after announces the team's choice
    assert ACTIONS[1] in json.dumps(flow.dm(PEOPLE[3]), ensure_ascii=False)
    with session_scope(flow.engine) as s:
        made = s.exec(select(Commitment)).one()
        assert (made.text, made.created_by) == (ACTIONS[1], MANAGER)
    flow.close_pulse()
    flow.open_pulse()  # and the one after asks whether it made a difference
    assert "this commitment has made a real difference" in json.dumps(
        flow.dm(PEOPLE[0]), ensure_ascii=False
    )
    flow.answer_all(index=4)  # strongly agree, everyone
    assert flow.celebrate() == 0  # not kept while the follow-up pulse is open
    flow.close_pulse()
    assert [flow.celebrate(), flow.celebrate()] == [1, 0]  # posted once, however often run
    notes = [m for m in flow.ws.messages(CHANNEL) if ":tada:" in m.get("text", "")]
    assert len(notes) == 1 and ACTIONS[1] in notes[0]["text"]
