"""Answers to an open pulse, held sealed until it closes, then released in random order.

Why: a table's physical order leaks the order its rows were written in (SQLite's rowid,
PostgreSQL's ctid and xmin), and beside delivery times that order narrows who answered
what. So while a pulse is open its answers, written answers and comments wait in `held`,
each row under a keyed HMAC of its own (storage.pseudonym.Respondent.slot) and encrypted
with AES-GCM under a key derived from PULSE_SECRET, padded to one size per kind: a copy of
the database taken while the pulse is open shows how many rows there are, not whose or
what, and joins nothing in the closed data. `release` moves a closed pulse's rows into
`response` and `comment` in one transaction, in a cryptographically random order.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import struct
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import delete, func
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from storage.models import Held, PulseQuestion
from storage.pseudonym import Respondent

SIZES = {"answer": 128, "text": 8448}  # a 2,000-character text in 4-byte UTF-8 fits one block
PERSON = "person"


def _cipher(secret: bytes) -> AESGCM:
    return AESGCM(hmac.new(secret, b"oxygen-pulse held rows v1", hashlib.sha256).digest())


def seal(secret: bytes, *, slot: str, kind: str, fields: list[str]) -> bytes:
    """`fields` joined, length-prefixed, zero-padded to whole blocks, encrypted with a fresh
    random nonce; the slot is authenticated, so a row cannot be moved to another slot."""
    plain = "\x1f".join(fields).encode()
    size = SIZES[kind]
    body = struct.pack(">I", len(plain)) + plain
    body += b"\0" * (-len(body) % size)
    nonce = os.urandom(12)
    return nonce + _cipher(secret).encrypt(nonce, body, slot.encode())


def unseal(secret: bytes, *, slot: str, sealed: bytes) -> list[str]:
    """The three fields `seal` was given (the last, a text, may itself hold separators)."""
    body = _cipher(secret).decrypt(sealed[:12], sealed[12:], slot.encode())
    (length,) = struct.unpack(">I", body[:4])
    return body[4 : 4 + length].decode().split("\x1f", 2)


def _put(session: Session, row: dict[str, Any], *, replace: bool) -> None:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(Held).values(**row)
    if replace:
        stmt = stmt.on_conflict_do_update(index_elements=["slot"], set_={"sealed": row["sealed"]})
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=["slot"])
    session.exec(stmt)


def _took_part(session: Session, who: Respondent) -> None:
    row = {"slot": who.slot(PERSON), "pulse_id": who.pulse_id, "kind": PERSON, "sealed": b""}
    _put(session, row, replace=False)


def _text_part(question_id: int | None) -> str:
    return f"text:{'comment' if question_id is None else question_id}"


def hold_answer(session: Session, *, respondent: Respondent, question_id: int, value: int) -> None:
    """Insert or change one answer; a repeated click or a Slack retry changes nothing."""
    slot = respondent.slot(f"answer:{question_id}")
    fields = [str(question_id), str(value), respondent.answers]
    sealed = seal(respondent.secret, slot=slot, kind="answer", fields=fields)
    _put(
        session,
        {"slot": slot, "pulse_id": respondent.pulse_id, "kind": "answer", "sealed": sealed},
        replace=True,
    )
    _took_part(session, respondent)


def hold_text(
    session: Session, *, respondent: Respondent, question_id: int | None, body: str
) -> None:
    """Insert or replace one written answer (or, question None, the pulse's comment)."""
    slot = respondent.slot(_text_part(question_id))
    fields = ["" if question_id is None else str(question_id), respondent.comments, body]
    sealed = seal(respondent.secret, slot=slot, kind="text", fields=fields)
    _put(
        session,
        {"slot": slot, "pulse_id": respondent.pulse_id, "kind": "text", "sealed": sealed},
        replace=True,
    )
    _took_part(session, respondent)


def _question_ids(session: Session, pulse_id: int) -> list[int]:
    return list(
        session.exec(select(PulseQuestion.question_id).where(PulseQuestion.pulse_id == pulse_id))
    )


def held_answers(session: Session, *, respondent: Respondent) -> dict[int, int]:
    """One person's held answers to one open pulse: question id -> value."""
    slots = {respondent.slot(f"answer:{q}"): q for q in _question_ids(session, respondent.pulse_id)}
    found = {}
    for slot, sealed in session.exec(
        select(Held.slot, Held.sealed).where(col(Held.slot).in_(list(slots)))
    ):
        fields = unseal(respondent.secret, slot=slot, sealed=sealed)
        found[slots[slot]] = int(fields[1])
    return found


def _text_slots(session: Session, respondent: Respondent) -> dict[str, int | None]:
    questions: list[int | None] = [None, *_question_ids(session, respondent.pulse_id)]
    return {respondent.slot(_text_part(q)): q for q in questions}


def held_texts(session: Session, *, respondent: Respondent) -> dict[int | None, str]:
    """One person's held texts to one open pulse: question id (None = comment) -> text."""
    slots = _text_slots(session, respondent)
    found = {}
    for slot, sealed in session.exec(
        select(Held.slot, Held.sealed).where(col(Held.slot).in_(list(slots)))
    ):
        found[slots[slot]] = unseal(respondent.secret, slot=slot, sealed=sealed)[2]
    return found


def drop_text(session: Session, *, respondent: Respondent, question_id: int | None) -> int:
    """The author withdraws a held text; returns rows removed."""
    slot = respondent.slot(_text_part(question_id))
    return int(session.exec(delete(Held).where(col(Held.slot) == slot)).rowcount or 0)


def forget(session: Session, *, respondent: Respondent) -> int:
    """Erase everything one person holds in one pulse (their `/pulse my-data` erase)."""
    questions = _question_ids(session, respondent.pulse_id)
    slots = [
        *_text_slots(session, respondent),
        *(respondent.slot(f"answer:{q}") for q in questions),
    ]
    result = session.exec(delete(Held).where(col(Held.slot).in_(slots)))
    session.exec(delete(Held).where(col(Held.slot) == respondent.slot(PERSON)))
    return int(result.rowcount or 0)


def took_part(session: Session, *, respondent: Respondent) -> bool:
    """Has this person answered or written anything in this open pulse?"""
    slot = respondent.slot(PERSON)
    return session.exec(select(Held.slot).where(col(Held.slot) == slot)).first() is not None


def people_so_far(session: Session, *, pulse_id: int) -> int:
    """How many people have answered or written something in an open pulse."""
    query = select(func.count()).where(Held.pulse_id == pulse_id, Held.kind == PERSON)
    return int(session.exec(query).one())
