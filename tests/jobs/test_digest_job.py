"""The weekly digest job: due at HR's local day and time, posted once a week, caught up."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from freezegun import freeze_time
from matplotlib.image import imread
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine, func
from sqlmodel import select

from bot.messages import SlackMessages
from cli import demo_history
from figures import digest_ready
from figures.digest import build_digest, digest_window
from figures.digest_charts import heatmap_frame
from figures.org import org_view
from figures.pipeline import figures
from jobs import digest, kept_figures, sync
from sandbox.server import SandboxServer
from settings.config import AppConfig, PrivacyConfig
from settings.runtime import Settings
from storage.db import read_scope, session_scope
from storage.figure_store import kept_report
from storage.models import SentDigest
from storage.org import workspace_by_slack_id

MONDAY = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)  # a Monday; digest default: mon 09:00 UTC


def at(days: float, hours: float = 0) -> dt.datetime:
    return MONDAY + dt.timedelta(days=days, hours=hours)


def synced(engine: Engine, client: WebClient, settings: Settings, *, history: bool = False) -> int:
    """The sandbox company synced (and, with ``history``, its twelve weeks of pulses)."""
    with session_scope(engine) as s:
        sync.run(s, client, settings.config, at(-7))
        ws = workspace_by_slack_id(s, slack_team_id="T0SANDBOX")
        assert ws is not None and ws.id is not None
        if history:
            demo_history.seed(
                s,
                config=settings.config,
                bank=settings.bank,
                workspace_id=ws.id,
                slack_team_id="T0SANDBOX",
                secret=settings.secret(),
                now=MONDAY,
            )
        return ws.id


def hr(config: AppConfig, **changes: object) -> AppConfig:
    return config.model_copy(update={"hr": config.hr.model_copy(update=changes)})


@pytest.mark.parametrize(
    ("frozen", "day", "clock", "tz", "due"),
    [
        ("2026-11-23 08:59", "mon", "09:00", "UTC", None),
        ("2026-11-23 09:00", "mon", "09:00", "UTC", dt.date(2026, 11, 23)),
        ("2026-11-29 23:59", "mon", "09:00", "UTC", dt.date(2026, 11, 23)),  # Sunday: catch-up
        ("2026-11-22 23:59", "mon", "09:00", "Asia/Tokyo", None),  # 08:59 on Monday in Tokyo
        ("2026-11-23 00:00", "mon", "09:00", "Asia/Tokyo", dt.date(2026, 11, 23)),
        ("2026-11-23 13:59", "mon", "09:00", "America/New_York", None),  # 08:59 in New York
        ("2026-11-27 15:59", "fri", "17:00", "Europe/London", None),
        ("2026-11-27 17:00", "fri", "17:00", "Europe/London", dt.date(2026, 11, 23)),
        ("2026-03-30 07:59", "mon", "09:00", "Europe/London", None),  # BST began on 29 March
        ("2026-03-30 08:00", "mon", "09:00", "Europe/London", dt.date(2026, 3, 30)),
    ],
)
def test_the_digest_is_due_once_hr_local_day_and_time_has_passed(
    frozen: str, day: str, clock: str, tz: str, due: dt.date | None
) -> None:
    with freeze_time(frozen):
        now = dt.datetime.now(dt.UTC)
    assert digest.due_week(now, day=day, at=clock, tz=tz) == due


def test_posted_once_per_week_caught_up_after_downtime_never_for_a_missed_week(
    engine: Engine, sandbox: SandboxServer, client: WebClient, settings: Settings
) -> None:
    ws = synced(engine, client, settings)
    config = hr(settings.config, digest_time="09:00")

    def tick(now: dt.datetime) -> str:
        return digest.run(
            engine, client, messages=SlackMessages(), config=config, workspace_id=ws, now=now
        ).status

    assert tick(at(0, 8.9)) == "not_due"
    assert [tick(at(0, 9)), tick(at(0, 9.2)), tick(at(3))] == ["posted", *["already_sent"] * 2]
    # down from Sunday to Wednesday of the next week: caught up once on coming back
    assert [tick(at(9, 14)), tick(at(9, 14.2))] == ["posted", "already_sent"]
    # down for the whole week after: nothing late for it, then the week after's on time
    assert [tick(at(21, 8)), tick(at(21, 9)), tick(at(22))] == ["not_due", "posted", "already_sent"]

    posts = sandbox.workspace.messages("C0PEOPLE")
    assert len(posts) == 3 and all("HR digest" in p["text"] for p in posts)
    with session_scope(engine) as s:
        weeks = s.exec(select(SentDigest.period_start).order_by(SentDigest.period_start)).all()
    assert weeks == [at(0).date(), at(7).date(), at(21).date()]


def test_a_failed_post_is_retried_at_the_next_tick(
    engine: Engine, sandbox: SandboxServer, client: WebClient, settings: Settings
) -> None:
    ws = synced(engine, client, settings)
    sandbox.inject_fault("chat.postMessage", "error:internal_error", times=1)
    with pytest.raises(SlackApiError):
        digest.run(
            engine,
            client,
            messages=SlackMessages(),
            config=settings.config,
            workspace_id=ws,
            now=at(0, 10),
        )
    with session_scope(engine) as s:
        assert s.exec(select(func.count()).select_from(SentDigest)).one() == 0
    assert digest.run(
        engine,
        client,
        messages=SlackMessages(),
        config=settings.config,
        workspace_id=ws,
        now=at(0, 11),
    ).ts
    assert len(sandbox.workspace.messages("C0PEOPLE")) == 1


def with_k(config: AppConfig, k: int) -> AppConfig:
    return config.model_copy(update={"privacy": PrivacyConfig(min_group_size=k)})


def test_a_real_history_posts_charts_with_files_v2_and_hides_groups_below_k(
    engine: Engine,
    sandbox: SandboxServer,
    client: WebClient,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ws = synced(engine, client, settings, history=True)
    labels = digest.hr_labels(settings.config, settings.bank)
    secret, config = settings.segment_secret(), settings.config
    # the worker keeps the digest ready after Sunday's closes; Monday's post reads it kept
    kept = kept_figures.run(
        engine, config=config, workspace_id=ws, now=at(0, 1), secret=secret, driver_labels=labels
    )
    assert kept.reports >= 1
    with read_scope(engine) as s:
        built = build_digest(
            s, config=config, workspace_id=ws, now=at(0, 9), driver_labels=labels, secret=secret
        )
        # another segment key, other labels: other figures or texts, so built, not kept
        for other in ({"secret": b"another-key"}, {"driver_labels": {}}):
            asked = {"driver_labels": labels, "secret": secret, **other}
            named = digest_ready.token(s, config=config, workspace_id=ws, now=at(0, 9), **asked)  # type: ignore[arg-type]
            assert named is not None and kept_report(s, workspace_id=ws, token=named) is None
    with monkeypatch.context() as m:  # the kept body, not a build
        m.setattr(digest_ready, "build_digest", None)
        with read_scope(engine) as s:
            served = digest_ready.weekly_digest(
                s, config=config, workspace_id=ws, now=at(0, 9), driver_labels=labels, secret=secret
            )
        run = digest.run(
            engine,
            client,
            messages=SlackMessages(),
            config=config,
            workspace_id=ws,
            now=at(0, 9),
            driver_labels=labels,
            secret=secret,
        )
    assert built.org is not None and built.segments and served == built  # kept, as built
    say = SlackMessages()
    assert say.digest(digest=served) == say.digest(digest=built)
    assert run.status == "posted" and run.week == MONDAY.date() and len(run.files) == 2
    posted = {f["name"]: f["bytes"] for f in sandbox.workspace.files()}
    assert posted == {c.filename: c.png for c in built.charts}  # the same PNGs, byte for byte

    main = sandbox.workspace.messages("C0PEOPLE")[0]
    text = str(main["blocks"])
    assert "week of 16 Nov 2026" in text and "Engagement" in text and "EX ↔ CX" in text
    files = [f for f in sandbox.workspace.files() if f["channel_id"] == "C0PEOPLE"]
    assert sorted(f["name"] for f in files) == sorted(run.files)
    for file in files:
        image = imread(io.BytesIO(file["bytes"]), format="png")
        assert image.shape[1] in (800, 900) and image.shape[0] >= 250

    grids = {}
    with read_scope(engine) as s:
        for k in (5, 8):  # Onboarding has 7 people: never 8 answers in a week
            config = with_k(settings.config, k)
            window = digest_window(at(0, 9), config, 12)
            fig = figures(s, config=config, workspace_id=ws, window=window, closed_by=at(0, 9))
            org = org_view(fig, config=config)
            grids[k] = heatmap_frame(fig, org=org, config=config, labels={})
        nobody = build_digest(s, config=with_k(settings.config, 70), workspace_id=ws, now=at(0, 9))
    assert grids[5].notna().all().all() and grids[5].index[0] == "Customer Support"
    assert grids[8].loc["Onboarding"].isna().all() and grids[8].notna().any().any()
    assert nobody.org is None and nobody.charts == [] and not nobody.at_risk  # 70 > everyone
