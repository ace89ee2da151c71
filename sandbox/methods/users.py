"""`auth.test`, `users.*` and `usergroups.users.list`: who the bot is and who is there."""

from __future__ import annotations

import copy
import time

from sandbox.errors import ApiError
from sandbox.methods.base import Call, method, paginate


@method("auth.test")
def auth_test(call: Call) -> dict:
    ws = call.workspace
    return {
        "url": f"https://{ws.team_domain}.slack.com/",
        "team": ws.team_name,
        "user": ws.user(ws.bot_user_id)["name"],
        "team_id": ws.team_id,
        "user_id": ws.bot_user_id,
        "bot_id": ws.bot_id,
        "is_enterprise_install": False,
    }


@method("users.list", "users:read")
def users_list(call: Call) -> dict:
    """Every member, bots and deactivated users included, as Slack lists them."""
    page, next_cursor = paginate(call, call.workspace.all_users(), default_limit=200)
    if not call.flag("include_locale"):
        page = [_without_locale(user) for user in page]
    return {
        "members": page,
        "cache_ts": int(time.time()),
        "response_metadata": {"next_cursor": next_cursor},
    }


@method("users.info", "users:read")
def users_info(call: Call) -> dict:
    ws = call.workspace
    with ws.lock:
        user = copy.deepcopy(ws.user(call.require("user", "user_not_found")))
    return {"user": user if call.flag("include_locale") else _without_locale(user)}


def _without_locale(user: dict) -> dict:
    """Slack leaves `locale` out unless the caller asks with `include_locale=true`."""
    return {k: v for k, v in user.items() if k != "locale"}


@method("usergroups.users.list", "usergroups:read")
def usergroup_users(call: Call) -> dict:
    usergroup = call.require("usergroup", "no_such_subteam")
    return {"users": call.workspace.usergroup_members(usergroup)}


@method("users.lookupByEmail")
def users_lookup_by_email(call: Call) -> dict:
    email = call.require("email", "users_not_found").strip().lower()
    for user in call.workspace.all_users():
        if str(user.get("profile", {}).get("email") or "").lower() == email:
            return {"user": user}
    raise ApiError("users_not_found")


@method("users.profile.get")
def users_profile_get(call: Call) -> dict:
    """A member's profile, custom fields included (users.list leaves those out)."""
    ws = call.workspace
    with ws.lock:
        user = ws.user(call.require("user", "user_not_found"))
        return {"profile": copy.deepcopy(user.get("profile", {}))}
