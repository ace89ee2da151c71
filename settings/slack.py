"""Slack Web API clients: the real slack_sdk WebClient, pointed at SLACK_API_URL."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)

from settings.runtime import Settings


def make_client(settings: Settings, *, retries: bool = True, timeout: int = 10) -> WebClient:
    """A client for listeners and jobs; `retries=False` for the sender, which paces itself.

    The sender must not let the SDK silently repeat a chat.postMessage: a repeat after a
    timeout could post a second DM. It handles 429s and failures itself.
    """
    handlers = (
        [ConnectionErrorRetryHandler(max_retry_count=2), RateLimitErrorRetryHandler(5)]
        if retries
        else []
    )
    return WebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url,
        timeout=timeout,
        retry_handlers=handlers,
    )
