"""A co-created commitment: button in the report → modal → the team chooses in its next pulse."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot import ids
from bot.blocks.reply import message
from bot.cocreate import proposal_form, save_proposal
from bot.context import Context
from settings.i18n import tr
from storage.db import session_scope


def register(app: App, ctx: Context) -> None:
    @app.action(ids.COCREATE_OPEN)
    def open_form(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ack()
        form = proposal_form(
            config=ctx.settings.config,
            bank=ctx.settings.bank,
            user_id=body["user"]["id"],
            team_key=str(body["actions"][0].get("value", "")),
        )
        if form is None:
            respond(**message(tr("Only this team's managers and HR can propose commitments.")))
        else:
            client.views_open(trigger_id=body["trigger_id"], view=form)

    @app.view(ids.COCREATE_MODAL)
    def submit(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        values = view["state"]["values"]
        driver = values.get(ids.COMMIT_DRIVER_BLOCK, {}).get(ids.COMMIT_DRIVER, {})
        options = [
            str(block.get(ids.COCREATE_OPTION, {}).get("value") or "")
            for block_id, block in sorted(values.items())
            if block_id.startswith(f"{ids.COCREATE_OPTION}:")
        ]
        with session_scope(ctx.engine) as session:
            errors, saved = save_proposal(
                session,
                config=ctx.settings.config,
                bank=ctx.settings.bank,
                slack_team_id=body["team"]["id"],
                user_id=body["user"]["id"],
                team_key=view.get("private_metadata", ""),
                driver=(driver.get("selected_option") or {}).get("value"),
                options=options,
                now=ctx.clock(),
            )
        if errors:
            ack(response_action="errors", errors=errors)
        else:
            ack(response_action="update", view=saved)
