"""A pulse's sums per segment value are sealed at close, with small values as "other", and
nothing stored of a cell fewer than k answered.

Answers go the production way (held while open, released and sealed by jobs.closing), and
a value's sums are a part of the team's seal, never a figure of its own.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine
from sqlmodel import col, select, update

from bot.mydata import erase_answers
from figures.segments import spec as segment_spec
from jobs import closing
from settings.config import AppConfig, parse_config
from storage.db import session_scope
from storage.held import hold_answer
from storage.models import Delivery, ResponseRollup, SegmentCount, SegmentRollup, SegmentSeal
from storage.people import set_values
from storage.pseudonym import Respondent
from storage.pulses import pulse_view
from storage.segment_seal import open_atoms
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


def test_small_values_are_sealed_as_other_and_cells_fewer_than_k_answered_are_not_stored(
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
        sealed = s.exec(select(SegmentSeal.atoms).where(SegmentSeal.pulse_id == pulse_id)).one()
    # the atoms (respondents by their stored cells of both attributes at once) are there
    # for the guard's audit, opened only with PULSE_SECRET: a database copy shows bytes
    assert sealed and b"frontline" not in sealed and len(sealed) % 512 == 12 + 16
    opened = open_atoms(SECRET, pulse_id=pulse_id, sealed=sealed, attributes=["layer", "tenure"])
    assert opened == {("frontline", "0-12m"): 6, ("frontline", ""): 1, ("", ""): 3}
    assert (
        open_atoms(
            b"another-secret-another-secret",
            pulse_id=pulse_id,
            sealed=sealed,
            attributes=["layer", "tenure"],
        )
        is None
    )
    assert (
        open_atoms(SECRET, pulse_id=pulse_id + 1, sealed=sealed, attributes=["layer", "tenure"])
        is None
    )
    # support (3 invited) is fewer than k: sealed with the two without a layer as "other",
    # which 3 answered: fewer than k, so "other" is not stored; nor 36m+ (4 answered)
    assert counts == {("layer", "frontline"): (7, 7), ("tenure", "0-12m"): (6, 6)}
    frontline = [r for r in sums if r.value == "frontline"]
    assert {(r.n, r.total // r.n) for r in frontline} == {(7, 5), (7, 9)}
    assert {(r.attribute, r.value) for r in sums} == set(counts)
    assert all(r.n >= 5 for r in sums)
    for question in team:  # a value's sums are a part of the team's, never more
        cells = [r for r in sums if r.question_id == question.question_id]
        for attribute in ("layer", "tenure"):
            assert sum(r.n for r in cells if r.attribute == attribute) <= question.n


def test_a_database_reader_finds_no_cell_of_one_person(engine: Engine) -> None:
    """The review's first repro: 6 frontline, 5 support, 1 with no layer, all answer: the one
    person's "other" cell is not stored (it was: invited 1, respondents 1, their answers)."""
    pulse_id = answered(
        engine, layers=["frontline"] * 6 + ["support"] * 5 + [None], scores=[4] * 12
    )["pulse"]
    close(engine, _config())
    with session_scope(engine) as s:
        counts = s.exec(select(SegmentCount).where(SegmentCount.pulse_id == pulse_id)).all()
        sums = s.exec(select(SegmentRollup).where(SegmentRollup.pulse_id == pulse_id)).all()
    layer = {c.value: (c.invited, c.respondents) for c in counts if c.attribute == "layer"}
    assert layer == {"frontline": (6, 6), "support": (5, 5)}
    assert "other" not in {r.value for r in sums if r.attribute == "layer"}


def test_one_respondent_shared_by_two_attributes_is_not_stored(engine: Engine) -> None:
    """The review's second: every value has 5 invited people, and the one frontline
    respondent is the one 0-12m respondent: intersecting the two cells in person_segment
    would name them and read their answers, so neither cell is stored."""
    # 10 invited: 5 frontline (started 2026-01: 0-12m), 5 support (2020-03: 36m+); the
    # respondents: one frontline person, and five support people
    ids = answered(
        engine,
        layers=["support"] * 5 + ["frontline"] * 5,
        scores=[3] * 6,
        started=["2020-03"] * 5 + ["2026-01"] * 5,
    )
    close(engine, _config())
    with session_scope(engine) as s:
        counts = s.exec(select(SegmentCount).where(SegmentCount.pulse_id == ids["pulse"])).all()
        sums = s.exec(select(SegmentRollup).where(SegmentRollup.pulse_id == ids["pulse"])).all()
    stored = {(c.attribute, c.value) for c in counts}
    assert stored == {("layer", "support"), ("tenure", "36m+")}
    assert {(r.attribute, r.value) for r in sums} == stored
    assert all(r.n == 5 for r in sums)


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
    assert layers == {"other": 12}  # 10 of them answered
    assert len(seals) == 1


def test_a_later_import_does_not_recut_a_sealed_pulse_even_when_it_is_sealed_again(
    engine: Engine,
) -> None:
    """Past pulses keep the values of their time: three frontline people move to support
    after the pulse closed, then a new tenure band makes every pulse be sealed again. The
    week is still cut as it was (frontline 7): by today's values its frontline would be 4
    (not stored) and its support 6, and the old figure minus the new one would be the three
    movers' answers."""
    ids, pulse_id = _world(engine)
    close(engine, _config())
    with session_scope(engine) as s:
        moved: dict[str, dict[str, str | None]] = {
            f"U{i:04d}": {"layer": "support"} for i in range(3)
        }
        set_values(s, workspace_id=ids["workspace"], values=moved)
    close(engine, _config(bands=[12, 48]), CLOSES + dt.timedelta(hours=1))
    with session_scope(engine) as s:
        layers = {
            c.value: (c.invited, c.respondents)
            for c in s.exec(
                select(SegmentCount).where(
                    SegmentCount.pulse_id == pulse_id, SegmentCount.attribute == "layer"
                )
            )
        }
        spec = s.exec(select(SegmentSeal.spec)).one()
    assert spec == segment_spec(_config(bands=[12, 48]))  # sealed again, under the new config
    assert layers == {"frontline": (7, 7)}


def test_a_week_someone_erased_keeps_no_cell_when_it_is_sealed_again(engine: Engine) -> None:
    """A frontline respondent erases their data after the close (their answers stay in the
    figures, under a code nobody's key gives); a new tenure band then seals every pulse
    again. Re-cut, the frontline cell would lose exactly one respondent, and the old cell
    minus the new one would be that person's answers: the week keeps no cell instead."""
    _, pulse_id = _world(engine)
    close(engine, _config())
    with session_scope(engine) as s:
        before = s.exec(select(SegmentCount).where(SegmentCount.pulse_id == pulse_id)).all()
        assert before  # frontline 7 stored at the close
        erased = erase_answers(s, secret=SECRET, slack_team_id=WORKSPACE, user_id="U0000")
        assert erased.unlinked > 0
    close(engine, _config(bands=[12, 48]), CLOSES + dt.timedelta(hours=1))
    with session_scope(engine) as s:
        assert s.exec(select(SegmentSeal.spec)).one() == segment_spec(_config(bands=[12, 48]))
        assert not s.exec(select(SegmentCount).where(SegmentCount.pulse_id == pulse_id)).all()
        assert not s.exec(select(SegmentRollup).where(SegmentRollup.pulse_id == pulse_id)).all()


def test_a_question_some_of_a_cell_skipped_keeps_no_sums(engine: Engine) -> None:
    """The review's case: a driver figure counting fewer people than its cell could be
    combined across attributes into fewer than k people's answers, though the cell itself
    is audited. Seven frontline people answer, one skips the wellbeing question: the
    frontline cell keeps its count and its eNPS sums (all seven), and no wellbeing sums."""
    ids = answered(engine, layers=["frontline"] * 7, scores=[4] * 6)
    pulse_id = ids["pulse"]
    with session_scope(engine) as s:
        questions = pulse_view(s, pulse_id=pulse_id).questions  # type: ignore[union-attr]
        skipper = Respondent(SECRET, workspace=WORKSPACE, user_id="U0006", pulse_id=pulse_id)
        for q in questions:
            if q.kind != "likert5":  # answers eNPS only
                hold_answer(s, respondent=skipper, question_id=q.id or 0, value=9)
    close(engine, _config())
    with session_scope(engine) as s:
        (cell,) = s.exec(
            select(SegmentCount).where(
                SegmentCount.pulse_id == pulse_id, SegmentCount.attribute == "layer"
            )
        ).all()
        sums = s.exec(
            select(SegmentRollup).where(
                SegmentRollup.pulse_id == pulse_id, SegmentRollup.attribute == "layer"
            )
        ).all()
    assert (cell.value, cell.respondents) == ("frontline", 7)
    assert [r.n for r in sums] == [7]  # eNPS only: wellbeing's 6 answers are not kept
