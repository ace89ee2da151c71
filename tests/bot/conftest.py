"""The real Bolt app in-process against the sandbox, with a synced team and a sent pulse.

Requests are signed exactly as Slack signs them; listeners finish before the reply
(`process_before_response`), so a test can check what happened as soon as dispatch returns.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterator

import pytest
from slack_bolt import App, BoltRequest
from sqlalchemy import Engine, func
from sqlmodel import Session, SQLModel, select, update

from bot.app import build_app
from bot.context import Context
from bot.messages import SlackMessages
from jobs import sync
from jobs.delivery import Sender
from jobs.pulses import open_now
from sandbox import company
from sandbox.sender import sign
from sandbox.server import SandboxServer
from sandbox.workspace import Workspace
from settings.runtime import Settings
from settings.slack import make_client
from storage.db import make_engine, session_scope
from storage.models import Comment, Employee, Held, Pulse, Response
from storage.org import workspace_by_slack_id
from storage.release import release_closed
from tests.conftest import REPO

SIGNING = "fuzz-signing-secret"
SECRET = b"fuzz-secret-fuzz-secret"


class World:
    def __init__(self, sandbox: SandboxServer, engine: Engine, app: App) -> None:
        self.sandbox, self.engine, self.app = sandbox, engine, app
        self.errors: list[logging.LogRecord] = []
        self.pulse_id = 0
        self.settings: Settings | None = None

    def dispatch(self, body: str, content_type: str = "application/x-www-form-urlencoded") -> int:
        headers = {"content-type": content_type, **sign(SIGNING, body.encode(), int(time.time()))}
        response = self.app.dispatch(
            BoltRequest(body=body, headers={k.lower(): v for k, v in headers.items()})
        )
        return response.status

    def response_url(self, user: str) -> str:
        ws = self.sandbox.workspace
        return self.sandbox.base + ws.new_response_url(
            "slash_command", channel=ws.dm_id(user), user_id=user
        )

    def command(self, user: str, text: str, *, team: str = "T0SANDBOX") -> dict:
        """Type `/pulse text` as `user`; returns the ephemeral reply posted to the response URL."""
        from urllib.parse import urlencode

        before = len(self.sandbox.workspace.response_url_posts())
        form = {
            "team_id": team,
            "user_id": user,
            "command": "/pulse",
            "text": text,
            "response_url": self.response_url(user),
            "trigger_id": "1.2.3",
            "channel_id": "D0X",
        }
        assert self.dispatch(urlencode(form)) == 200
        posts = self.sandbox.workspace.response_url_posts()
        assert len(posts) == before + 1
        return posts[-1]["body"]

    def close_pulse(self) -> None:
        """Close the pulse now, as jobs.closing does at its closing time: reports show a
        pulse's figures only once it has closed."""
        past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        with session_scope(self.engine) as s:
            s.exec(
                update(Pulse)
                .where(Pulse.id == self.pulse_id)
                .values(closes_at=past, closed_at=past)
            )
            release_closed(s, secret=SECRET, now=past)

    def counts(self) -> tuple[int, int, int]:
        with session_scope(self.engine) as s:
            answers = s.exec(select(func.count()).select_from(Response)).one() + _held(s, "answer")
            comments = s.exec(select(func.count()).select_from(Comment)).one() + _held(s, "text")
            prefs = s.exec(
                select(func.count()).where(Employee.opted_out | Employee.paused_until.is_not(None))
            ).one()
        return answers, comments, prefs


def _held(session: Session, kind: str) -> int:
    """Answers and texts of open pulses wait in `held` (storage.held) until the close."""
    return session.exec(select(func.count()).where(Held.kind == kind)).one()


class _Capture(logging.Handler):
    def __init__(self, sink: list[logging.LogRecord]) -> None:
        super().__init__(logging.ERROR)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        self.sink.append(record)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("fuzz")
    with SandboxServer(company.seed(Workspace())) as sandbox:
        settings_ = Settings.from_env(
            {
                "PULSE_CONFIG": str(REPO / "config.toml"),
                "SLACK_API_URL": sandbox.url,
                "SLACK_BOT_TOKEN": sandbox.workspace.bot_token,
                "SLACK_SIGNING_SECRET": SIGNING,
                "PULSE_SECRET": SECRET.decode(),
                "DATABASE_URL": f"sqlite:///{tmp / 'fuzz.db'}",
            }
        )
        engine = make_engine(settings_.database_url)
        SQLModel.metadata.create_all(engine)
        client = make_client(settings_)
        now = dt.datetime.now(dt.UTC)
        with session_scope(engine) as s:
            sync.run(s, client, settings_.config, now)
            ws = workspace_by_slack_id(s, slack_team_id="T0SANDBOX")
            opened = open_now(
                s,
                config=settings_.config,
                bank=settings_.bank,
                workspace_id=ws.id,
                team_key="support",
                now=now,
            )
        Sender(
            engine, make_client(settings_, retries=False), worker="f", k=5, messages=SlackMessages()
        ).drain(pulse_id=opened.pulse_id, timeout=30)
        app = build_app(
            Context(settings=settings_, engine=engine), client, process_before_response=True
        )
        world = World(sandbox, engine, app)
        world.pulse_id, world.settings = opened.pulse_id, settings_
        handler = _Capture(world.errors)
        logging.getLogger("pulse").addHandler(handler)
        yield world
        logging.getLogger("pulse").removeHandler(handler)
        engine.dispose()
