"""`/pulse report` as people type it, and the Home tab's line saying who they are here.

The real app over real HTTP (Bolt's WSGI adapter on port 0), requests signed as Slack signs
them by the sandbox's sender, replies posted to the sandbox's response URLs; SQLite and
PostgreSQL. In this company U0SUCCESSLEAD manages two teams (Customer Support and Customer
Success), U0MANAGER one, U0CXDIRECTOR the department above them, U0ONBOARDLEAD manages
Onboarding and is a member of its channel, and U0BILLINGLEAD has no role at all.
"""

from __future__ import annotations

import datetime as dt
import json
import socketserver
import threading
import time
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from urllib.parse import urlencode
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy import Engine, update
from sqlmodel import SQLModel, col

from bot import ids
from bot.app import build_app
from bot.blocks.report_picker import MAX_BUTTONS, report_picker
from bot.blocks.validate import check_message
from bot.context import Context
from figures.segments import seal_stale
from jobs import sync
from jobs.pulses import open_now
from sandbox import company, payloads
from sandbox.sender import SlackSender, sign
from sandbox.server import SandboxServer
from sandbox.workspace import Workspace
from settings.config import parse_config
from settings.runtime import Settings
from settings.slack import make_client
from storage.db import make_engine, session_scope
from storage.models import Pulse
from storage.org import workspace_by_slack_id
from storage.people import set_values
from storage.pseudonym import respondent_key
from storage.pulses import pulse_view
from storage.responses import record_answer
from tests.conftest import PG_URL, REPO, pg_schema

SIGNING = "report-requests-signing"
SECRET = "report-requests-secret-0123"
SUPPORT = company.team_members("support")
TWO_TEAMS, ONE_TEAM, DEPARTMENT, HR = "U0SUCCESSLEAD", "U0MANAGER", "U0CXDIRECTOR", "U0HRLEAD"


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True

    def server_bind(self) -> None:  # no reverse DNS lookup
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = "127.0.0.1", self.server_address[1]
        self.setup_environ()


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


@dataclass
class Slack:
    sandbox: SandboxServer
    sender: SlackSender

    def say(self, user: str, text: str) -> list[dict]:
        """Type `/pulse text` as ``user``; the replies posted to the command's response URL."""
        before = len(self.sandbox.workspace.response_url_posts())
        assert self.sender.slash_command(user, text).status == 200
        return [p["body"] for p in self.sandbox.workspace.response_url_posts()[before:]]

    def text(self, user: str, text: str) -> str:
        return json.dumps(self.say(user, text), ensure_ascii=False)

    def click(self, user: str, action_id: str) -> list[dict]:
        """Press a button in the latest ephemeral message ``user`` got that has it."""
        ws = self.sandbox.workspace
        before = len(ws.response_url_posts())
        mine = [e for e in ws.ephemerals(user) if action_id in json.dumps(e["blocks"])]
        shown = {"channel": mine[-1]["channel"], "ts": mine[-1]["ts"], "ephemeral": True}
        assert self.sender.click(user, shown, action_id=action_id).status == 200
        return [p["body"] for p in ws.response_url_posts()[before:]]

    def home(self, user: str) -> str:
        assert self.sender.app_home_opened(user).status == 200
        deadline = time.monotonic() + 5
        while not (views := [v for v in self.sandbox.workspace.views(user) if v["type"] == "home"]):
            assert time.monotonic() < deadline, "no Home view published"
            time.sleep(0.01)
        return json.dumps(views[-1], ensure_ascii=False)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(company.seed(Workspace())) as server:
        yield server


def _config(tmp: Path) -> Path:
    """The shipped config, but U0SUCCESSLEAD also manages Customer Support and Renewals has
    no manager (so U0BILLINGLEAD is nobody here)."""
    text = (REPO / "config.toml").read_text()
    text = text.replace('managers = ["U0MANAGER"]', f'managers = ["U0MANAGER", "{TWO_TEAMS}"]')
    text = text.replace('managers = ["U0BILLINGLEAD"]', "managers = []")
    (tmp / "config.toml").write_text(text)
    return tmp / "config.toml"


def _closed_support_pulse(engine: Engine, settings: Settings, now: dt.datetime) -> None:
    """Support's pulse, answered 4 by six people, then closed: reports show its figures."""
    with session_scope(engine) as s:
        sync.run(s, make_client(settings), settings.config, now)
        ws = workspace_by_slack_id(s, slack_team_id="T0SANDBOX")
        assert ws is not None
        opened = open_now(
            s,
            config=settings.config,
            bank=settings.bank,
            workspace_id=ws.id or 0,
            team_key="support",
            now=now,
        )
        view = pulse_view(s, pulse_id=opened.pulse_id)
        assert view is not None
        for q in view.questions:
            for user in SUPPORT[:6]:
                key = respondent_key(
                    settings.secret(), workspace="T0SANDBOX", user_id=user, pulse_id=opened.pulse_id
                )
                if q.kind != "text":
                    value = 4 if q.kind == "likert5" else 9
                    record_answer(
                        s,
                        pulse_id=opened.pulse_id,
                        question_id=q.id or 0,
                        respondent=key,
                        value=value,
                    )
        past = now - dt.timedelta(seconds=1)
        s.exec(
            update(Pulse)
            .where(col(Pulse.id) == opened.pulse_id)
            .values(closes_at=past, closed_at=past)
        )


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def db(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """One database per backend for the module: every test here only reads it."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('reports') / 'test.db'}"
        engine = make_engine(url)
        SQLModel.metadata.create_all(engine)
        yield engine
        engine.dispose()
        return
    if not PG_URL:
        pytest.skip("TEST_DATABASE_URL not set: PostgreSQL tests skipped")
    with pg_schema() as url:
        engine = make_engine(url)
        SQLModel.metadata.create_all(engine)
        yield engine
        engine.dispose()


@pytest.fixture(scope="module")
def slack(
    sandbox: SandboxServer, db: Engine, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Slack]:
    engine, tmp_path = db, tmp_path_factory.mktemp("config")
    settings = Settings.from_env(
        {
            "PULSE_CONFIG": str(_config(tmp_path)),
            "SLACK_API_URL": sandbox.url,
            "SLACK_BOT_TOKEN": sandbox.workspace.bot_token,
            "SLACK_SIGNING_SECRET": SIGNING,
            "PULSE_SECRET": SECRET,
            "DATABASE_URL": "sqlite://",  # unused: the app gets ``engine``
        }
    )
    _closed_support_pulse(engine, settings, dt.datetime.now(dt.UTC))
    app = build_app(
        Context(settings=settings, engine=engine),
        make_client(settings),
        process_before_response=True,
    )
    httpd = make_server(
        "127.0.0.1", 0, SlackRequestHandler(app), server_class=_Server, handler_class=_Quiet
    )
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}/slack/events"
    sandbox.connect_app(url, SIGNING)
    yield Slack(sandbox, SlackSender(url, SIGNING, sandbox))
    httpd.shutdown()
    httpd.server_close()
    thread.join()


REPORT = "Customer Support · pulse report"
FIGURES = "Respondents*\\n6"
NO_SUCCESS_PULSE = "No pulse has run for *Customer Success* yet."  # Success's own reply


def test_a_team_by_key_name_or_prefix_in_any_case(slack: Slack) -> None:
    reply = slack.text(ONE_TEAM, "report Customer Support 4")
    assert REPORT in reply and FIGURES in reply and "Last 4 weeks" in reply
    for typed in (
        "report SUCCESS",
        "report customer success",
        "report Customer   Success 4w",
        "report succ 4",
        "report Customer Suc",
    ):
        assert slack.text(TWO_TEAMS, typed) == slack.text(TWO_TEAMS, "report success"), typed
    assert NO_SUCCESS_PULSE in slack.text(TWO_TEAMS, "report success")


def test_an_ambiguous_prefix_lists_the_candidates(slack: Slack) -> None:
    for typed in ("report cust", "report Customer S 4", "report CUSTOMER"):
        reply = slack.text(TWO_TEAMS, typed)
        assert "could be `support` (Customer Support), `success` (Customer Success)" in reply
        assert "Type more of the name, e.g. `/pulse report support`" in reply
        assert "Respondents" not in reply


def test_unknown_and_forbidden_teams_get_the_same_answer_naming_yours(slack: Slack) -> None:
    unknown = slack.text(ONE_TEAM, "report supp0rt")
    assert "No team called `supp0rt` that you can see." in unknown
    assert "Your teams: `support` (Customer Support)." in unknown
    assert "I don't understand" not in unknown
    forbidden = slack.text(ONE_TEAM, "report success")  # exists; not U0MANAGER's
    assert forbidden.replace("success", "X") == unknown.replace("supp0rt", "X")
    assert "Customer Success" not in forbidden
    assert slack.text(ONE_TEAM, "report Customer Success 4").replace(
        "Customer Success", "X"
    ) == slack.text(ONE_TEAM, "report Customer Sxccess 4").replace("Customer Sxccess", "X")
    many = slack.text(TWO_TEAMS, "report billing")
    assert "Your teams: `support` (Customer Support), `success` (Customer Success)." in many
    hostile = slack.say(ONE_TEAM, "report <!channel> `*x*`")[0]["text"]
    assert hostile.startswith("No team called `&lt;!channel&gt; '∗x∗'` that you can see.")
    employee = slack.text(SUPPORT[0], "report support")
    assert employee == slack.text(SUPPORT[0], "report no-such-team")
    assert "Reports are for team managers and HR" in employee and "Respondents" not in employee


@pytest.mark.parametrize("weeks", ["0", "999", "abc", "-3", "1.5"])
def test_a_bad_week_count_names_the_valid_range(slack: Slack, weeks: str) -> None:
    for typed in (f"report support {weeks}", f"report Customer Support {weeks}"):
        reply = slack.text(ONE_TEAM, typed)
        assert f"`{weeks}` isn't a number of weeks" in reply, typed
        assert "reports cover 1 to 52 weeks (default 12)" in reply
        assert "`/pulse report support 8`" in reply
        assert "I don't understand" not in reply and "Respondents" not in reply


def test_a_manager_of_several_teams_picks_one_and_gets_its_report(slack: Slack) -> None:
    (picker,) = slack.say(TWO_TEAMS, "report")
    check_message(picker)
    buttons = [e for b in picker["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [b["text"]["text"] for b in buttons] == ["Customer Support", "Customer Success"]
    assert "last 12 weeks" in picker["text"] and "Respondents" not in json.dumps(picker)
    assert slack.click(TWO_TEAMS, f"{ids.REPORT_PICK}:success") == slack.say(
        TWO_TEAMS, "report success"
    )

    slack.say(TWO_TEAMS, "report 4")  # the week count travels with the choice
    chosen = json.dumps(slack.click(TWO_TEAMS, f"{ids.REPORT_PICK}:support"), ensure_ascii=False)
    assert REPORT in chosen and FIGURES in chosen and "Last 4 weeks" in chosen
    assert chosen == slack.text(TWO_TEAMS, "report support 4")  # as the command gives it


def test_a_forged_choice_reveals_nothing(slack: Slack) -> None:
    """A button's value comes from the client: a team the bot never offered is refused as
    the command refuses it."""
    ws = slack.sandbox.workspace
    before = len(ws.response_url_posts())
    path = ws.new_response_url("block_actions", channel=ws.dm_id(TWO_TEAMS), user_id=TWO_TEAMS)
    forged = {
        "action_id": f"{ids.REPORT_PICK}:billing",
        "block_id": ids.REPORT_PICK,
        "type": "button",
        "value": ids.report_value("billing", 12),
    }
    payload = payloads.block_actions(
        ws,
        TWO_TEAMS,
        container={"type": "message", "is_ephemeral": True},
        trigger_id=ws.issue_trigger(TWO_TEAMS),
        response_url=slack.sandbox.base + path,
        actions=[forged],
    )
    body = urlencode({"payload": json.dumps(payload)}).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    response = slack.sender.post_raw(body, {**headers, **sign(SIGNING, body, int(time.time()))})
    assert response.status == 200
    reply = json.dumps([p["body"] for p in ws.response_url_posts()[before:]])
    assert "No team called `billing` that you can see" in reply and "Billing" not in reply


def test_one_team_or_one_department_needs_no_picker(slack: Slack) -> None:
    reply = slack.say(ONE_TEAM, "report")
    assert REPORT in json.dumps(reply, ensure_ascii=False) and ids.REPORT_PICK not in str(reply)
    department = slack.text(DEPARTMENT, "report")
    assert "Customer Experience ·" in department and ids.REPORT_PICK not in department


def test_hr_picks_from_every_team_or_the_whole_org(slack: Slack) -> None:
    (picker,) = slack.say(HR, "report")
    check_message(picker)
    buttons = [
        e["text"]["text"] for b in picker["blocks"] if b["type"] == "actions" for e in b["elements"]
    ]
    assert buttons[0] == "All teams" and "Customer Support" in buttons and len(buttons) == 7
    org = json.dumps(slack.click(HR, f"{ids.REPORT_PICK}:(org)"), ensure_ascii=False)
    assert "All teams · 6 teams" in org
    assert org == slack.text(HR, "report all")


def test_the_picker_works_on_the_sandbox_page(slack: Slack) -> None:
    """What a person does on the page: type the command, press a team's button."""
    import urllib.request

    def act(**fields: Any) -> dict:
        sent = urllib.request.Request(
            f"{slack.sandbox.base}/_sandbox/act",
            data=json.dumps({"as": TWO_TEAMS, **fields}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(sent, timeout=5) as response:
            return json.loads(response.read())

    assert act(kind="command", text="/pulse report")["ok"]
    picker = slack.sandbox.workspace.ephemerals(TWO_TEAMS)[-1]
    assert "Which team's report" in picker["text"]
    with urllib.request.urlopen(f"{slack.sandbox.base}/?as={TWO_TEAMS}", timeout=5) as page:
        html = page.read().decode()
    assert f"data-action-id='{ids.REPORT_PICK}:success'" in html
    pressed = act(
        kind="click",
        channel=picker["channel"],
        ts=picker["ts"],
        ephemeral=True,
        action_id=f"{ids.REPORT_PICK}:success",
    )
    assert pressed["ok"]
    assert slack.sandbox.workspace.ephemerals(TWO_TEAMS)[-1]["text"] == NO_SUCCESS_PULSE


def test_the_home_tab_says_who_you_are_without_contradiction(slack: Slack) -> None:
    member = slack.home(SUPPORT[0])
    assert "You're in a pulse team:" in member and "You're receiving pulses." in member
    assert "You manage" not in member and "not part of a pulse team" not in member

    manager = slack.home(ONE_TEAM)  # manages Support, answers no pulses
    assert "*You manage* *Customer Support*: you see its figures" in manager
    assert "You don't get pulses yourself" in manager
    assert "receiving pulses" not in manager and "not part of a pulse team yet" not in manager
    assert "Your teams · last 12 weeks" in manager

    both = slack.home("U0ONBOARDLEAD")  # manages Onboarding and is in its channel
    assert "*You manage* *Onboarding*" in both and "You also answer pulses" in both
    assert "You're receiving pulses." in both

    two = slack.home(TWO_TEAMS)
    assert "*You manage* *Customer Support*, *Customer Success*: you see their figures" in two

    hr = slack.home(HR)
    assert "You're in HR:" in hr and "You don't get pulses yourself" in hr
    assert "All teams · last 12 weeks" in hr and "receiving pulses" not in hr

    nobody = slack.home("U0BILLINGLEAD")
    assert "You're not part of a pulse team yet, so you don't get pulses" in nobody
    assert "receiving pulses" not in nobody and "You manage" not in nobody
    assert "Your teams" not in nobody


def test_the_picker_fits_slack_for_a_big_organisation() -> None:
    teams = [(f"team-{n:03}", f"Team {n} " + "x" * 90) for n in range(200)]
    picker = report_picker(teams=teams, weeks=12)
    check_message(picker)
    buttons = picker["blocks"][1]["elements"]
    assert len(buttons) == MAX_BUTTONS and len({b["action_id"] for b in buttons}) == MAX_BUTTONS
    assert "175 more teams" in json.dumps(picker)


def test_an_unknown_subcommand_echoes_what_was_typed_as_text(slack: Slack) -> None:
    reply = slack.say(ONE_TEAM, "frob `<!here> <https://evil.example|HR portal>`")[0]["text"]
    assert reply.startswith("I don't know `frob '&lt;!here&gt; &lt;https://evil.example|HR portal")
    assert "<!here>" not in reply and "<https://" not in reply


def test_a_manager_cuts_their_team_by_layer_over_http(slack: Slack, db: Engine) -> None:
    """Six of Support answered, all frontline; its other six are support-layer: the
    frontline cut is the whole team's week (all six invited frontliners answered), and the
    support layer (nobody answered) shows hidden, without a count. The segment sums are
    sealed as the close run seals them."""
    config = parse_config(tomllib.loads((REPO / "config.toml").read_text()))
    with session_scope(db) as s:
        ws = workspace_by_slack_id(s, slack_team_id="T0SANDBOX")
        assert ws is not None and ws.id is not None
        layers = {u: {"layer": "frontline" if i < 6 else "support"} for i, u in enumerate(SUPPORT)}
        set_values(s, workspace_id=ws.id, values=layers)  # type: ignore[arg-type]
        seal_stale(s, config=config, secret=SECRET.encode())
    said = slack.text(ONE_TEAM, "report Customer Support by Proximity to the customer")
    assert "frontline* · engagement 75 · 6 respondents (100%)" in said
    assert "support* · hidden: fewer than 5 people" in said
    assert "*other* ·" not in said  # nobody without a value was invited
    refused = slack.text(ONE_TEAM, "report support by <!channel>")
    assert "No segment called `&lt;!channel&gt;`" in refused and "<!channel>" not in refused
    assert "frontline* · engagement 75 · 6 respondents" in slack.text(HR, "report org by layer")
    assert "Name the team to cut" not in slack.text(ONE_TEAM, "report by layer")
