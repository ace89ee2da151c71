"""Structured logs on structlog: one JSON line per event in production, readable key=value
on a terminal, each tagged with the request it belongs to.

Every log line, ours (stdlib ``logging`` with ``extra=``, or ``structlog.get_logger()``) and
the libraries', goes through one handler and one processor chain. Nothing here logs
payloads: Slack bodies carry answers and tokens. Callers log ids, counts and outcomes only,
and an error is logged as its last traceback line, never with local variables.

``LOG_FORMAT``: ``json``, ``text`` (key=value), or unset: text when stderr is a terminal,
JSON otherwise. ``LOG_LEVEL``: INFO by default. Colour only on a terminal without NO_COLOR.
"""

from __future__ import annotations

import contextvars
import logging
import os
import sys
import traceback
from collections.abc import Callable, MutableMapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TextIO

import structlog

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)

EventDict = MutableMapping[str, Any]


def add_request_id(_: Any, __: str, event: EventDict) -> EventDict:
    """The id of the HTTP request being served (bot.server sets it), on every line it causes."""
    rid = request_id.get()
    if rid:
        event.setdefault("request_id", rid)
    return event


def error_line(_: Any, __: str, event: EventDict) -> EventDict:
    """An exception as its last line (``KeyError: 'x'``): a traceback's frames can quote
    what a request carried, and a log shipper wants one line per event."""
    exc_info = event.pop("exc_info", None)
    if exc_info is True:
        exc_info = sys.exc_info()
    if isinstance(exc_info, BaseException):
        exc_info = (type(exc_info), exc_info, exc_info.__traceback__)
    if isinstance(exc_info, tuple) and exc_info[0] is not None:
        lines = traceback.format_exception_only(exc_info[0], exc_info[1])
        event["error"] = lines[-1].strip()
    return event


def leading(_: Any, __: str, event: EventDict) -> EventDict:
    """ts, level, logger and msg first: what a person reads first in a JSON line."""
    keys = [k for k in ("ts", "level", "logger", "msg") if k in event]
    return {**{k: event[k] for k in keys}, **event}


def _shared(*middle: Any) -> list[Any]:
    """What every line carries, whether it came through logging or structlog."""
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        *middle,
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="ts"),
        add_request_id,
    ]


def wants_colour(stream: TextIO) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and os.environ.get("TERM") != "dumb"


def renderer(fmt: str, stream: TextIO) -> list[Any]:
    """The last processors for ``fmt`` (``json`` or ``text``): they turn an event into a line."""
    if fmt == "json":
        return [
            error_line,
            structlog.processors.EventRenamer("msg"),
            leading,
            structlog.processors.JSONRenderer(default=str),
        ]
    return [
        error_line,
        # plain_traceback is never reached (error_line took exc_info); named so that no
        # rich traceback with local variables is ever picked by default
        structlog.dev.ConsoleRenderer(
            colors=wants_colour(stream),
            timestamp_key="ts",
            exception_formatter=structlog.dev.plain_traceback,
            sort_keys=False,
        ),
    ]


def configure(level: str = "INFO", fmt: str | None = None, stream: TextIO | None = None) -> None:
    """One handler on the root logger; ``fmt`` None picks text on a terminal, else JSON."""
    stream = stream or sys.stderr
    if fmt is None:
        fmt = "text" if stream.isatty() else "json"
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_shared(structlog.stdlib.ExtraAdder()),  # logging's extra=
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            *renderer("json" if fmt == "json" else "text", stream),
        ],
    )
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_shared(structlog.stdlib.PositionalArgumentsFormatter()),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.getLogger("apscheduler.executors.default").setLevel(logging.WARNING)
    logging.getLogger("gunicorn.access").setLevel(logging.WARNING)  # we log each request
    # Bolt logs raw request bodies (answers, comments) on some paths, e.g. a bad signature;
    # our own handlers log what matters without payloads.
    logging.getLogger("slack_bolt").setLevel(logging.ERROR)


def configure_from_env() -> None:
    configure(os.environ.get("LOG_LEVEL", "INFO"), os.environ.get("LOG_FORMAT") or None)


class ContextExecutor(ThreadPoolExecutor):
    """A pool whose tasks inherit the submitter's context (so the request id follows)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        context = contextvars.copy_context()
        return super().submit(context.run, fn, *args, **kwargs)
