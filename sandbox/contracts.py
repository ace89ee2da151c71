"""What the sandbox's parts need of each other, as Protocols: the imports point one way.

`server` builds the HTTP server from `handler`, which routes to `actions`, `control` and
`web.routes`; those, the page and the sender know the server and the handler only through
these two shapes, never by importing them.
"""

from __future__ import annotations

from email.message import Message
from typing import Any, Protocol

from sandbox.faults import FaultInjector
from sandbox.ratelimit import RateLimiter
from sandbox.socket_mode import SocketHub
from sandbox.web.state import AppLink, ClientState
from sandbox.workspace import Workspace


class Sandbox(Protocol):
    """A running sandbox as its routes and the sender see it."""

    workspace: Workspace
    port: int
    app: AppLink | None
    client_state: ClientState
    limiter: RateLimiter
    faults: FaultInjector
    socket_mode: SocketHub

    @property
    def base(self) -> str: ...

    def state(self) -> dict: ...

    def sleep(self, seconds: float) -> bool: ...

    def set_rate_limit(self, method: str, per_second: float | None) -> None: ...

    def set_default_rate(self, per_second: float | None) -> None: ...

    def inject_fault(
        self,
        method: str,
        kind: str,
        *,
        times: int | None = 1,
        probability: float = 1.0,
        seed: int | None = None,
        delay: float = 5.0,
    ) -> None: ...

    def clear_faults(self) -> None: ...

    def connect_app(self, app_url: str, signing_secret: str) -> None: ...


class Responder(Protocol):
    """One HTTP request being answered: its headers, its sandbox, and ways to reply."""

    headers: Message

    @property
    def sandbox(self) -> Sandbox: ...

    def send_body(
        self, status: int, body: bytes, content_type: str, headers: dict | None = None
    ) -> None: ...

    def send_json(self, status: int, payload: Any, headers: dict | None = None) -> None: ...

    def send_text(self, status: int, text: str) -> None: ...
