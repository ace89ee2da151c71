"""Button clicks in the pulse DM, and the team picker under `/pulse report`."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot import ids
from bot.answering import answer_click, open_text_answer
from bot.blocks.pulse import closed_notice, not_yours_notice
from bot.context import Context
from bot.reporting import picked_report
from settings.i18n import current_language
from storage.db import read_scope, session_scope


def register(app: App, ctx: Context) -> None:
    @app.action(ids.ANSWER_PATTERN)
    def answer(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ack()
        with session_scope(ctx.engine) as session:
            outcome = answer_click(
                session,
                secret=ctx.settings.secret(),
                slack_team_id=body["team"]["id"],
                user_id=body["user"]["id"],
                raw_value=body["actions"][0].get("value", ""),
                now=ctx.clock(),
                k=ctx.k,
            )
        if outcome.status == "closed":
            respond(**closed_notice())
        elif outcome.status == "refused":
            respond(**not_yours_notice())
        elif outcome.message is not None:
            container = body["container"]
            client.chat_update(
                channel=container["channel_id"], ts=container["message_ts"], **outcome.message
            )

    @app.action(ids.TEXT_ANSWER)
    @app.action(ids.COMMENT)
    def write(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ack()
        container = body.get("container", {})
        with session_scope(ctx.engine) as session:
            outcome = open_text_answer(
                session,
                secret=ctx.settings.secret(),
                slack_team_id=body["team"]["id"],
                user_id=body["user"]["id"],
                raw_value=body["actions"][0].get("value", ""),
                channel_id=container.get("channel_id", ""),
                message_ts=container.get("message_ts", ""),
                now=ctx.clock(),
            )
        if outcome.status == "closed":
            respond(**closed_notice())
        elif outcome.status == "refused":
            respond(**not_yours_notice())
        elif outcome.message is not None:
            client.views_open(trigger_id=body["trigger_id"], view=outcome.message)

    @app.action(ids.REPORT_PICK_PATTERN)
    def pick_report(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        with read_scope(ctx.engine) as session:
            replies = picked_report(
                session,
                config=ctx.settings.config,
                slack_team_id=body["team"]["id"],
                user_id=body["user"]["id"],
                raw_value=body["actions"][0].get("value", ""),
                now=ctx.clock(),
                driver_labels={
                    k: d.label_in(current_language()) for k, d in ctx.settings.bank.drivers.items()
                },
            )
        for reply in replies:  # a response URL takes up to 5 replies
            respond(**reply)
