"""Buttons under `/pulse my-data`: download everything, or delete answers and comments."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot import ids, mydata
from bot.blocks.mydata import erased_text
from bot.context import Context
from settings.i18n import tr
from storage.db import session_scope


def register(app: App, ctx: Context) -> None:
    @app.action(ids.MYDATA_DOWNLOAD)
    def download(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ack()
        user_id = body["user"]["id"]
        with session_scope(ctx.engine) as session:
            record = mydata.collect(
                session,
                secret=ctx.settings.secret(),
                slack_team_id=body["team"]["id"],
                user_id=user_id,
            )
        channel = client.conversations_open(users=user_id)["channel"]["id"]
        client.files_upload_v2(
            channel=channel,
            filename="oxygen-pulse-my-data.json",
            title=tr("Everything Oxygen Pulse stores about you"),
            content=json.dumps(record, indent=2, ensure_ascii=False),
            initial_comment=tr(
                "Everything Oxygen Pulse stores about you. Only you can see this DM."
            ),
        )
        respond(
            text=tr("Sent to your DM with Oxygen Pulse."),
            response_type="ephemeral",
            replace_original=False,
        )

    @app.action(ids.MYDATA_ERASE)
    def erase(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        with session_scope(ctx.engine) as session:
            erased = mydata.erase_answers(
                session,
                secret=ctx.settings.secret(),
                slack_team_id=body["team"]["id"],
                user_id=body["user"]["id"],
            )
        respond(
            text=erased_text(deleted=erased.deleted, unlinked=erased.unlinked),
            response_type="ephemeral",
            replace_original=True,
        )
