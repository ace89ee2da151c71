"""The two worlds of the golden figures test, built deterministically at a frozen clock.

* ``demo``: the demo company as `pulse demo` builds it — teams synced from the sandbox
  workspace, twelve weeks of history (cli.demo_history, its own fixed random seed), a pulse
  sent to Customer Support, 9 of 12 people clicking buttons (the demo's own choice rule and
  seed), then closed. Added to what the demo does, so follow-ups have something to show: six
  commitments (made through the product's own function), four of them before the history,
  so its pulses announce them and ask their follow-up questions.
* ``seeded``: bench.seed's synthetic org (108 people, 12 teams of 9 in two departments, 30 weeks,
  random seed 0), with a manager per team and department and one HR admin added to its
  config, and one commitment.

Nothing here reads the wall clock into a figure: every product call gets its ``now``
(Context's clock, a job's ``now``, the Sender's clock), and the two calls that read the clock
themselves (bench.seed and `pulse export`) run under freezegun.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from freezegun import freeze_time
from slack_bolt import App, BoltRequest
from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.app import build_app  # every Slack-facing surface: /pulse report, Home, clicks
from bot.commitments import save_commitment  # a manager's commitment (the modal's action)
from bot.context import Context
from bot.messages import SlackMessages  # the edge's messages, as `pulse worker` passes them
from cli.demo_history import seed as seed_demo_history  # `pulse demo`'s twelve weeks
from cli.main import main as pulse_cli  # `pulse export`

# ENTRY POINTS — the product functions the golden test calls (update these imports when
# modules move; the golden files must not change):
from cli.org_model import config_for  # the seeded org's teams and CX metrics
from cli.seed import seed as seed_org  # the seeded org's people, pulses, answers, CX
from jobs import alerts, digest, sync  # alerts.run, digest.run, sync.run: the worker's jobs
from jobs.delivery import Sender  # `pulse send-pulse` delivers with it
from jobs.pulses import close_now, open_now  # `pulse send-pulse`, `pulse close`
from sandbox import company
from sandbox.sender import SenderResponse, SlackSender
from sandbox.server import SandboxServer
from sandbox.workspace import Workspace
from settings.runtime import Settings
from settings.slack import make_client
from storage.db import make_engine, session_scope
from storage.migrate import upgrade
from storage.org import workspace_by_slack_id
from tests.conftest import REPO
from tests.golden import charts

SIGNING = "golden-signing-secret"
DEMO_SECRET = "sandbox-only-pseudonymisation-key"  # cli.demo.SANDBOX_SECRET
SEED_SECRET = "seeded-org-pseudonymisation-key"  # bench.org_model.SECRET
HR = "U0HRLEAD"
PEOPLE_CHANNEL = "C0PEOPLE"


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)  # type: ignore[misc, arg-type]


# The demo company's clock: history up to last week, this week's pulse on Wednesday.
DEMO_SYNC = utc(2026, 11, 25, 9)
DEMO_OPEN = utc(2026, 11, 25, 10)
DEMO_CLICK = utc(2026, 11, 25, 10, 30)
DEMO_CLOSE = utc(2026, 11, 25, 12)
DEMO_NOW = utc(2026, 11, 25, 13)  # reports, Home, alerts, digest, export
NEXT_MONDAY = utc(2026, 11, 30, 9)  # the digest that covers this week's pulse
DEMO_COMMITMENTS = [  # (team, driver, text, made), made before the history is written
    ("support", "workload", "Protect Friday afternoons for training", utc(2026, 8, 31, 8)),
    ("support", "tools", "Fix the refund macros this sprint", utc(2026, 9, 7, 8)),
    ("onboarding", "clarity", "Write down what a great first week looks like", utc(2026, 9, 1)),
    ("success", "recognition", "Shout-outs every Friday stand-up", utc(2026, 9, 10, 8)),
]
DEMO_LATER_COMMITMENTS = [  # made after the history: pending
    ("support", "knowledge", "Pair new agents with a buddy for a month", utc(2026, 11, 25, 9, 30)),
    ("billing", "empowerment", "Agents may refund up to 50 EUR without asking", DEMO_NOW),
]
DEMO_MANAGERS = {  # team key -> its manager in config.toml
    "support": "U0MANAGER",
    "success": "U0SUCCESSLEAD",
    "onboarding": "U0ONBOARDLEAD",
    "billing": "U0BILLINGLEAD",
    "renewals": "U0RENEWLEAD",
    "cx-org": "U0CXDIRECTOR",
}

# The seeded org's clock: 30 weeks ending the week of 23 Nov, everything closed by Monday.
SEED_NOW = utc(2026, 11, 30, 9)
SEED_UNTIL = dt.date(2026, 11, 27)
SEED_SIZE = {"employees": 108, "teams": 12, "weeks": 30, "seed": 0}  # 9 a team: some weeks < k


class InProcessSlack(SlackSender):
    """Slack's side towards the Bolt app, signed as Slack signs it, dispatched in-process
    (listeners finish before dispatch returns: process_before_response)."""

    def __init__(self, sandbox: SandboxServer, app: App) -> None:
        super().__init__("in-process", SIGNING, sandbox)
        self.app = app

    def post_raw(self, body: bytes, headers: dict[str, str]) -> SenderResponse:
        request = BoltRequest(
            body=body.decode(), headers={k.lower(): v for k, v in headers.items()}
        )
        response = self.app.dispatch(request)
        return SenderResponse(response.status, response.body or "", {}, body)


@dataclass
class Clock:
    now: dt.datetime

    def __call__(self) -> dt.datetime:
        return self.now


@dataclass
class World:
    name: str
    sandbox: SandboxServer
    settings: Settings
    engine: Engine
    env: dict[str, str]
    workspace_id: int
    clock: Clock
    slack: InProcessSlack
    managers: dict[str, str]  # team key -> manager
    tmp: Path
    labels: dict[str, str] = field(default_factory=dict)
    during: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # building's replies

    @property
    def ws(self) -> Workspace:
        return self.sandbox.workspace

    @property
    def client(self) -> WebClient:
        return make_client(self.settings)

    def report(self, user: str, text: str) -> list[dict[str, Any]]:
        """`/pulse report …` typed by ``user``: every reply posted to the response URL."""
        before = len(self.ws.response_url_posts())
        response = self.slack.slash_command(user, text)
        assert response.status == 200, response.body
        return [p["body"] for p in self.ws.response_url_posts()[before:]]

    def home(self, user: str) -> dict[str, Any]:
        """The Home tab ``user`` sees when opening it."""
        response = self.slack.app_home_opened(user)
        assert response.status == 200, response.body
        return [v for v in self.ws.views(user) if v["type"] == "home"][-1]

    def posted(self, run: Any) -> list[dict[str, Any]]:
        """Messages the bot posts while ``run()`` runs, in post order."""
        before = {(m["channel"], m["ts"]) for m in self.ws.messages()}
        run()
        return [m for m in self.ws.messages() if (m["channel"], m["ts"]) not in before]

    def run_digest(self, now: dt.datetime) -> list[dict[str, Any]]:
        def post() -> None:
            done = digest.run(
                self.engine,
                self.client,
                config=self.settings.config,
                workspace_id=self.workspace_id,
                now=now,
                scheduled=False,
                force=True,
                driver_labels=self.labels,
                messages=SlackMessages(),
                secret=self.settings.segment_secret(),
            )
            assert done.status == "posted", done

        return self.posted(post)

    def run_alerts(self, now: dt.datetime) -> list[dict[str, Any]]:
        def post() -> None:
            alerts.run(
                self.engine,
                self.client,
                config=self.settings.config,
                workspace_id=self.workspace_id,
                now=now,
                messages=SlackMessages(),
            )

        return self.posted(post)

    def export(self, now: dt.datetime) -> dict[str, str]:
        """`pulse export --weeks 52` as an operator runs it; the CSV files' text."""
        out = self.tmp / "export"
        saved = {k: os.environ.get(k) for k in self.env}
        os.environ.update(self.env)
        try:
            with quiet_cli(), freeze_time(now):
                assert pulse_cli(["export", "--out", str(out), "--weeks", "52"]) == 0
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
        return {p.name: p.read_text(encoding="utf-8") for p in sorted(out.glob("*.csv"))}


@contextmanager
def quiet_cli() -> Iterator[None]:
    """`pulse` configures the root logger for a process of its own; give pytest's back."""
    import logging

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)


def _settings(sandbox: SandboxServer, *, config: Path, secret: str, url: str) -> dict[str, str]:
    return {
        "PULSE_CONFIG": str(config),
        "SLACK_API_URL": sandbox.url,
        "SLACK_BOT_TOKEN": sandbox.workspace.bot_token,
        "SLACK_SIGNING_SECRET": SIGNING,
        "SLACK_APP_TOKEN": "",
        "PULSE_SECRET": secret,
        "DATABASE_URL": url,
        "LOG_LEVEL": "WARNING",
    }


def _world(
    name: str,
    sandbox: SandboxServer,
    env: dict[str, str],
    engine: Engine,
    workspace_id: int,
    clock: Clock,
    managers: dict[str, str],
    tmp: Path,
) -> World:
    settings = Settings.from_env(env)
    ctx = Context(settings=settings, engine=engine, clock=clock)
    app = build_app(ctx, make_client(settings), process_before_response=True)
    return World(
        name=name,
        sandbox=sandbox,
        settings=settings,
        engine=engine,
        env=env,
        workspace_id=workspace_id,
        clock=clock,
        slack=InProcessSlack(sandbox, app),
        managers=managers,
        tmp=tmp,
        labels={key: d.label for key, d in settings.bank.drivers.items()},
    )


def _commit(world: World, team: str, driver: str, text: str, made: dt.datetime) -> None:
    with session_scope(world.engine) as s:
        errors, _ = save_commitment(
            s,
            config=world.settings.config,
            bank=world.settings.bank,
            slack_team_id=world.ws.team_id,
            user_id=world.managers[team],
            team_key=team,
            driver=driver,
            text=text,
            now=made,
        )
    assert errors is None, errors


@contextmanager
def demo_world(url: str, tmp: Path) -> Iterator[World]:
    """The demo company: `pulse demo`'s walk-through, in process, at DEMO_* times."""
    engine = make_engine(url)
    upgrade(engine)
    with SandboxServer(company.seed(Workspace())) as sandbox, charts.recording():
        env = _settings(sandbox, config=REPO / "config.toml", secret=DEMO_SECRET, url=url)
        settings = Settings.from_env(env)
        with session_scope(engine) as s:  # `pulse teams sync`
            sync.run(s, make_client(settings), settings.config, DEMO_SYNC)
            found = workspace_by_slack_id(s, slack_team_id="T0SANDBOX")
            assert found is not None and found.id is not None
            workspace_id = found.id
        clock = Clock(DEMO_SYNC)
        world = _world("demo", sandbox, env, engine, workspace_id, clock, DEMO_MANAGERS, tmp)
        for commitment in DEMO_COMMITMENTS:
            _commit(world, *commitment)
        with session_scope(engine) as s:  # the demo's twelve weeks of history
            seed_demo_history(
                s,
                config=settings.config,
                bank=settings.bank,
                workspace_id=workspace_id,
                slack_team_id="T0SANDBOX",
                secret=settings.secret(),
                now=DEMO_SYNC,
            )
        _commit(world, *DEMO_LATER_COMMITMENTS[0])
        _send_and_answer(world)
        world.clock.now = DEMO_NOW
        _commit(world, *DEMO_LATER_COMMITMENTS[1])
        try:
            yield world
        finally:
            engine.dispose()


def _send_and_answer(world: World) -> None:
    """`pulse send-pulse --team support`; 9 of 12 answer (cli/demo.py's rule and seed); the
    manager's report while it is open; `pulse close --team support`."""
    settings = world.settings
    with session_scope(world.engine) as s:
        opened = open_now(
            s,
            config=settings.config,
            bank=settings.bank,
            workspace_id=world.workspace_id,
            team_key="support",
            now=DEMO_OPEN,
        )
    sender = Sender(
        world.engine,
        make_client(settings, retries=False),
        worker="golden",
        k=settings.config.privacy.min_group_size,
        clock=lambda: DEMO_OPEN,
        messages=SlackMessages(),
    )
    sender.drain(pulse_id=opened.pulse_id, timeout=60)
    world.clock.now = DEMO_CLICK
    rng = random.Random(7)
    for uid in company.team_members("support")[:9]:
        for block in list(world.ws.dm_messages(uid)[-1]["blocks"]):
            if block["type"] != "actions":
                continue
            button = rng.choice(block["elements"][1:] if rng.random() < 0.8 else block["elements"])
            clicked = world.slack.click(
                uid,
                world.ws.dm_messages(uid)[-1],
                action_id=button["action_id"],
                value=button["value"],
            )
            assert clicked.status == 200, clicked.body
    world.during["U0MANAGER report (support's pulse still open)"] = world.report(
        "U0MANAGER", "report"
    )
    with session_scope(world.engine) as s:  # `pulse close --team support`
        close_now(
            s,
            config=settings.config,
            workspace_id=world.workspace_id,
            team_key="support",
            now=DEMO_CLOSE,
            secret=settings.secret(),
        )


def seeded_config() -> tuple[str, dict[str, str]]:
    """bench's seeded-org config.toml with a manager per team and department and an HR
    admin (bench's own has none), as TOML text; and team key -> manager."""
    config = config_for(SEED_SIZE["teams"])
    managers = {t.key: f"U0M{t.key.replace('-', '').upper()}" for t in config.teams}
    lines = [
        "[privacy]",
        f"min_group_size = {config.privacy.min_group_size}",
        "[hr]",
        f"admins = {json.dumps([HR])}",
        f"digest_channel = {json.dumps(PEOPLE_CHANNEL)}",
    ]
    for team in config.teams:
        lines += ["[[teams]]", f"key = {json.dumps(team.key)}", f"name = {json.dumps(team.name)}"]
        for key in ("usergroup", "parent"):
            if getattr(team, key):
                lines.append(f"{key} = {json.dumps(getattr(team, key))}")
        lines.append(f"managers = {json.dumps([managers[team.key]])}")
        if team.cx_metrics:
            lines.append(f"cx_metrics = {json.dumps(list(team.cx_metrics))}")
    return "\n".join(lines) + "\n", managers


@contextmanager
def seeded_world(url: str, tmp: Path) -> Iterator[World]:
    """bench.seed's org at SEED_NOW, with managers, HR and one commitment."""
    engine = make_engine(url)
    upgrade(engine)
    with freeze_time(SEED_NOW):
        seed_org(engine, **SEED_SIZE, until=SEED_UNTIL, log=lambda _: None, keep_ready=False)  # type: ignore[arg-type]
    text, managers = seeded_config()
    config = tmp / "seeded.toml"
    config.write_text(text, encoding="utf-8")
    slack = Workspace(team_id="T0SEED", team_name="Seeded Co")
    for user in [HR, *managers.values()]:
        slack.add_user(user, user.lower())
    slack.add_channel(PEOPLE_CHANNEL, "people-team", [HR])
    with SandboxServer(slack) as sandbox, charts.recording():
        env = _settings(sandbox, config=config, secret=SEED_SECRET, url=url)
        with session_scope(engine) as s:
            found = workspace_by_slack_id(s, slack_team_id="T0SEED")
            assert found is not None and found.id is not None
            workspace_id = found.id
        world = _world("seeded", sandbox, env, engine, workspace_id, Clock(SEED_NOW), managers, tmp)
        _commit(world, "team-000", "workload", "No meetings on Thursday mornings", SEED_NOW)
        try:
            yield world
        finally:
            engine.dispose()
