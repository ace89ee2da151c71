"""Rate limits: exact sliding-window ceiling, 429 + Retry-After, and slack_sdk recovering."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from sandbox import SandboxServer
from sandbox.ratelimit import RateLimiter


def test_limiter_admits_exactly_the_ceiling_in_any_second() -> None:
    limiter = RateLimiter(threading.RLock(), {"chat.postMessage": 50})
    assert all(limiter.admit("chat.postMessage", now=0.0) is None for _ in range(50))
    assert limiter.admit("chat.postMessage", now=0.0) == 1
    assert limiter.admit("chat.postMessage", now=0.999) == 1
    assert limiter.admit("chat.postMessage", now=1.0) is None  # the first call left the window
    assert limiter.admit("auth.test", now=0.0) is None  # unlisted and no default: unlimited


def test_fractional_and_default_rates() -> None:
    limiter = RateLimiter(threading.RLock(), default=0.5)
    assert limiter.admit("users.list", now=10.0) is None
    assert limiter.admit("users.list", now=11.0) == 1
    assert limiter.admit("users.list", now=10.5) == 2  # one call per two seconds
    assert limiter.admit("users.list", now=12.0) is None
    limiter.set("users.list", None)
    assert limiter.admit("users.list", now=12.0) is None
    with pytest.raises(ValueError):
        limiter.set("users.list", 0)


def test_exceeding_the_rate_answers_429_with_retry_after(
    server: SandboxServer, client: WebClient
) -> None:
    server.set_rate_limit("chat.postMessage", 3)
    for i in range(3):
        client.chat_postMessage(channel="C0GENERAL", text=str(i))
    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel="C0GENERAL", text="too many")
    response = raised.value.response
    assert response.status_code == 429 and response["error"] == "ratelimited"
    assert int(response.headers["Retry-After"]) >= 1
    assert len(server.workspace.messages()) == 3
    assert [c["status"] for c in server.workspace.calls("chat.postMessage")] == [200] * 3 + [429]
    client.auth_test()  # other methods have their own budget


def test_slack_sdk_retry_handler_recovers(
    server: SandboxServer, make_client: Callable[..., WebClient]
) -> None:
    server.set_rate_limit("chat.postMessage", 2)
    client = make_client(retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=2)])
    started = time.monotonic()
    for i in range(3):
        client.chat_postMessage(channel="C0GENERAL", text=str(i))
    assert time.monotonic() - started >= 1.0  # it waited out Retry-After
    assert [m["text"] for m in server.workspace.messages()] == ["0", "1", "2"]
    assert 429 in [c["status"] for c in server.workspace.calls()]


def test_hammered_throughput_is_the_ceiling(
    server: SandboxServer, make_client: Callable[..., WebClient]
) -> None:
    """Four threads sending flat out for 2 s at a 50/s limit get 50/s, within 5%."""
    ceiling, duration = 50, 2.0
    server.set_rate_limit("chat.postMessage", ceiling)
    deadline = time.monotonic() + duration
    accepted: list[str] = []
    unexpected: list[SlackApiError] = []

    def hammer() -> None:
        client = make_client()
        while time.monotonic() < deadline:
            try:
                accepted.append(client.chat_postMessage(channel="C0GENERAL", text="x")["ts"])
            except SlackApiError as error:
                if error.response.status_code != 429:
                    unexpected.append(error)

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert unexpected == []
    rate = len(accepted) / duration
    assert abs(rate - ceiling) <= 0.05 * ceiling, f"{rate:.1f}/s at a {ceiling}/s ceiling"
    assert len(server.workspace.calls("chat.postMessage")) > len(accepted)  # it was hammered
