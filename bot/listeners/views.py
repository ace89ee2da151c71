"""Modal submissions."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot import ids
from bot.answering import save_text_answer
from bot.context import Context
from storage.db import session_scope


def register(app: App, ctx: Context) -> None:
    @app.view(ids.TEXT_MODAL)
    def written_answer(
        ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient
    ) -> None:
        state = view["state"]["values"].get(ids.TEXT_BLOCK, {}).get(ids.TEXT_INPUT, {})
        with session_scope(ctx.engine) as session:
            outcome = save_text_answer(
                session,
                secret=ctx.settings.secret(),
                slack_team_id=body["team"]["id"],
                user_id=body["user"]["id"],
                private_metadata=view.get("private_metadata", ""),
                text=state.get("value") or "",
                now=ctx.clock(),
                k=ctx.k,
            )
        if outcome.status == "invalid":
            ack(response_action="errors", errors={ids.TEXT_BLOCK: outcome.error or ""})
            return
        ack()
        if outcome.message is not None and outcome.channel_id and outcome.message_ts:
            client.chat_update(channel=outcome.channel_id, ts=outcome.message_ts, **outcome.message)
