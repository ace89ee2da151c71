"""`SandboxServer`: the sandbox workspace served over real HTTP on 127.0.0.1.

Point the real client at it: `WebClient(token=ws.bot_token, base_url=server.url)`.
Threaded (one daemon thread per request), one lock for all state, port 0 by
default, starts in milliseconds, and `stop()` returns promptly even while
fault-injected requests are sleeping.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import socketserver
import sys
import threading
from http.server import ThreadingHTTPServer
from types import TracebackType
from typing import Any

from sandbox.faults import Fault, FaultInjector
from sandbox.handler import SandboxHandler
from sandbox.ratelimit import RateLimiter
from sandbox.socket_mode import SocketHub
from sandbox.web.state import AppLink, ClientState
from sandbox.workspace import Workspace

_STOP_GRACE = 1.0  # seconds stop() waits for in-flight requests before cutting them off


class _HTTPServer(ThreadingHTTPServer):
    """Tracks its request threads and sockets so `stop()` can end them all, boundedly."""

    daemon_threads = True
    block_on_close = False
    request_queue_size = 128  # listen backlog: the default 5 drops SYNs under a benchmark

    def __init__(self, address: tuple[str, int], sandbox: SandboxServer) -> None:
        self.sandbox = sandbox
        self.active: dict[threading.Thread, socket.socket] = {}
        self.active_lock = threading.Lock()
        super().__init__(address, SandboxHandler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind calls socket.getfqdn(), a reverse DNS lookup that can
        # take seconds offline; the sandbox only ever needs the numeric address.
        socketserver.TCPServer.server_bind(self)
        host, self.server_port = self.server_address[:2]
        self.server_name = str(host)

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(
            target=self._serve_one,
            args=(request, client_address),
            name="sandbox-request",
            daemon=True,
        )
        with self.active_lock:
            self.active[thread] = request
        thread.start()

    def _serve_one(self, request: Any, client_address: Any) -> None:
        try:
            self.process_request_thread(request, client_address)
        finally:
            with self.active_lock:
                self.active.pop(threading.current_thread(), None)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], OSError):
            return  # the client hung up (e.g. it timed out during a timeout fault): expected
        super().handle_error(request, client_address)


class SandboxServer:
    """A local Slack Web API speaking Slack's HTTP contract over `workspace`."""

    def __init__(
        self,
        workspace: Workspace | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        rate_limits: dict[str, float] | None = None,
        default_rate: float | None = None,
    ) -> None:
        if host != "localhost" and not ipaddress.ip_address(host).is_loopback:
            raise ValueError(f"the sandbox binds to loopback only, not {host!r}")
        self.workspace = workspace if workspace is not None else Workspace()
        self.host, self.port = host, port
        self.limiter = RateLimiter(self.workspace.lock, rate_limits, default_rate)
        self.faults = FaultInjector(self.workspace.lock)
        self.socket_mode = SocketHub(app_id=self.workspace.app_id, host=self.host)
        self.app: AppLink | None = None  # where the page's clicks and commands go
        self.client_state = ClientState()  # open modals, drafts: what Slack's client keeps
        self._stopping = threading.Event()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> SandboxServer:
        """Bind and serve in a background thread; returns self once requests are accepted."""
        if self._httpd is not None:
            raise RuntimeError("SandboxServer already started")
        self._stopping.clear()
        self.socket_mode.start()
        self._httpd = _HTTPServer((self.host, self.port), self)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="sandbox-server",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, wake sleeping faults, and end every request thread (bounded wait)."""
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        self._stopping.set()
        self.socket_mode.stop()
        closer = threading.Thread(target=httpd.shutdown, name="sandbox-shutdown", daemon=True)
        closer.start()
        while closer.is_alive():  # poke the listener so serve_forever sees the flag at once
            with contextlib.suppress(OSError):
                socket.create_connection((self.host, self.port), timeout=0.1).close()
            closer.join(0.005)
        httpd.server_close()
        if self._thread is not None:
            self._thread.join()
        with httpd.active_lock:
            pending = dict(httpd.active)
        for thread in pending:
            thread.join(_STOP_GRACE / max(1, len(pending)))
        for thread, request in pending.items():
            if thread.is_alive():
                _cut(request)
                thread.join(_STOP_GRACE)

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def base(self) -> str:
        """`http://127.0.0.1:PORT` (no trailing slash)."""
        if self._httpd is None:
            raise RuntimeError("SandboxServer is not running; call start() first")
        return f"http://{self.host}:{self.port}"

    @property
    def url(self) -> str:
        """The Web API base URL, ending in `/api/`, for `WebClient(base_url=...)`."""
        return f"{self.base}/api/"

    def sleep(self, seconds: float) -> bool:
        """Sleep for a fault; returns True if `stop()` interrupted it."""
        return self._stopping.wait(seconds)

    # -- runtime controls --------------------------------------------------------------------

    def set_rate_limit(self, method: str, per_second: float | None) -> None:
        """Ceiling for one method in calls per second (None: unlimited); takes effect now."""
        self.limiter.set(method, per_second)

    def set_default_rate(self, per_second: float | None) -> None:
        self.limiter.set_default(per_second)

    def inject_fault(
        self,
        method: str,
        kind: str,
        *,
        times: int | None = 1,
        probability: float = 1.0,
        seed: int | None = None,
        delay: float = 5.0,
    ) -> None:
        """Arm a fault for `method` ("*" for any); see `sandbox.faults` for the kinds."""
        fault = Fault(method, kind, times=times, probability=probability, delay=delay, seed=seed)
        self.faults.add(fault)

    def clear_faults(self) -> None:
        self.faults.clear()

    def connect_app(self, app_url: str, signing_secret: str) -> None:
        """Send the page's clicks, commands and submissions to this app (a loopback URL),
        signed with its secret; a bare origin gets `/slack/events`."""
        self.app = AppLink.parse(app_url, signing_secret)

    def state(self) -> dict:
        """The workspace snapshot plus the limits and faults now in force."""
        return {
            **self.workspace.to_json(),
            "rate_limits": self.limiter.limits(),
            "faults": self.faults.faults(),
            "app_url": self.app.url if self.app else None,
            "socket_mode_connections": len(self.socket_mode.connections()),
        }


def _cut(request: socket.socket) -> None:
    with contextlib.suppress(OSError):
        request.shutdown(socket.SHUT_RDWR)
