"""APScheduler wiring for `pulse worker`: decides *when* each job runs, nothing else.

Every job is idempotent against the database, so a missed or repeated tick is harmless;
`coalesce` folds a backlog of missed ticks after downtime into one run. Delivery is not on
an interval: it drains the outbox and comes back two seconds after it finishes.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
from collections.abc import Callable

from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy import Engine

from jobs import (
    alerts,
    celebrate,
    closing,
    digest,
    kept_figures,
    pulses,
    relay,
    reminders,
    retention,
    sync,
)
from jobs.delivery import Sender
from jobs.messages import Messages
from settings.runtime import Settings
from settings.slack import make_client
from storage import outbox
from storage.db import read_scope, session_scope
from storage.org import workspace_by_slack_id

log = logging.getLogger("pulse.worker")
DELIVERY_PAUSE = dt.timedelta(seconds=2)  # between one drained outbox and the next look


def worker_id() -> str:
    """A name unique among live workers. Set PULSE_WORKER (or run on a host that sets
    DYNO) to a stable name, so a restarted worker takes back its own claims at once
    instead of waiting out their lease."""
    return (
        os.environ.get("PULSE_WORKER")
        or os.environ.get("DYNO")
        or (f"{socket.gethostname()}:{os.getpid()}")
    )


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def build_scheduler(
    settings: Settings,
    engine: Engine,
    *,
    messages: Messages,
    stop: threading.Event | None = None,
    refresh_home: relay.HomeRefresh | None = None,
) -> BlockingScheduler:
    """`stop` set (by SIGTERM) makes the sender hand back unstarted claims and return;
    `messages` renders what every job posts; `refresh_home` republishes the Home of a
    manager the relay sent replies to."""
    stop = stop or threading.Event()
    scheduler = BlockingScheduler(timezone=dt.UTC)
    client = make_client(settings)
    team_id = client.auth_test()["team_id"]
    worker = worker_id()
    with session_scope(engine) as s:
        outbox.reclaim_own(s, worker=worker, now=utc_now())
    sender = Sender.from_settings(settings, engine, worker=worker, messages=messages)

    def deliver() -> None:
        """Drain the outbox, then look again DELIVERY_PAUSE after finishing: a fixed delay,
        not an interval, since a fan-out paced at Slack's rate outlasts any interval (and a
        tick that finds the previous run still going is skipped with a warning)."""
        try:
            while not stop.is_set() and sender.run_once(stop):
                pass
        finally:
            if not stop.is_set():
                deliver_at(utc_now() + DELIVERY_PAUSE)

    def deliver_at(when: dt.datetime) -> None:
        scheduler.add_job(
            deliver,
            "date",
            id="deliver",
            run_date=when,
            replace_existing=True,
            misfire_grace_time=None,
        )

    def sync_teams() -> None:
        with session_scope(engine) as s:
            result = sync.run(s, client, settings.config, utc_now())
        log.info("teams synced: %s", result.teams)

    def plan() -> None:
        with session_scope(engine) as s:
            ws = workspace_by_slack_id(s, slack_team_id=team_id)
            if ws is None or ws.id is None:
                return
            opened = pulses.plan(
                s, config=settings.config, bank=settings.bank, workspace_id=ws.id, now=utc_now()
            )
        for pulse in opened:
            log.info(
                "opened pulse %s for %s (%s people)", pulse.pulse_id, pulse.team_key, pulse.invited
            )

    def remind() -> None:
        sent = reminders.run(
            engine,
            client,
            config=settings.config,
            secret=settings.secret(),
            now=utc_now(),
            messages=messages,
        )
        if sent:
            log.info("sent %s reminders", sent)

    def close() -> None:
        with session_scope(engine) as s:
            closed = closing.run(s, now=utc_now(), secret=settings.secret(), config=settings.config)
        if closed:
            log.info("closed pulses %s", closed)
            keep_figures_ready()  # before anyone asks for the week's figures
            alert()  # a closed week is final: its red flags go out now, not within the hour

    def workspace_id() -> int | None:
        with read_scope(engine) as s:
            ws = workspace_by_slack_id(s, slack_team_id=team_id)
            return None if ws is None else ws.id

    def keep_figures_ready() -> None:
        if (ws := workspace_id()) is not None:
            kept_figures.run(
                engine,
                config=settings.config,
                workspace_id=ws,
                now=utc_now(),
                secret=settings.segment_secret(),
                driver_labels=digest.hr_labels(settings.config, settings.bank),
            )

    def alert() -> None:
        if (ws := workspace_id()) is not None:
            config = settings.config
            sent = alerts.run(
                engine, client, config=config, workspace_id=ws, now=utc_now(), messages=messages
            )
            if sent:
                log.info("sent %s red-flag alerts", sent)

    def post_digest() -> None:
        if (ws := workspace_id()) is not None:
            digest.run(
                engine,
                client,
                config=settings.config,
                workspace_id=ws,
                now=utc_now(),
                messages=messages,
                driver_labels=digest.hr_labels(settings.config, settings.bank),
                secret=settings.segment_secret(),
            )

    start = utc_now()

    def fold_old_answers() -> None:
        folded = retention.run(engine, config=settings.config, now=utc_now())
        if folded:
            log.info("folded %s pulses past retention", len(folded))

    def celebrate_kept() -> None:
        if (ws := workspace_id()) is not None:
            with session_scope(engine) as s:
                posted = celebrate.run(
                    s,
                    client,
                    config=settings.config,
                    workspace_id=ws,
                    now=utc_now(),
                    messages=messages,
                )
            if posted:
                log.info("celebrated %s kept commitments", posted)

    def relay_replies() -> None:
        with session_scope(engine) as s:
            released = relay.run(s, client, utc_now(), messages=messages, refresh_home=refresh_home)
        if released:
            log.info("relayed %s conversation replies", released)

    jobs: list[tuple[Callable[[], None], str, dict[str, float]]] = [
        (sync_teams, "sync", {"hours": 6}),
        (plan, "plan", {"minutes": 5}),
        (remind, "remind", {"minutes": 5}),
        (close, "close", {"minutes": 1}),
        (keep_figures_ready, "figures", {"minutes": 10}),
        (alert, "alerts", {"hours": 1}),
        (post_digest, "digest", {"minutes": 10}),
        (fold_old_answers, "retention", {"hours": 6}),
        (relay_replies, "relay", {"minutes": 5}),
        (celebrate_kept, "celebrate", {"minutes": 10}),
    ]
    deliver_at(start + DELIVERY_PAUSE)
    for i, (func, name, every) in enumerate(jobs):
        scheduler.add_job(
            func,
            "interval",
            id=name,
            next_run_time=start + dt.timedelta(seconds=i),
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
            **every,
        )
    return scheduler
