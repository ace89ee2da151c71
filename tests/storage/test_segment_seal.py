"""A pulse's sums per segment value are sealed at close, with small values as "other".

Answers go the production way (held while open, released and sealed by jobs.closing), and
the per-value sums must add up to the team's seal: a value is a cut of the team, never a
figure of its own.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine
from sqlmodel import col, select, update

from jobs import closing
from settings.config import AppConfig, parse_config
from storage.db import session_scope
from storage.held import hold_answer
from storage.models import Delivery, ResponseRollup, SegmentCount, SegmentRollup, SegmentSeal
from storage.people import set_values
from storage.pseudonym import Respondent
from storage.pulses import pulse_view
from tests import factories
from tests.factories import NOW, WORKSPACE

SECRET = b"segment-seal-secret-segment-seal"
CLOSES = NOW + dt.timedelta(hours=72)


def _config(k: int = 5, bands: list[int] | None = None) -> AppConfig:
    return parse_config(
        {
            "privacy": {"min_group_size": k},
            "segments": [
                {"key": "layer", "name": "Layer", "values": ["frontline", "support"]},
                {"key": "tenure", "name": "Tenure", "bands": bands or [12, 36]},
            ],
        }
    )


def answered(
    engine: Engine,
    *,
    layers: list[str | None],
    scores: list[int],
    started: list[str] | None = None,
) -> dict[str, int]:
    """A team of len(layers) people with these layers (and start months), a pulse sent to
    all, answered while open by the first len(scores) (wellbeing as given, eNPS 9)."""
    people = len(layers)
    ids = factories.org(engine, people=people)
    with session_scope(engine) as s:
        values: dict[str, dict[str, str | None]] = {}
        for i in range(people):
            values[f"U{i:04d}"] = {"layer": layers[i]}
            if started:
                values[f"U{i:04d}"]["tenure"] = started[i]
        set_values(s, workspace_id=ids["workspace"], values=values)
    pulse_id = factories.pulse(engine, ids, keys=["wellbeing.energy", "enps.recommend"])
    with session_scope(engine) as s:
        s.exec(update(Delivery).where(col(Delivery.pulse_id) == pulse_id).values(status="sent"))
        questions = pulse_view(s, pulse_id=pulse_id).questions  # type: ignore[union-attr]
        for i, score in enumerate(scores):
            who = Respondent(SECRET, workspace=WORKSPACE, user_id=f"U{i:04d}", pulse_id=pulse_id)
            for q in questions:
                value = score if q.kind == "likert5" else 9
                hold_answer(s, respondent=who, question_id=q.id or 0, value=value)
    return {**ids, "pulse": pulse_id}


def _world(engine: Engine) -> tuple[dict[str, int], int]:
    """12 invited: 7 frontline, 3 support, 2 with no layer; 10 answer (the first ten)."""
    ids = answered(
        engine,
        layers=["frontline"] * 7 + ["support"] * 3 + [None, None],
        scores=[5] * 7 + [2] * 3,
        started=["2026-01"] * 6 + ["2020-03"] * 6,
    )
    return ids, ids["pulse"]


def close(engine: Engine, config: AppConfig, now: dt.datetime = CLOSES) -> None:
    with session_scope(engine) as s:
        closing.run(s, now=now, secret=SECRET, config=config)


def test_small_values_are_sealed_as_other_and_the_cells_add_up_to_the_team(
    engine: Engine,
) -> None:
    _, pulse_id = _world(engine)
    close(engine, _config())
    with session_scope(engine) as s:
        counts = {
            (c.attribute, c.value): (c.invited, c.respondents)
            for c in s.exec(select(SegmentCount).where(SegmentCount.pulse_id == pulse_id))
        }
        sums = s.exec(select(SegmentRollup).where(SegmentRollup.pulse_id == pulse_id)).all()
        team = s.exec(select(ResponseRollup).where(ResponseRollup.pulse_id == pulse_id)).all()
    # support (3 invited) is fewer than k: it is sealed with the two without a layer
    assert counts == {
        ("layer", "frontline"): (7, 7),
        ("layer", "other"): (5, 3),
        ("tenure", "0-12m"): (6, 6),
        ("tenure", "36m+"): (6, 4),
    }
    frontline = [r for r in sums if r.value == "frontline"]
    assert {(r.n, r.total // r.n) for r in frontline} == {(7, 5), (7, 9)}
    for attribute in ("layer", "tenure"):
        for question in team:
            cells = [
                r
                for r in sums
                if r.attribute == attribute and r.question_id == question.question_id
            ]
            assert sum(r.n for r in cells) == question.n
            assert sum(r.total for r in cells) == question.total
            assert sum(r.total_sq for r in cells) == question.total_sq


def test_the_seal_follows_the_config_and_sealing_again_changes_nothing(engine: Engine) -> None:
    _, pulse_id = _world(engine)
    close(engine, _config())
    with session_scope(engine) as s:
        first = sorted(
            (c.attribute, c.value, c.invited, c.respondents)
            for c in s.exec(select(SegmentCount).where(SegmentCount.pulse_id == pulse_id))
        )
    close(engine, _config(), CLOSES + dt.timedelta(hours=1))
    with session_scope(engine) as s:
        again = sorted(
            (c.attribute, c.value, c.invited, c.respondents)
            for c in s.exec(select(SegmentCount).where(SegmentCount.pulse_id == pulse_id))
        )
    assert again == first
    close(engine, _config(k=8), CLOSES + dt.timedelta(hours=2))  # k up: frontline (7) too small
    with session_scope(engine) as s:
        layers = {
            c.value: c.invited
            for c in s.exec(
                select(SegmentCount).where(
                    SegmentCount.pulse_id == pulse_id, SegmentCount.attribute == "layer"
                )
            )
        }
        seals = s.exec(select(SegmentSeal)).all()
    assert layers == {"other": 12}
    assert len(seals) == 1
