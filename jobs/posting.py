"""Posting one pulse DM to Slack so that it arrives exactly once, and updating it once
when its pulse closes.

Every DM carries the pulse id in Slack message metadata; a claim attempted before is
first looked for in the DM's history, so a lost reply or a crash never leads to a second
DM. The closing update marks that metadata `closed`, so a retried update first looks at
the DM and is not sent again if Slack already shows it. Each attempt is classified for
the sender to record.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from http.client import HTTPException
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from jobs.pacing import Pacer
from storage import closed_dms, outbox

METADATA_EVENT = "pulse_dm"
PERMANENT_ERRORS = frozenset(
    {"user_not_found", "user_disabled", "account_inactive", "messages_tab_disabled"}
    | {"cannot_dm_bot", "channel_not_found", "is_archived", "invalid_blocks", "msg_too_long"}
    | {"no_text", "not_authed", "invalid_auth", "restricted_action"}
)

UPDATE_ERRORS = frozenset({"message_not_found", "cant_update_message", "edit_window_closed"})


@dataclass(frozen=True)
class Outcome:
    """What became of one claim: sent | recovered | retry | failed | skipped | released."""

    kind: str
    claim: outbox.Claimed | closed_dms.Claim
    channel_id: str = ""
    message_ts: str = ""
    error: str = ""


class Poster:
    """Posts on sender threads, paced by the shared Pacer."""

    def __init__(self, client: WebClient, pacer: Pacer, lease: dt.timedelta) -> None:
        self.client, self.pacer, self.lease = client, pacer, lease

    def deliver(self, claim: outbox.Claimed, dm: dict[str, Any], claimed: float) -> Outcome:
        """On a sender thread: one paced attempt, classified for the coordinator to record."""
        try:
            return self.pacer.paced(lambda: self._post(claim, dm, claimed))
        except SlackApiError as exc:
            error = str(exc.response.get("error") or f"http_{exc.response.status_code}")
            return Outcome("failed" if error in PERMANENT_ERRORS else "retry", claim, error=error)
        except (OSError, HTTPException) as exc:  # a timeout or a cut: Slack may have posted
            return Outcome("retry", claim, error=f"network: {type(exc).__name__}")

    def close(self, claim: closed_dms.Claim, dm: dict[str, Any], claimed: float) -> Outcome:
        """On a sender thread: one paced `chat.update` showing the DM's pulse closed."""
        try:
            return self.pacer.paced(lambda: self._update(claim, dm, claimed))
        except SlackApiError as exc:
            error = str(exc.response.get("error") or f"http_{exc.response.status_code}")
            permanent = error in PERMANENT_ERRORS | UPDATE_ERRORS
            return Outcome("failed" if permanent else "retry", claim, error=error)
        except (OSError, HTTPException) as exc:  # Slack may have applied it: checked next time
            return Outcome("retry", claim, error=f"network: {type(exc).__name__}")

    def _update(self, claim: closed_dms.Claim, dm: dict[str, Any], claimed: float) -> Outcome:
        if time.monotonic() - claimed > self.lease.total_seconds() / 2:
            return Outcome("released", claim)
        if claim.attempts > 1 and self._shows_closed(claim):
            return Outcome("recovered", claim, claim.channel_id, claim.message_ts)
        payload = {"pulse_id": claim.pulse_id, "closed": True}
        self.client.chat_update(
            channel=claim.channel_id,
            ts=claim.message_ts,
            metadata={"event_type": METADATA_EVENT, "event_payload": payload},
            **dm,
        )
        return Outcome("sent", claim, claim.channel_id, claim.message_ts)

    def _shows_closed(self, claim: closed_dms.Claim) -> bool:
        """Whether the DM already carries the closing update (a lost reply, a crash)."""
        history = self.client.conversations_history(
            channel=claim.channel_id,
            latest=claim.message_ts,
            inclusive=True,
            limit=1,
            include_all_metadata=True,
        )
        messages: list[dict[str, Any]] = history.get("messages", [])
        for msg in messages:
            payload = (msg.get("metadata") or {}).get("event_payload") or {}
            if msg.get("ts") == claim.message_ts and payload.get("closed"):
                return True
        return False

    def _post(self, claim: outbox.Claimed, dm: dict[str, Any], claimed: float) -> Outcome:
        if time.monotonic() - claimed > self.lease.total_seconds() / 2:
            return Outcome("released", claim)  # held too long (429 pauses): keep the lease
        if claim.attempts > 1:
            found = self._find_posted(claim)
            if found is not None:
                return found
        reply = self.client.chat_postMessage(
            channel=claim.slack_user_id,
            metadata={"event_type": METADATA_EVENT, "event_payload": {"pulse_id": claim.pulse_id}},
            **dm,
        )
        return Outcome("sent", claim, reply["channel"], reply["ts"])

    def _find_posted(self, claim: outbox.Claimed) -> Outcome | None:
        channel = claim.channel_id
        if channel is None:
            channel = self.client.conversations_open(users=claim.slack_user_id)["channel"]["id"]
        history = self.client.conversations_history(
            channel=channel, limit=50, include_all_metadata=True
        )
        messages: list[dict[str, Any]] = history.get("messages", [])
        for msg in messages:
            meta = msg.get("metadata") or {}
            payload = meta.get("event_payload") or {}
            if (
                meta.get("event_type") == METADATA_EVENT
                and payload.get("pulse_id") == claim.pulse_id
            ):
                return Outcome("recovered", claim, channel, msg["ts"])
        return None
