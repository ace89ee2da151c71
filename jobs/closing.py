"""Close pulses on time: answers stop counting, unsent DMs are abandoned, the pulse is sealed."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, col, update

from figures.segments import seal_stale
from settings.config import AppConfig
from storage import closed_dms, cocreate
from storage.models import Delivery
from storage.pulses import due_to_close
from storage.release import release_closed
from storage.seal import seal, seal_closed


def run(
    session: Session, *, now: dt.datetime, secret: bytes, config: AppConfig | None = None
) -> list[int]:
    """Close every pulse past its closing time; returns their ids.

    One transaction (the caller's): unsent DMs marked failed (they invited nobody), held
    answers released, then every closed pulse sealed (storage.seal), so a crash leaves each
    pulse open and unsealed, or closed and sealed. With ``config``, every sealed pulse's
    segment sums are (re)written too, when missing or stale (figures.segments).
    """
    closed = []
    for pulse in due_to_close(session, now=now):
        pulse.closed_at = now
        session.add(pulse)
        session.exec(
            update(Delivery)
            .where(
                col(Delivery.pulse_id) == pulse.id,
                col(Delivery.status).in_(["pending", "claimed"]),
            )
            .values(status="failed", error="pulse_closed", claimed_by=None)
        )
        if pulse.id is not None:
            closed.append(pulse.id)
    release_closed(session, secret=secret, now=now)  # held answers out, in random order
    for pulse_id in closed:
        seal(session, pulse_id=pulse_id, now=now)  # as closed: unsent DMs invited nobody
    seal_closed(session, now=now)  # pulses closed another way and not sealed yet
    if config is not None:
        seal_stale(session, config=config, secret=secret)  # its sums per segment value
    cocreate.seal_tallies(session)  # the team's choices: counts per option, kept for good
    closed_dms.enqueue(session, now=now)  # sent DMs of closed pulses: updated to show it
    return closed
