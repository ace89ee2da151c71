"""The bodies Slack sends to an app, built from sandbox state: pure, no HTTP.

Shapes follow Slack's reference for slash commands, `block_actions`,
`view_submission` and Events API `event_callback` envelopes.
"""

from __future__ import annotations

import time
from typing import Any

from sandbox.workspace import Workspace

VERIFICATION_TOKEN = "sandbox-verification-token"  # the legacy `token` field Slack still sends


class NoSuchButton(LookupError):
    """A test tried to press a button the bot never rendered."""


class NoSuchInput(LookupError):
    """A test tried to fill an input the modal does not have."""


def user_ref(ws: Workspace, user_id: str) -> dict:
    name = ws.user(user_id)["name"]
    return {"id": user_id, "username": name, "name": name, "team_id": ws.team_id}


def team_ref(ws: Workspace) -> dict:
    return {"id": ws.team_id, "domain": ws.team_domain}


def slash_command(ws: Workspace, user_id: str, text: str, **fields: str) -> dict[str, str]:
    """Form fields of a slash command; `fields` gives command, channel_id, urls, trigger."""
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": ws.team_id,
        "team_domain": ws.team_domain,
        "channel_id": fields["channel_id"],
        "channel_name": ws.channel_name(fields["channel_id"]),
        "user_id": user_id,
        "user_name": ws.user(user_id)["name"],
        "command": fields["command"],
        "text": text,
        "api_app_id": ws.app_id,
        "is_enterprise_install": "false",
        "response_url": fields["response_url"],
        "trigger_id": fields["trigger_id"],
    }


def find_button(blocks: list, action_id: str, value: str | None, where: str) -> tuple[str, dict]:
    """(block_id, button) for the button with `action_id` (and `value`), or NoSuchButton."""
    available = []
    for block in blocks:
        elements = list(block.get("elements") or []) if block.get("type") == "actions" else []
        if isinstance(block.get("accessory"), dict):
            elements.append(block["accessory"])
        for element in elements:
            if element.get("type") != "button":
                continue
            available.append((element.get("action_id"), element.get("value")))
            if element.get("action_id") == action_id and value in (None, element.get("value")):
                return block["block_id"], element
    wanted = f"action_id={action_id!r}" + ("" if value is None else f", value={value!r}")
    raise NoSuchButton(f"no button with {wanted} in {where}; buttons there: {available}")


def find_option(blocks: list, action_id: str, value: str, where: str) -> tuple[str, dict, dict]:
    """(block_id, select menu, option) for the static select `action_id`'s option `value`."""
    for block in blocks:
        menu = block.get("accessory")
        if not isinstance(menu, dict) or menu.get("type") != "static_select":
            continue
        if menu.get("action_id") == action_id:
            for option in menu.get("options", []):
                if option.get("value") == value:
                    return block["block_id"], menu, option
    raise NoSuchButton(f"no select {action_id!r} with option {value!r} in {where}")


def selection(block_id: str, menu: dict, option: dict) -> dict:
    """The action Slack sends when a person picks `option` in a static select."""
    return {
        "action_id": menu["action_id"],
        "block_id": block_id,
        "type": "static_select",
        "selected_option": option,
        "initial_option": menu.get("initial_option"),
        "action_ts": f"{time.time():.6f}",
    }


def action(block_id: str, button: dict) -> dict:
    return {
        "action_id": button["action_id"],
        "block_id": block_id,
        "text": button.get("text", {"type": "plain_text", "text": ""}),
        "value": button.get("value"),
        "type": "button",
        "action_ts": f"{time.time():.6f}",
    }


def block_actions(ws: Workspace, user_id: str, **parts: Any) -> dict:
    """A `block_actions` payload; `parts` are container, actions, trigger_id and the
    surface-specific keys (channel, message, response_url, state — or view)."""
    return {
        "type": "block_actions",
        "user": user_ref(ws, user_id),
        "api_app_id": ws.app_id,
        "token": VERIFICATION_TOKEN,
        "team": team_ref(ws),
        "enterprise": None,
        "is_enterprise_install": False,
        **parts,
    }


def check_inputs(view: dict, values: dict) -> None:
    """Every block_id/action_id in `values` must be an input element of `view`."""
    inputs = {
        block.get("block_id"): (block.get("element") or {}).get("action_id")
        for block in view.get("blocks", [])
        if block.get("type") == "input"
    }
    for block_id, actions in values.items():
        for action_id in actions:
            if inputs.get(block_id) != action_id:
                raise NoSuchInput(
                    f"view {view.get('id')} has no input {block_id}/{action_id}; inputs: {inputs}"
                )


def view_submission(ws: Workspace, user_id: str, view: dict, values: dict, trigger: str) -> dict:
    submitted = {**view, "state": {"values": values}}
    return {
        "type": "view_submission",
        "team": team_ref(ws),
        "user": user_ref(ws, user_id),
        "api_app_id": ws.app_id,
        "token": VERIFICATION_TOKEN,
        "trigger_id": trigger,
        "view": submitted,
        "response_urls": [],
        "enterprise": None,
        "is_enterprise_install": False,
    }


def event_callback(ws: Workspace, event: dict, event_id: str) -> dict:
    """The Events API envelope around one event."""
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": ws.team_id,
        "api_app_id": ws.app_id,
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": int(time.time()),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": ws.team_id,
                "user_id": ws.bot_user_id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
    }
