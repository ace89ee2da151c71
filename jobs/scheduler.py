"""APScheduler wiring for `pulse worker`: decides *when* each job runs, nothing else."""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket

from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy import Engine

from bot.settings import Settings
from bot.slack import make_client
from jobs import sync
from jobs.delivery import Sender
from storage.db import session_scope

log = logging.getLogger("pulse.worker")


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def build_scheduler(settings: Settings, engine: Engine) -> BlockingScheduler:
    scheduler = BlockingScheduler(timezone=dt.UTC)
    sender = Sender(
        engine,
        make_client(settings, retries=False),
        worker=worker_id(),
        k=settings.config.privacy.min_group_size,
    )
    client = make_client(settings)

    def deliver() -> None:
        while sender.run_once():
            pass

    def sync_teams() -> None:
        with session_scope(engine) as s:
            result = sync.run(s, client, settings.config, dt.datetime.now(dt.UTC))
        log.info("teams synced: %s", result.teams)

    scheduler.add_job(deliver, "interval", seconds=2, id="deliver", max_instances=1, coalesce=True)
    scheduler.add_job(
        sync_teams,
        "interval",
        hours=6,
        id="sync",
        next_run_time=dt.datetime.now(dt.UTC),
        max_instances=1,
        coalesce=True,
    )
    return scheduler
