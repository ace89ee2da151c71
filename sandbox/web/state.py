"""What Slack's client remembers per person that the Web API state does not.

The workspace records every view the app ever opened; which modal is still on a
person's screen, what they typed into it and the errors the app sent back live
only in the client. The page and `sandbox.actions` share this record.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from urllib.parse import urlsplit

_LOOPBACK = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class AppLink:
    """The connected app: its Request URL (`POST /slack/events`) and signing secret."""

    url: str
    signing_secret: str

    @classmethod
    def parse(cls, app_url: str, signing_secret: str) -> AppLink:
        """A bare origin gets `/slack/events`; only loopback http(s) apps are accepted,
        because anyone who can load the page can make the sandbox post to the app."""
        parts = urlsplit(app_url)
        if parts.scheme not in ("http", "https") or parts.hostname not in _LOOPBACK:
            raise ValueError(f"app_url must be http(s) on 127.0.0.1, not {app_url!r}")
        if not signing_secret:
            raise ValueError("signing_secret is required")
        url = app_url.rstrip("/") + "/slack/events" if parts.path in ("", "/") else app_url
        return cls(url, signing_secret)


@dataclass
class ClientState:
    """Closed and pushed modals, typed-in drafts and per-input errors, by view id."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    closed: set[str] = field(default_factory=set)
    pushed: set[str] = field(default_factory=set)
    drafts: dict[str, dict[str, str]] = field(default_factory=dict)  # view -> block -> text
    errors: dict[str, dict[str, str]] = field(default_factory=dict)  # view -> block -> error

    def open_modal(self, modals: list[dict]) -> dict | None:
        """The modal on screen: the newest not closed, walking down the pushed stack only.

        `modals` are one person's modal views, oldest first (as `Workspace.views` gives).
        A closed view opened with `views.open` ends the walk: older views were replaced.
        """
        with self.lock:
            for view in reversed(modals):
                if view["id"] not in self.closed:
                    return view
                if view["id"] not in self.pushed:
                    return None
        return None

    def close(self, view_id: str) -> None:
        with self.lock:
            self.closed.add(view_id)
            self.drafts.pop(view_id, None)
            self.errors.pop(view_id, None)

    def push(self, view_id: str) -> None:
        with self.lock:
            self.pushed.add(view_id)

    def remember(self, view_id: str, drafts: dict[str, str], errors: dict[str, str]) -> None:
        """Keep what the person typed and the app's errors, as Slack keeps a modal open."""
        with self.lock:
            self.drafts[view_id] = dict(drafts)
            self.errors[view_id] = dict(errors)

    def forget(self, view_id: str) -> None:
        """The app replaced the view: its drafts and errors no longer apply."""
        with self.lock:
            self.drafts.pop(view_id, None)
            self.errors.pop(view_id, None)

    def modal_state(self, view_id: str) -> tuple[dict[str, str], dict[str, str]]:
        with self.lock:
            return dict(self.drafts.get(view_id, {})), dict(self.errors.get(view_id, {}))
