"""The terminal as a test chooses it: a colour terminal, NO_COLOR, or a pipe (the default
under pytest, whose captured streams are not terminals)."""

from __future__ import annotations

import pytest


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """rich treats the streams as a colour terminal (FORCE_COLOR), as an operator's would."""
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setenv("COLUMNS", "120")


@pytest.fixture
def pipe(monkeypatch: pytest.MonkeyPatch) -> None:
    """Neither a terminal nor forced colour: what a log file or CI sees."""
    for name in ("FORCE_COLOR", "NO_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"):
        monkeypatch.delenv(name, raising=False)
