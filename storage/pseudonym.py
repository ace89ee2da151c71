"""Pseudonymous keys: keyed HMACs of person and pulse, each for one purpose.

With the key (PULSE_SECRET), the bot finds a person's own rows for one pulse (to show,
change and erase them); without it, the database alone cannot link a row to a person, one
person's rows across pulses, a comment to its author's answers, or a row held while the
pulse is open to the row it becomes at the close.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field


def _mac(secret: bytes, *parts: object) -> str:
    return hmac.new(secret, "\x1f".join(map(str, parts)).encode(), hashlib.sha256).hexdigest()


def respondent_key(secret: bytes, *, workspace: str, user_id: str, pulse_id: int) -> str:
    """The key of a person's numeric answers to one pulse in `response`."""
    return _mac(secret, workspace, user_id, pulse_id)


def comment_key(secret: bytes, *, workspace: str, user_id: str, pulse_id: int) -> str:
    """The key of a person's comments and written answers to one pulse in `comment`: not
    the answers' key, so a reader of the database cannot put a comment beside its author's
    scores."""
    return _mac(secret, "comment", workspace, user_id, pulse_id)


@dataclass(frozen=True)
class Respondent:
    """One person answering one pulse: what the bot needs to find their own rows."""

    secret: bytes = field(repr=False)
    workspace: str
    user_id: str
    pulse_id: int

    @property
    def answers(self) -> str:
        return respondent_key(
            self.secret, workspace=self.workspace, user_id=self.user_id, pulse_id=self.pulse_id
        )

    @property
    def comments(self) -> str:
        return comment_key(
            self.secret, workspace=self.workspace, user_id=self.user_id, pulse_id=self.pulse_id
        )

    def slot(self, part: str) -> str:
        """Key of one held row while the pulse is open (`part`: what the row holds); shares
        nothing with the keys above, so a copy taken while open joins nothing after close."""
        return _mac(self.secret, "held", self.workspace, self.user_id, self.pulse_id, part)
