"""What a job says, as a port: each Slack message a time-driven job sends.

Jobs decide *whom* and *when*; the edge (`bot.messages.SlackMessages`) decides how a message
looks in Slack. Every method takes plain values and returns the message as Slack takes it
(keyword arguments of `chat.postMessage` / `chat.update`), already checked against Slack's
limits. The composition roots (`pulse`, `/pulse admin`, the benchmarks, the tests) pass the
edge's implementation in, so that no job imports the edge.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Protocol

from figures.digest import Digest
from storage.pulses import PulseView

Message = dict[str, Any]


class Messages(Protocol):
    def pulse_dm(
        self,
        *,
        view: PulseView,
        commitments: Sequence[str],
        tz: str,
        now: dt.datetime,
        k: int,
        locale: str = "",
    ) -> Message:
        """A fresh, unanswered DM of the pulse as of `now`, its close time shown in `tz`, in
        the reader's `locale` (as every message to a person: "" reads English)."""
        ...

    def closed_dm(
        self,
        *,
        team_name: str,
        questions: Sequence[str],
        closed_at: dt.datetime,
        tz: str,
        respondents: int,
        k: int,
        locale: str = "",
    ) -> Message:
        """A sent DM once its pulse closed: no buttons; turnout shown only from `k` people."""
        ...

    def reminder(
        self, *, team_name: str, closes_at: dt.datetime, tz: str, locale: str = ""
    ) -> Message:
        """The one gentle reminder to someone who has not answered yet."""
        ...

    def digest(self, *, digest: Digest, locale: str = "") -> list[Message]:
        """The weekly HR digest: post the first message, the rest in its thread (in HR's
        `locale`, `[hr] locale` in config.toml)."""
        ...

    def charts_comment(self, *, digest: Digest, locale: str = "") -> str:
        """The comment posted with the digest's charts."""
        ...

    def alert(
        self,
        *,
        team_name: str,
        team_key: str,
        week: dt.date,
        reasons: Sequence[str],
        k: int,
        why: str,
        locale: str = "",
    ) -> Message:
        """A DM about a team's new red flags in the week starting `week`."""
        ...

    def relay_notice(
        self,
        *,
        comment_id: str,
        team_name: str,
        opened: dt.datetime,
        body: str,
        at: dt.datetime,
        revealed_name: str | None,
        locale: str = "",
    ) -> Message:
        """A DM to a manager in a conversation: the comment's author replied (relayed at `at`),
        in the manager's `locale`."""
        ...

    def celebration(self, *, team_name: str, text: str, locale: str = "") -> Message:
        """A short note to a team's channel: its commitment `text` was kept (no figure)."""
        ...
