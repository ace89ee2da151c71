"""Fixtures for the sandbox tests: a small workspace served over HTTP, the real
`slack_sdk.WebClient` pointed at it, and a stand-in app that verifies signatures."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest
from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier

from sandbox import SandboxServer, SlackSender, Workspace

SIGNING_SECRET = "sandbox-signing-secret"
PEOPLE = ["U0ALICE", "U0BOB", "U0CAROL", "U0DAN", "U0ERIN"]


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """slack_sdk sends every request through $HTTPS_PROXY, ignoring NO_PROXY: unset it."""
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def workspace() -> Workspace:
    """Five people, a channel with three of them, a user group of four."""
    ws = Workspace()
    for user_id in PEOPLE:
        name = user_id[2:].lower()
        ws.add_user(user_id, name, real_name=name.title(), email=f"{name}@example.test")
    ws.add_channel("C0GENERAL", "general", PEOPLE[:3])
    ws.add_usergroup("S0SUPPORT", "support", PEOPLE[:4])
    return ws


@pytest.fixture
def server(workspace: Workspace) -> Iterator[SandboxServer]:
    with SandboxServer(workspace) as running:
        yield running


@pytest.fixture
def make_client(server: SandboxServer) -> Callable[..., WebClient]:
    """Build the real client for `server`, with no retry handlers unless asked for."""

    def build(**options: Any) -> WebClient:
        options.setdefault("retry_handlers", [])
        options.setdefault("timeout", 5)
        return WebClient(token=server.workspace.bot_token, base_url=server.url, **options)

    return build


@pytest.fixture
def client(make_client: Callable[..., WebClient]) -> WebClient:
    return make_client()


class Receiver:
    """A stand-in app at `url`: records requests, refuses bad signatures with 401."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.reply: Callable[[dict], tuple[int, str]] = lambda request: (200, "")
        verifier = SignatureVerifier(SIGNING_SECRET)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                headers = {k.lower(): v for k, v in self.headers.items()}
                request = {
                    "raw": raw,
                    "headers": headers,
                    "form": {k: v[0] for k, v in parse_qs(raw.decode()).items()},
                    "valid": verifier.is_valid_request(raw, headers),
                }
                receiver.requests.append(request)
                status, body = receiver.reply(request) if request["valid"] else (401, "bad")
                self.send_response(status)
                self.send_header("Content-Length", str(len(body.encode())))
                self.end_headers()
                self.wfile.write(body.encode())

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/slack/events"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,))

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running


@pytest.fixture
def sender(receiver: Receiver, server: SandboxServer) -> SlackSender:
    return SlackSender(receiver.url, SIGNING_SECRET, server, timeout=5)
