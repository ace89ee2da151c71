"""Conversations: a manager opens a comment's thread and replies; the author answers from
their DM. Ack first, call one domain function (bot.conversations), one client call."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import conversations, home, ids
from bot.blocks.reply import message
from bot.context import Context
from storage.db import session_scope

log = logging.getLogger("pulse.conversations")


def _typed(view: dict[str, Any], block: str, action: str) -> dict[str, Any]:
    return dict(view["state"]["values"].get(block, {}).get(action, {}) or {})


def _reply(view: dict[str, Any]) -> str:
    return str(_typed(view, ids.CONVO_REPLY_BLOCK, ids.CONVO_REPLY).get("value") or "")


def _answer(ack: Ack, outcome: conversations.Outcome) -> None:
    if outcome.errors:
        ack(response_action="errors", errors=outcome.errors)
    else:
        ack(response_action="push" if outcome.push else "update", view=outcome.view)


def register(app: App, ctx: Context) -> None:
    def refresh_home(client: WebClient, body: dict[str, Any]) -> None:
        """The manager's inbox changed (read, replied): their Home shows it without a reopen."""
        with session_scope(ctx.engine) as session:
            home.refresh(
                session,
                client,
                config=ctx.settings.config,
                bank=ctx.settings.bank,
                secret=ctx.settings.secret(),
                slack_team_id=body["team"]["id"],
                user_id=body["user"]["id"],
                now=ctx.clock(),
            )

    @app.action(ids.CONVO_OPEN)
    def open_thread(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ack()
        with session_scope(ctx.engine) as session:
            view = conversations.open_thread(
                session,
                config=ctx.settings.config,
                slack_team_id=body["team"]["id"],
                user_id=body["user"]["id"],
                comment_id=str(body["actions"][0].get("value", "")),
            )
        if isinstance(view, str):
            respond(**message(view), replace_original=False)
        else:
            client.views_open(trigger_id=body["trigger_id"], view=view)
            refresh_home(client, body)

    @app.view(ids.CONVO_MODAL)
    def manager_save(
        ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient
    ) -> None:
        label = _typed(view, ids.CONVO_LABEL_BLOCK, ids.CONVO_LABEL).get("selected_option") or {}
        with session_scope(ctx.engine) as session:
            outcome = conversations.manager_save(
                session,
                config=ctx.settings.config,
                secret=ctx.settings.secret(),
                slack_team_id=body["team"]["id"],
                user_id=body["user"]["id"],
                comment_id=view.get("private_metadata", ""),
                reply=_reply(view),
                label=label.get("value"),
                now=ctx.clock(),
            )
        _answer(ack, outcome)
        if outcome.dm is not None:
            channel, dm = outcome.dm
            try:
                client.chat_postMessage(channel=channel, **dm)
            except SlackApiError as exc:  # the author left: the manager is told the same
                log.warning("conversation reply not delivered: %s", exc.response.get("error"))
        if not outcome.errors:
            refresh_home(client, body)

    @app.action(ids.CONVO_AUTHOR_OPEN)
    def author_open(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ack()
        with session_scope(ctx.engine) as session:
            form = conversations.author_form(
                session,
                secret=ctx.settings.secret(),
                slack_team_id=body["team"]["id"],
                user_id=body["user"]["id"],
                comment_id=str(body["actions"][0].get("value", "")),
            )
        if isinstance(form, str):
            respond(**message(form), replace_original=False)
        else:
            client.views_open(trigger_id=body["trigger_id"], view=form)

    @app.view(ids.CONVO_AUTHOR_MODAL)
    @app.view(ids.CONVO_REVEAL_MODAL)
    def author_save(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        confirming = view.get("callback_id") == ids.CONVO_REVEAL_MODAL
        sign = _typed(view, ids.CONVO_SIGN_BLOCK, ids.CONVO_SIGN).get("selected_option") or {}
        with session_scope(ctx.engine) as session:
            outcome = conversations.author_save(
                session,
                secret=ctx.settings.secret(),
                slack_team_id=body["team"]["id"],
                user_id=body["user"]["id"],
                comment_id=view.get("private_metadata", ""),
                reply=_reply(view),
                sign=confirming or sign.get("value") == "reveal",
                confirmed=confirming,
                now=ctx.clock(),
            )
        _answer(ack, outcome)
