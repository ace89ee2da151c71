"""Events API listeners: the App Home tab and its controls."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import home, ids, preferences
from bot.blocks.inbox import ALL, filter_modal
from bot.context import Context
from bot.home import build_home
from bot.inbox import GENERAL, Filter
from bot.reader import reader_locale
from insights.tone import TONES
from settings.i18n import current_language, tr, using
from storage.db import read_scope, session_scope

log = logging.getLogger("pulse.home")


def register(app: App, ctx: Context) -> None:
    def labels() -> dict[str, str]:
        """The bank's driver names in the reader's language (topics of the inbox)."""
        lang = current_language()
        return {key: d.label_in(lang) for key, d in ctx.settings.bank.drivers.items()}

    def publish(client: WebClient, team_id: str, user_id: str, inbox_filter: str = "") -> None:
        with read_scope(ctx.engine) as session:
            view = build_home(
                session,
                config=ctx.settings.config,
                secret=ctx.settings.secret(),
                slack_team_id=team_id,
                user_id=user_id,
                now=ctx.clock(),
                upload=home.slack_upload(client, workspace=team_id),
                driver_labels=labels(),
                inbox_filter=inbox_filter,
            )
        try:
            home.publish(client, user_id=user_id, view=view)
        except SlackApiError as exc:  # e.g. a forged or departed user: nothing to show
            log.warning("home not published: %s", exc.response.get("error"))

    @app.event("app_home_opened")
    def home_opened(event: dict[str, Any], body: dict[str, Any], client: WebClient) -> None:
        user = event.get("user")
        if user and event.get("tab", "home") == "home":
            publish(client, body["team_id"], user)

    @app.action(ids.HOME_DELETE_COMMENT)
    def delete_comment(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        with session_scope(ctx.engine) as session:
            home.delete_comment(
                session,
                secret=ctx.settings.secret(),
                slack_team_id=team_id,
                user_id=user_id,
                raw_pulse_id=str(body["actions"][0].get("value", "")),
            )
        publish(client, team_id, user_id)

    @app.action(ids.HOME_LANGUAGE)
    def pick_language(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        choice = (body["actions"][0].get("selected_option") or {}).get("value", "")
        with session_scope(ctx.engine) as session:
            home.set_language(session, slack_team_id=team_id, user_id=user_id, choice=choice)
        with using(lambda: reader_locale(ctx.engine, slack_team_id=team_id, user_id=user_id)):
            publish(client, team_id, user_id)

    @app.action(ids.HOME_PAUSE)
    @app.action(ids.HOME_RESUME)
    @app.action(ids.HOME_OPTOUT)
    @app.action(ids.HOME_OPTIN)
    def home_control(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        action = body["actions"][0]["action_id"]
        with session_scope(ctx.engine) as session:
            if action == ids.HOME_PAUSE:
                preferences.pause(
                    session,
                    slack_team_id=team_id,
                    user_id=user_id,
                    text="2w",
                    today=ctx.clock().date(),
                )
            elif action == ids.HOME_RESUME:
                preferences.resume(session, slack_team_id=team_id, user_id=user_id)
            else:
                preferences.set_opt_out(
                    session, slack_team_id=team_id, user_id=user_id, out=action == ids.HOME_OPTOUT
                )
        publish(client, team_id, user_id)

    @app.action(ids.INBOX_FILTER_OPEN)
    def open_filter(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        wanted = Filter.parse(str(body["actions"][0].get("value", "")))
        topics = [(GENERAL, tr("General comments")), *labels().items()]
        view = filter_modal(drivers=topics, driver=wanted.driver, tone=wanted.tone)
        client.views_open(trigger_id=body["trigger_id"], view=view)

    @app.view(ids.INBOX_FILTER_MODAL)
    def apply_filter(
        ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient
    ) -> None:
        ack()
        values = view["state"]["values"]
        picked = [
            (values.get(block, {}).get(action, {}).get("selected_option") or {}).get("value")
            for block, action in (
                (ids.INBOX_DRIVER_BLOCK, ids.INBOX_DRIVER),
                (ids.INBOX_TONE_BLOCK, ids.INBOX_TONE),
            )
        ]
        driver, tone = (None if v in (None, ALL) else str(v) for v in picked)
        wanted = Filter(
            driver if driver in (GENERAL, *ctx.settings.bank.drivers) else None,
            tone if tone in TONES else None,
        )
        publish(client, body["team"]["id"], body["user"]["id"], wanted.value())

    @app.event(re.compile(".*"))
    def acknowledge_others() -> None:
        """Events we don't act on (messages, mentions...) are acknowledged so Slack won't retry."""
