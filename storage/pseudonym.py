"""Pseudonymous respondent keys: a keyed HMAC of person and pulse.

With the key, the bot can find a person's own answers to one pulse (to show and change
them); without it, the database alone cannot link an answer to a person or link one
person's answers across pulses.
"""

from __future__ import annotations

import hashlib
import hmac


def respondent_key(secret: bytes, *, workspace: str, user_id: str, pulse_id: int) -> str:
    message = f"{workspace}\x1f{user_id}\x1f{pulse_id}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()
