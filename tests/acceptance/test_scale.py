"""Past one machine (issue 7): two web processes and three senders on one PostgreSQL.

Real processes, as an operator scales them: two `python -m bot` on different ports answer
signed clicks while three `pulse worker --send-only` workers send a 5,000-person pulse at
the workspace's rate ceiling. People answer as their DM arrives, alternately through
either web process. Nobody gets two DMs or none, and every acknowledged answer is stored
with the value clicked.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import pytest
from sqlalchemy import func
from sqlmodel import col, select

from bench.fanout import start_worker, tally, worker_env
from bench.load import Click, Unsigned
from bench.world import Served, World, dm_locations, serve_pulse, wait_healthy, world
from sandbox.sender import SlackSender
from storage import outbox
from storage.db import session_scope
from storage.models import Delivery
from tests.conftest import PG_URL

pytestmark = [pytest.mark.postgres, pytest.mark.acceptance]
PEOPLE = 3000
CEILING = 600  # chat.postMessage per second, shared by the three workers
ANSWER_EVERY = 5  # one person in five answers (600 answers), as soon as their DM lands


@pytest.fixture(scope="module")
def pg_world() -> Iterator[World]:
    if not PG_URL:
        pytest.skip("TEST_DATABASE_URL not set: PostgreSQL tests skipped")
    with world(PG_URL, people=PEOPLE, deliver=False) as w:
        yield w


def _answer(
    slack: SlackSender, w: World, user: str, where: tuple[str, str], n: int
) -> tuple[Click, int]:
    """Press one answer button of `user`'s DM (question and value vary with `n`); returns
    the click and the status Slack got back."""
    message = w.sandbox.workspace.message(*where)
    rows = [b["elements"] for b in message["blocks"] if b["type"] == "actions"]
    row = rows[n % len(rows)]
    button = row[n % len(row)]
    reply = slack.click(user, message, action_id=button["action_id"], value=button["value"])
    _, question_id, value = (int(p) for p in button["value"].split(":"))
    request = Unsigned(reply.request_body, reply.content_type)
    return Click(user, question_id, value, request), reply.status


def test_two_web_processes_and_three_workers_on_postgresql(pg_world: World) -> None:
    w = pg_world
    ws = w.sandbox.workspace
    w.sandbox.set_rate_limit("chat.postMessage", CEILING)
    webs: list[Served] = []
    workers = []
    try:
        for i in (1, 2):  # started together, then both waited for
            webs.append(serve_pulse(w, w.tmp / f"web{i}.log", ready=False, WEB_CONCURRENCY="1"))
        for web in webs:
            wait_healthy(web)
        senders = [SlackSender(web.events_url, w.signing_secret, w.sandbox) for web in webs]
        env = worker_env(w.sandbox, w.url, w.tmp, rate=CEILING // 3, threads=8)
        started = time.monotonic()
        workers = [start_worker(env, f"scale.{i}") for i in (1, 2, 3)]

        answering = {u for i, u in enumerate(w.users) if i % ANSWER_EVERY == 0}
        futures: dict[str, Future[tuple[Click, int]]] = {}
        during_fanout = 0  # answers sent while DMs were still going out
        with ThreadPoolExecutor(12) as pool:
            while len(futures) < len(answering):
                assert time.monotonic() - started < 90, f"{len(futures)} answered in 90 s"
                sent = dm_locations(w.engine, w.pulse_id)
                for user, where in sent.items():
                    if user in answering and user not in futures:
                        n = len(futures)
                        futures[user] = pool.submit(_answer, senders[n % 2], w, user, where, n)
                        during_fanout += len(sent) < PEOPLE
                time.sleep(0.2)
            answered = [f.result() for f in futures.values()]
        assert [p.wait(timeout=60) for p in workers] == [0, 0, 0]
        assert [status for _, status in answered] == [200] * len(answered)
        clicks = [click for click, _ in answered]
        expected = w.expected_answers(clicks)
        deadline = time.monotonic() + 30
        while (stored := w.stored_answers()) != expected and time.monotonic() < deadline:
            time.sleep(0.2)
        logs = [web.log() for web in webs]
    finally:
        for web in webs:
            web.stop()
        for proc in workers:
            if proc.poll() is None:
                proc.kill()
                proc.wait()

    assert tally(ws, w.users, w.pulse_id) == (0, 0)  # no duplicate DM, nobody missed
    with session_scope(w.engine) as s:
        assert outbox.status_counts(s, pulse_id=w.pulse_id) == {"sent": PEOPLE}
        per_worker = dict(
            s.exec(
                select(Delivery.claimed_by, func.count()).group_by(col(Delivery.claimed_by))
            ).all()
        )
    assert len(per_worker) == 3 and sum(per_worker.values()) == PEOPLE  # all three sent
    assert stored == expected and len(stored) == PEOPLE // ANSWER_EVERY  # every answer, once
    assert during_fanout > len(answered) // 2  # most answers came in while DMs went out
    for log in logs:  # both web processes answered, without an error
        assert log.count('"path": "/slack/events"') >= len(clicks) // 2 - 1
        assert '"level": "error"' not in log
