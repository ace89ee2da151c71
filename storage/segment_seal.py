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
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence

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
    stored: dict[tuple[str, str], str] = {}
    for user, attribute, value in session.exec(
        select(PersonSegment.slack_user_id, PersonSegment.attribute, PersonSegment.value).where(
            PersonSegment.workspace_id == pulse.workspace_id,
            col(PersonSegment.slack_user_id).in_(invited),
        )
    ):
        stored[user, attribute] = value
    keys = {
        respondent_key(secret, workspace=workspace, user_id=u, pulse_id=pulse_id): u
        for u in invited
    }
    answers = session.exec(
        select(Response.respondent, Response.question_id, Response.value).where(
            Response.pulse_id == pulse_id
        )
    ).all()
    session.exec(delete(SegmentCount).where(col(SegmentCount.pulse_id) == pulse_id))
    session.exec(delete(SegmentRollup).where(col(SegmentRollup.pulse_id) == pulse_id))
    counts, sums = [], []
    for attribute in attributes:
        cell = _cells(invited, attribute, stored, value_of, pulse.period_start, k)
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
            if len(people[value]) < k or row[0] < k:
                continue  # a cell's question answered by fewer than k: no sums either
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
    session.exec(delete(SegmentSeal).where(col(SegmentSeal.pulse_id) == pulse_id))
    session.add(SegmentSeal(pulse_id=pulse_id, sealed_at=pulse.sealed_at, spec=spec))
    session.flush()


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
