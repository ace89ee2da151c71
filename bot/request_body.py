"""Reading untrusted request bodies: bounded in size, in time and in shape.

gunicorn's gthread workers give each request a thread that blocks while it reads the body, so a
client that declares a long body and sends a few bytes would hold that thread for as long as it
likes. `read` cuts the connection once the body is not complete within a deadline (default 10 s,
`PULSE_BODY_TIMEOUT`), which bounds the time as well as the size. `strict_json` parses what the
CX API accepts: UTF-8, JSON's own numbers and constants only, no duplicate keys, no lone
surrogates, and a depth that no real payload approaches; anything else is refused with a reason.
"""

from __future__ import annotations

import json
import math
import os
import re
import socket
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from typing import Any

DEFAULT_TIMEOUT = 10.0
MAX_DEPTH = 16  # the CX payload is 3 deep: {"metrics": [{...}]}
_SURROGATE = re.compile("[\ud800-\udfff]")


class BodyError(Exception):
    """The request cannot be read or parsed; `status` and `error` are the reply."""

    def __init__(self, status: int, error: str) -> None:
        super().__init__(error)
        self.status, self.error = status, error


def timeout_from_env(env: Mapping[str, str] | None = None) -> float:
    """PULSE_BODY_TIMEOUT in seconds; a bad value stops the start with one sentence."""
    text = (os.environ if env is None else env).get("PULSE_BODY_TIMEOUT") or ""
    if not text:
        return DEFAULT_TIMEOUT
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value <= 300:
        raise ValueError(f"PULSE_BODY_TIMEOUT must be seconds between 0 and 300, got {text!r}")
    return value


def read(environ: dict[str, Any], *, limit: int, timeout: float) -> bytes:
    """The whole body, or BodyError: 411 without a length, 413 over `limit`, 408 when it is not
    complete within `timeout` seconds (the connection is then cut), 400 when it ends short."""
    length = environ.get("CONTENT_LENGTH") or ""
    if not length.isdigit():
        raise BodyError(411, "send a Content-Length header")
    expected = int(length)
    if expected > limit:
        raise BodyError(413, f"request body over {limit:,} bytes")
    stream = environ["wsgi.input"]
    parts: list[bytes] = []
    received = 0
    with _deadline(environ.get("gunicorn.socket"), timeout) as expired:
        while received < expected and (chunk := stream.read(expected - received)):
            parts.append(chunk)
            received += len(chunk)
    if expired.is_set():
        raise BodyError(408, f"the request body did not arrive within {timeout:g} s")
    if received < expected:
        raise BodyError(400, f"the request body ended after {received} of {expected} bytes")
    return b"".join(parts)


@contextmanager
def _deadline(sock: socket.socket | None, timeout: float) -> Iterator[threading.Event]:
    """Shut the socket's reading side at the deadline: a blocked recv() then returns at once.

    A per-recv socket timeout would not do: a client trickling one byte at a time resets it."""
    expired, lock, done = threading.Event(), threading.Lock(), [False]

    def cut() -> None:
        with lock:
            if done[0] or sock is None:
                return
            expired.set()
            with suppress(OSError):  # the client has gone already
                sock.shutdown(socket.SHUT_RD)

    timer = threading.Timer(timeout, cut) if sock is not None else None
    if timer is not None:
        timer.daemon = True
        timer.start()
    try:
        yield expired
    finally:
        with lock:
            done[0] = True
        if timer is not None:
            timer.cancel()


def strict_json(raw: bytes) -> Any:
    """The parsed body, or BodyError(400) saying what is wrong with it."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BodyError(400, f"body is not UTF-8 (byte {exc.start})") from None
    try:
        value = json.loads(
            text, parse_constant=_no_constant, parse_float=_finite, object_pairs_hook=_unique
        )
    except RecursionError:
        raise BodyError(400, f"body is nested deeper than {MAX_DEPTH} levels") from None
    except ValueError as exc:
        raise BodyError(400, f"body is not JSON: {exc}") from None
    _check_shape(value)
    return value


def _no_constant(name: str) -> None:
    raise BodyError(400, f"body is not JSON: {name} is not a number JSON allows")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise BodyError(400, f"number {text[:20]} is too large for a float")
    return value


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) < len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise BodyError(400, f"duplicate key {ascii(key)[:60]} in a JSON object")
            seen.add(key)
    return result


def _check_shape(value: Any) -> None:
    """Depth and lone surrogates, checked without recursion (a deep value cannot overflow it)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                raise BodyError(400, f"string {ascii(item)[:40]} holds a lone UTF-16 surrogate")
        elif isinstance(item, dict | list):
            if depth > MAX_DEPTH:
                raise BodyError(400, f"body is nested deeper than {MAX_DEPTH} levels")
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
