"""Sealing by segment: a sealed pulse's answers summed per attribute value (issue 16).

At seal, each invited person's value of every attribute (storage.people, mapped by the
caller: a value of ``[[segments]]`` or a tenure band on the pulse's week) decides which
cell their answers count in; a value fewer than ``k`` of the pulse's invited people share,
and a person with no value, count under "other". The link from answer to person is made
only here, in memory, through the respondent keys the server can compute (PULSE_SECRET):
what is written is one `segment_count` row (invited, respondents) and the `segment_rollup`
sums per attribute value, never a per-answer or per-person row, and only for a cell that k
or more of the pulse's respondents answered (sums: a question k or more answered in it). A
cell below k is not stored at all, not even its count: a database reader who intersects two
attributes' cells in `person_segment` (frontline and 0-12m, one respondent each) would
otherwise read one person's answers. So a department's or the org's cell sums only the
teams' cells k or more answered (bot.blocks.segments says so where it shows them).
``sealed_at`` and the config's ``spec`` are noted in `segment_seal`, so sums from an older
seal or config are never read (figures.segments) and are sealed again by the next close run.

Beside them, the pulse's *atoms*: its respondents counted by their stored cell of every
attribute at once ("" where that cell is not stored), which figures.segment_audit needs to
see a combination across two attributes. Joint counts would tell a database reader who
answered (the one frontline "a" person of a team), so they are written only encrypted with
AES-GCM under a key derived from PULSE_SECRET, padded to whole blocks, bound to the pulse.

A pulse is cut by the values people had when it was first sealed: those values are kept
with the seal (``values_then``, encrypted alike), and a later re-seal (a new segment config,
new seal rules) cuts it by them again, never by a later `pulse people import`. Re-cutting
an old week by today's values would move figures people have already seen, and the old
figure minus the new one would be the answers of whoever's value changed (one person, when
one person moved). An attribute first declared later is read from today's values once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import struct
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import delete, insert, or_
from sqlmodel import Session, col, select

from storage.models import (
    Delivery,
    Employee,
    PersonSegment,
    Pulse,
    Response,
    SegmentCount,
    SegmentRollup,
    SegmentSeal,
    Workspace,
)
from storage.pseudonym import respondent_key
from storage.seal import NOT_INVITED

OTHER = "other"
# (attribute, value stored for a person, the pulse's week) -> the cell, or None (unknown)
ValueOf = Callable[[str, str, dt.date], str | None]


def stale(session: Session, *, spec: str) -> list[int]:
    """Sealed pulses (raw answers still there) whose segment sums are missing or were
    written for another seal or another segment config."""
    query = (
        select(Pulse.id)
        .join(SegmentSeal, col(SegmentSeal.pulse_id) == Pulse.id, isouter=True)
        .where(
            col(Pulse.sealed_at).is_not(None),
            col(Pulse.purged_at).is_(None),
            or_(
                col(SegmentSeal.pulse_id).is_(None),
                col(SegmentSeal.sealed_at) != Pulse.sealed_at,
                col(SegmentSeal.spec) != spec,
            ),
        )
        .order_by(col(Pulse.id))
    )
    return [pid for pid in session.exec(query) if pid is not None]


def seal_segments(
    session: Session,
    *,
    secret: bytes,
    pulse_ids: Sequence[int],
    attributes: Sequence[str],
    value_of: ValueOf,
    k: int,
    spec: str,
) -> None:
    """Write each pulse's segment counts and sums afresh (in the caller's transaction)."""
    for pulse_id in pulse_ids:
        _seal_one(session, secret, pulse_id, attributes, value_of, k, spec)


def _seal_one(
    session: Session,
    secret: bytes,
    pulse_id: int,
    attributes: Sequence[str],
    value_of: ValueOf,
    k: int,
    spec: str,
) -> None:
    pulse = session.get(Pulse, pulse_id)
    if pulse is None or pulse.sealed_at is None or pulse.purged_at is not None:
        return
    ws = session.get(Workspace, pulse.workspace_id)
    workspace = ws.slack_team_id if ws is not None else ""
    invited = session.exec(
        select(Employee.slack_user_id)
        .join(Delivery, col(Delivery.employee_id) == Employee.id)
        .where(Delivery.pulse_id == pulse_id, col(Delivery.status).not_in(NOT_INVITED))
    ).all()
    current: dict[tuple[str, str], str] = {}
    for user, attribute, value in session.exec(
        select(PersonSegment.slack_user_id, PersonSegment.attribute, PersonSegment.value).where(
            PersonSegment.workspace_id == pulse.workspace_id,
            col(PersonSegment.slack_user_id).in_(invited),
        )
    ):
        current[user, attribute] = value
    earlier = session.exec(
        select(SegmentSeal.values_then).where(SegmentSeal.pulse_id == pulse_id)
    ).first()
    then = _open(secret, f"values:{pulse_id}", earlier) or {"attributes": [], "values": []}
    known = set(then["attributes"])
    stored = {(u, a): v for u, a, v in then["values"]} | {
        (u, a): v for (u, a), v in current.items() if a not in known
    }
    keep = known | set(attributes)
    snapshot = {
        "attributes": sorted(keep),
        "values": sorted([u, a, v] for (u, a), v in stored.items() if a in keep),
    }
    keys = {
        respondent_key(secret, workspace=workspace, user_id=u, pulse_id=pulse_id): u
        for u in invited
    }
    answers = session.exec(
        select(Response.respondent, Response.question_id, Response.value).where(
            Response.pulse_id == pulse_id
        )
    ).all()
    if earlier is not None and any(r not in keys for r, _, _ in answers):
        # Sealed again after someone erased their data (`/pulse my-data`): their answers
        # carry a code nobody's key gives, so re-cutting would move them to `other`, and the
        # week's old cell minus its new one would be their answers. Such a week keeps no
        # cell at all (the team's own figures are unchanged).
        answers = []
    session.exec(delete(SegmentCount).where(col(SegmentCount.pulse_id) == pulse_id))
    session.exec(delete(SegmentRollup).where(col(SegmentRollup.pulse_id) == pulse_id))
    counts, sums = [], []
    cell_of: dict[str, dict[str, str]] = {}
    kept: dict[str, set[str]] = {}
    for attribute in attributes:
        cell = cell_of[attribute] = _cells(
            invited, attribute, stored, value_of, pulse.period_start, k
        )
        counted = Counter(cell.values())
        people: dict[str, set[str]] = defaultdict(set)
        totals: dict[tuple[str, int], list[int]] = {}
        for respondent, question_id, answer in answers:
            person = keys.get(respondent)
            where = cell.get(person, OTHER) if person is not None else OTHER
            people[where].add(respondent)
            row = totals.setdefault((where, question_id), [0, 0, 0, 0, 0, 0])
            row[0] += 1
            row[1] += answer
            row[2] += answer * answer
            row[3] += answer >= 4
            row[4] += answer >= 9
            row[5] += answer <= 6
        kept[attribute] = {v for v, who in people.items() if len(who) >= k}
        for value in sorted(set(counted) | set(people)):
            if len(people.get(value, ())) < k:
                continue  # fewer than k answered: nothing of the cell is stored
            counts.append(
                {
                    "pulse_id": pulse_id,
                    "attribute": attribute,
                    "value": value,
                    "invited": counted.get(value, 0),
                    "respondents": len(people.get(value, ())),
                }
            )
        for (value, question_id), row in sorted(totals.items()):
            if len(people[value]) < k or row[0] != len(people[value]):
                # a question not every respondent of the cell answered keeps no sums: a
                # driver figure then always rests on the cell's own people, whom the audit
                # on atoms (figures.segment_audit) proved safe to show
                continue
            names = ("n", "total", "total_sq", "favourable", "promoters", "detractors")
            sums.append(
                {"pulse_id": pulse_id, "attribute": attribute, "value": value}
                | {"question_id": question_id}
                | dict(zip(names, row, strict=True))
            )
    if counts:
        session.connection().execute(insert(SegmentCount), counts)
    if sums:
        session.connection().execute(insert(SegmentRollup), sums)
    atoms: Counter[tuple[str, ...]] = Counter()
    for respondent in {r for r, _, _ in answers}:
        person = keys.get(respondent)
        mine = [cell_of[a].get(person, OTHER) if person else OTHER for a in attributes]
        atoms[tuple(v if v in kept[a] else "" for a, v in zip(attributes, mine, strict=True))] += 1
    session.exec(delete(SegmentSeal).where(col(SegmentSeal.pulse_id) == pulse_id))
    blob = seal_atoms(secret, pulse_id=pulse_id, attributes=attributes, atoms=atoms)
    session.add(
        SegmentSeal(
            pulse_id=pulse_id,
            sealed_at=pulse.sealed_at,
            spec=spec,
            atoms=blob,
            values_then=_seal(secret, f"values:{pulse_id}", snapshot),
        )
    )
    session.flush()


BLOCK = 512
Atoms = dict[tuple[str, ...], int]


def _cipher(secret: bytes) -> AESGCM:
    return AESGCM(hmac.new(secret, b"oxygen-pulse segment atoms v1", hashlib.sha256).digest())


def seal_atoms(
    secret: bytes, *, pulse_id: int, attributes: Sequence[str], atoms: Mapping[tuple[str, ...], int]
) -> bytes:
    """The atoms as JSON, length-prefixed, zero-padded to whole blocks, encrypted with a
    fresh nonce and bound to the pulse (a blob moved to another pulse does not open)."""
    rows = sorted([*key, n] for key, n in atoms.items())
    return _seal(secret, str(pulse_id), [list(attributes), rows])


def _seal(secret: bytes, bound: str, data: Any) -> bytes:
    """``data`` as JSON, length-prefixed, zero-padded to whole blocks, encrypted with a fresh
    nonce and bound to ``bound`` (a blob moved to another pulse or use does not open)."""
    plain = json.dumps(data).encode()
    body = struct.pack(">I", len(plain)) + plain
    body += b"\0" * (-len(body) % BLOCK)
    nonce = os.urandom(12)
    return nonce + _cipher(secret).encrypt(nonce, body, bound.encode())


def _open(secret: bytes, bound: str, sealed: bytes | None) -> Any:
    """What ``_seal`` sealed, or None (nothing sealed, or it does not open)."""
    if not sealed:
        return None
    try:
        body = _cipher(secret).decrypt(sealed[:12], sealed[12:], bound.encode())
    except InvalidTag:
        return None
    (length,) = struct.unpack(">I", body[:4])
    return json.loads(body[4 : 4 + length].decode())


def open_atoms(
    secret: bytes, *, pulse_id: int, sealed: bytes | None, attributes: Sequence[str]
) -> Atoms | None:
    """A pulse's atoms keyed by ``attributes`` in that order; None when there are none or
    they do not open (another PULSE_SECRET, another pulse, another set of attributes)."""
    opened = _open(secret, str(pulse_id), sealed)
    if opened is None:
        return None
    names, rows = opened
    if sorted(names) != sorted(attributes):
        return None
    order = [names.index(a) for a in attributes]
    return {tuple(row[i] for i in order): int(row[-1]) for row in rows}


def _cells(
    invited: Sequence[str],
    attribute: str,
    stored: Mapping[tuple[str, str], str],
    value_of: ValueOf,
    period: dt.date,
    k: int,
) -> dict[str, str]:
    """Invited person -> their cell of ``attribute`` for this pulse: their value when at
    least k of the invited share it, else "other"."""
    named = {}
    for user in invited:
        raw = stored.get((user, attribute))
        value = value_of(attribute, raw, period) if raw is not None else None
        named[user] = value or OTHER
    shared = Counter(named.values())
    return {u: v if shared[v] >= k else OTHER for u, v in named.items()}
