"""At close, a pulse's held answers and texts become `response` and `comment` rows.

The pulse's rows in both tables (held ones and any already there) are deleted and written
again in a cryptographically random order in the caller's one transaction: on SQLite the
rowids, on PostgreSQL the heap order (ctid) follow a shuffle, and every row shares one xmin.
Nothing is lost or doubled on a crash or a retry: the held rows are deleted in the same
transaction, and a pulse with nothing held is left alone. Rows that do not decrypt (PULSE_SECRET
changed) stay held and are logged, rather than stopping every other pulse from closing.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from typing import Any

from cryptography.exceptions import InvalidTag
from sqlalchemy import delete, insert, or_
from sqlmodel import Session, col, select

from storage.held import PERSON, unseal
from storage.models import Comment, Held, Pulse, Response, random_id
from storage.seal import seal

_shuffle = secrets.SystemRandom().shuffle
CHUNK = 5000
log = logging.getLogger("pulse.release")


def release_closed(session: Session, *, secret: bytes, now: dt.datetime) -> list[int]:
    """Release every pulse closed by ``now`` that still holds rows, and seal each one that
    got answers out (storage.seal); returns their ids. No answer lands after its close
    (storage.pulses.open_for_writing); rows sealed under an earlier secret stay held and are
    retried, and the pulse is sealed again when they come out."""
    closed = or_(col(Pulse.closes_at) <= now, col(Pulse.closed_at) <= now)
    pulse_ids = session.exec(
        select(Held.pulse_id).join(Pulse, col(Pulse.id) == Held.pulse_id).where(closed).distinct()
    ).all()
    for pulse_id in sorted(pulse_ids):
        if release(session, secret=secret, pulse_id=pulse_id):
            seal(session, pulse_id=pulse_id, now=now)  # its sums follow its answers
    return sorted(pulse_ids)


def release(session: Session, *, secret: bytes, pulse_id: int) -> int:
    """Move one pulse's held rows out, re-writing its rows in random order; returns how
    many held answers and texts were moved."""
    held = session.exec(
        select(Held.slot, Held.kind, Held.sealed).where(Held.pulse_id == pulse_id)
    ).all()
    answers: dict[tuple[int, str], dict[str, Any]] = {
        (r.question_id, r.respondent): r.model_dump()
        for r in session.exec(select(Response).where(Response.pulse_id == pulse_id))
    }
    texts: dict[tuple[int | None, str], dict[str, Any]] = {
        (c.question_id, c.respondent): c.model_dump()
        for c in session.exec(select(Comment).where(Comment.pulse_id == pulse_id))
    }
    moved, done = 0, []
    for slot, kind, sealed in held:
        if kind == PERSON:
            done.append(slot)
            continue
        try:
            fields = unseal(secret, slot=slot, sealed=sealed)
        except InvalidTag:  # sealed under another PULSE_SECRET: kept until it is back
            continue
        moved += 1
        done.append(slot)
        if kind == "answer":
            qid, respondent = int(fields[0]), fields[2]
            row = answers.get((qid, respondent)) or {"id": random_id()}
            answers[qid, respondent] = {
                **row,
                "pulse_id": pulse_id,
                "question_id": qid,
                "respondent": respondent,
                "value": int(fields[1]),
            }
        else:
            text_qid, respondent = (int(fields[0]) if fields[0] else None), fields[1]
            row = texts.get((text_qid, respondent)) or {"id": random_id()}
            texts[text_qid, respondent] = {
                **row,
                "pulse_id": pulse_id,
                "question_id": text_qid,
                "respondent": respondent,
                "body": fields[2],
            }
    if len(done) < len(held):
        log.error(
            "pulse %s: %s held rows cannot be decrypted with this PULSE_SECRET (was it "
            "changed?); they stay held",
            pulse_id,
            len(held) - len(done),
        )
        if not moved:
            return 0
    session.exec(delete(Response).where(col(Response.pulse_id) == pulse_id))
    session.exec(delete(Comment).where(col(Comment.pulse_id) == pulse_id))
    slots = done  # by slot: a row held meanwhile waits for the next run
    for start in range(0, len(slots), CHUNK):
        session.exec(delete(Held).where(col(Held.slot).in_(slots[start : start + CHUNK])))
    for table, rows in ((Response, list(answers.values())), (Comment, list(texts.values()))):
        _shuffle(rows)
        for start in range(0, len(rows), CHUNK):
            session.connection().execute(insert(table), rows[start : start + CHUNK])
    return moved
