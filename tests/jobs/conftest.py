"""Jobs run against the sandbox workspace in-process, with the real slack_sdk client."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from slack_sdk import WebClient

from sandbox import company
from sandbox.server import SandboxServer
from sandbox.workspace import Workspace
from settings.runtime import Settings
from settings.slack import make_client
from tests.conftest import REPO


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(company.seed(Workspace())) as server:
        yield server


@pytest.fixture
def settings(sandbox: SandboxServer, tmp_path: Path) -> Settings:
    return Settings.from_env(
        {
            "PULSE_CONFIG": str(REPO / "config.toml"),
            "SLACK_API_URL": sandbox.url,
            "SLACK_BOT_TOKEN": sandbox.workspace.bot_token,
            "SLACK_SIGNING_SECRET": "x" * 32,
            "PULSE_SECRET": "test-secret-test-secret",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.db'}",
        }
    )


@pytest.fixture
def client(settings: Settings) -> WebClient:
    return make_client(settings)
