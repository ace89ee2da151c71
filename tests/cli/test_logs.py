"""One log setup (structlog over logging): JSON lines in production, key=value on a terminal,
the request id on every line a request causes, and an error as its last line only, so no
traceback frame or local variable (a token, a body) reaches a log."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
import structlog

from settings import logs

TOKEN = "xoxb-never-in-a-log"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def restored() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    structlog.reset_defaults()


def _fail(log: logging.Logger) -> None:
    token = TOKEN  # a local a rich or verbose traceback would print
    try:
        {"token": token}["missing"]
    except KeyError:
        log.exception("slack call failed")


def _emit() -> None:
    reset = logs.request_id.set("req-42")
    try:
        logging.getLogger("pulse.server").info("request", extra={"method": "POST", "status": 200})
        structlog.get_logger("pulse.jobs").info("pulse opened", team="support", invited=12)
        _fail(logging.getLogger("pulse.server"))
    finally:
        logs.request_id.reset(reset)
    logging.getLogger("pulse.cli").warning("worker %s started", "w1")


def test_json_lines_carry_the_request_id_and_fields() -> None:
    out = io.StringIO()
    logs.configure("INFO", "json", out)
    _emit()
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [line["msg"] for line in lines] == [
        "request",
        "pulse opened",
        "slack call failed",
        "worker w1 started",
    ]
    request, opened, failed, started = lines
    assert list(request)[:4] == ["ts", "level", "logger", "msg"]
    assert request["request_id"] == "req-42" and request["method"] == "POST"
    assert opened["request_id"] == "req-42" and opened["invited"] == 12
    assert opened["logger"] == "pulse.jobs" and started["level"] == "warning"
    assert failed["error"] == "KeyError: 'missing'" and failed["level"] == "error"
    assert "request_id" not in started
    assert '"msg": "request"' in out.getvalue()  # what the served app's log test looks for


def test_text_lines_are_key_value_and_hold_no_traceback() -> None:
    out = io.StringIO()
    logs.configure("INFO", "text", out)
    _emit()
    text = out.getvalue()
    first = text.splitlines()[0]
    assert "request" in first and "method=POST" in first and "request_id=req-42" in first
    assert "error=\"KeyError: 'missing'\"" in text
    assert "Traceback" not in text and TOKEN not in text and "{" not in first
    assert "\x1b" not in text  # not a terminal: no colour


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_no_local_variable_or_traceback_reaches_the_log(fmt: str) -> None:
    out = Terminal()
    logs.configure("INFO", fmt, out)
    _fail(logging.getLogger("pulse.x"))
    assert TOKEN not in out.getvalue() and "Traceback" not in out.getvalue()


def test_unset_format_is_json_in_production_and_text_on_a_terminal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    piped, terminal = io.StringIO(), Terminal()
    logs.configure("INFO", None, piped)
    logging.getLogger("pulse").info("started", extra={"port": 3000})
    assert json.loads(piped.getvalue())["port"] == 3000
    logs.configure("INFO", None, terminal)
    logging.getLogger("pulse").info("started", extra={"port": 3000})
    assert "started" in terminal.getvalue() and "\x1b[" in terminal.getvalue()  # colour
    monkeypatch.setenv("NO_COLOR", "1")
    quiet = Terminal()
    logs.configure("INFO", None, quiet)
    logging.getLogger("pulse").info("started", extra={"port": 3000})
    assert "port=3000" in quiet.getvalue() and "\x1b" not in quiet.getvalue()


def test_the_request_id_follows_work_into_the_pool() -> None:
    out = io.StringIO()
    logs.configure("INFO", "json", out)
    reset = logs.request_id.set("req-7")
    try:
        with logs.ContextExecutor(max_workers=1) as pool:
            pool.submit(logging.getLogger("pulse.lazy").info, "lazy work").result()
    finally:
        logs.request_id.reset(reset)
    assert json.loads(out.getvalue())["request_id"] == "req-7"
