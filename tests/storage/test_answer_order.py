"""A copy of the database does not tell who answered when (issue 12): while a pulse is open
nothing readable is stored, and after the close the rows' physical order (SQLite rowid,
PostgreSQL ctid and xmin, a plain SELECT) does not follow the order people answered in.

48 people answer a 4-question pulse, one after the other, each answer in its own
transaction: 192 rows. The first four people click through bot.answering (the path of a
Slack click, ~35 ms a click here); the others are stored by the function it stores with,
storage.held.hold_answer, to keep the test fast. For a random order, |Spearman ρ| ≥ 0.3
over 192 rows has probability about 4e-5 (ρ·√(n−1) is close to a standard normal), so the
bound does not flake.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from scipy.stats import spearmanr
from sqlalchemy import Engine, text
from sqlmodel import SQLModel

from bot import ids
from bot.answering import answer_click, save_text_answer
from jobs import closing
from storage.comments import write
from storage.db import session_scope
from storage.held import hold_answer
from storage.pseudonym import Respondent, comment_key, respondent_key
from storage.pulses import pulse_view
from storage.responses import pulse_aggregate
from tests import factories
from tests.factories import NOW, WORKSPACE

SECRET = b"order-test-secret-order-test-secret"
PEOPLE = 48
CLICKING = 4
KEYS = ["wellbeing.energy", "tools.what_i_need", "workload.manageable", "enps.recommend"]
MAX_RHO = 0.3


def _user(i: int) -> str:
    return f"U{i:04d}"


def _answer_everyone(engine: Engine) -> tuple[int, dict[tuple[str, int], int], list[str]]:
    """Each person answers all four questions in turn; every other one also comments.
    Returns the pulse, the answering order by (final pseudonym, question), and comments."""
    org = factories.org(engine, people=PEOPLE)
    pulse_id = factories.pulse(engine, org, keys=KEYS)
    with session_scope(engine) as s:
        questions = [q.id or 0 for q in pulse_view(s, pulse_id=pulse_id).questions]
    order: dict[tuple[str, int], int] = {}
    comments = []
    for i in range(PEOPLE):
        key = respondent_key(SECRET, workspace=WORKSPACE, user_id=_user(i), pulse_id=pulse_id)
        now = NOW + dt.timedelta(minutes=i)
        who = Respondent(SECRET, workspace=WORKSPACE, user_id=_user(i), pulse_id=pulse_id)
        for qid in questions:
            value = 1 + (i + qid) % 5
            order[key, qid] = len(order)
            with session_scope(engine) as s:
                if i >= CLICKING:
                    hold_answer(s, respondent=who, question_id=qid, value=value)
                    continue
                outcome = answer_click(
                    s,
                    secret=SECRET,
                    slack_team_id=WORKSPACE,
                    user_id=_user(i),
                    raw_value=ids.answer_value(pulse_id, qid, value),
                    now=now,
                    k=5,
                )
            assert outcome.status == "recorded"
        if i % 2 == 0:
            comments.append(f"zebra comment number {i} from the order test")
            with session_scope(engine) as s:
                if i >= CLICKING:
                    write(s, respondent=who, question_id=None, body=comments[-1])
                    continue
                saved = save_text_answer(
                    s,
                    secret=SECRET,
                    slack_team_id=WORKSPACE,
                    user_id=_user(i),
                    private_metadata=f"{pulse_id}:{ids.COMMENT_QUESTION}:D1:1.0",
                    text=comments[-1],
                    now=now,
                    k=5,
                )
            assert saved.status == "recorded"
    return pulse_id, order, comments


def _every_cell(engine: Engine) -> str:
    """Every value of every table, as text (bytes as hex and as Latin-1)."""
    cells = []
    with engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            for row in conn.execute(table.select()):
                for v in row:
                    cells.append(v.hex() + v.decode("latin-1") if isinstance(v, bytes) else str(v))
    return "\n".join(cells)


def _rho(physical: list[tuple[str, int]], order: dict[tuple[str, int], int]) -> float:
    assert sorted(physical) == sorted(order)  # every answer is there once, nothing else
    rho = spearmanr(range(len(physical)), [order[row] for row in physical]).statistic
    return abs(float(rho))


def test_nothing_readable_while_open_and_no_order_after_close(engine: Engine) -> None:
    pulse_id, order, comments = _answer_everyone(engine)
    pseudonyms = {key for key, _ in order}
    comment_keys = {
        comment_key(SECRET, workspace=WORKSPACE, user_id=_user(i), pulse_id=pulse_id)
        for i in range(PEOPLE)
    }
    with session_scope(engine) as s:
        assert pulse_aggregate(s, pulse_id=pulse_id).respondents == PEOPLE  # "so far" works

    # While open: no table holds a final key, a comment, or an answer in clear.
    dump = _every_cell(engine)
    assert not [k for k in pseudonyms | comment_keys if k in dump]
    assert not [c for c in comments if c in dump]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM response")).scalar() == 0
        assert conn.execute(text("SELECT count(*) FROM comment")).scalar() == 0
        sizes = conn.execute(text("SELECT kind, length(sealed) FROM held")).all()
    assert {kind: {n for k, n in sizes if k == kind} for kind, _ in sizes} == {
        "answer": {156},  # 12-byte nonce + 128 + 16-byte tag, whatever the value
        "text": {8476},  # whatever the length of the comment
        "person": {0},
    }
    if engine.dialect.name == "sqlite":  # held rows lie in (random) slot order, no rowid
        with engine.connect() as conn:
            ddl = conn.execute(text("SELECT sql FROM sqlite_master WHERE name = 'held'")).scalar()
            slots = [s for (s,) in conn.execute(text("SELECT slot FROM held"))]
        assert "WITHOUT ROWID" in str(ddl) and slots == sorted(slots)
    if engine.dialect.name == "sqlite":  # not even in the file's free pages or the WAL
        db = Path(engine.url.database or "")
        raw = b"".join(p.read_bytes() for p in (db, Path(f"{db}-wal")) if p.exists())
        assert not [k for k in pseudonyms | comment_keys if k.encode() in raw]
        assert not [c for c in comments if c.encode() in raw]

    with session_scope(engine) as s:
        assert closing.run(s, now=NOW + dt.timedelta(hours=73), secret=SECRET) == [pulse_id]
    with session_scope(engine) as s:  # a retry moves nothing twice
        assert closing.run(s, now=NOW + dt.timedelta(hours=74), secret=SECRET) == []

    # After close: every answer once, in an order unrelated to the answering order.
    with engine.connect() as conn:
        plain = conn.execute(text("SELECT respondent, question_id FROM response")).all()
        orders = {"plain SELECT": plain}
        if engine.dialect.name == "sqlite":
            orders["rowid"] = conn.execute(
                text("SELECT respondent, question_id FROM response ORDER BY rowid")
            ).all()
        else:
            orders["ctid"] = conn.execute(
                text("SELECT respondent, question_id FROM response ORDER BY ctid")
            ).all()
            xmins = conn.execute(
                text("SELECT xmin::text FROM response UNION SELECT xmin::text FROM comment")
            ).all()
            assert len(xmins) == 1  # one transaction id for all: time order is gone
        stored = conn.execute(text("SELECT respondent, body FROM comment")).all()
        assert conn.execute(text("SELECT count(*) FROM held")).scalar() == 0
    for name, rows in orders.items():
        rho = _rho([(r, q) for r, q in rows], order)
        assert rho < MAX_RHO, f"{name}: |rho| = {rho:.2f}"
    assert sorted(body for _, body in stored) == sorted(comments)
    assert {key for key, _ in stored} <= comment_keys  # comments under their own key ...
    assert not {key for key, _ in stored} & pseudonyms  # ... never their author's answer key
