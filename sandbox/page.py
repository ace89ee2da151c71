"""`GET /`: the sandbox workspace as one person sees it in Slack.

`?as=U…` picks the person; `&view=` is `messages` (their DM with the bot, the
default), `home` (the App Home tab) or a channel id the bot posted in. Ephemeral
messages appear where that person received them, an open modal on top. Rendered
server-side; `static/page.js` only posts actions and swaps in fresh regions.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from html import escape
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlencode
from zoneinfo import ZoneInfo

from sandbox.web import blocks
from sandbox.web.blocks import Context
from sandbox.web.mrkdwn import mrkdwn

if TYPE_CHECKING:
    from sandbox.contracts import Sandbox
    from sandbox.workspace import Workspace

_IMAGES = ("image/png", "image/jpeg", "image/gif")


def render_page(server: Sandbox, query: str = "") -> str:
    """The whole page for `?as=…&view=…`; unknown values fall back to the defaults."""
    ws, params = server.workspace, {k: v[-1] for k, v in parse_qs(query).items()}
    people = [u for u in ws.all_users() if not u["is_bot"] and u["id"] != ws.bot_user_id]
    me = next((u for u in people if u["id"] == params.get("as")), None) or _default(ws, people)
    if me is None:
        return _document(ws.team_name, "", "<main class='pane'>No people in this workspace.</main>")
    channels = _channels(ws, me["id"])
    view = params.get("view", "messages")
    view = view if view in ("messages", "home", *channels) else "messages"
    names = {u["id"]: u["real_name"] for u in ws.all_users()} | channels
    live = server.app is not None or bool(server.socket_mode.connections())
    ctx = Context(names=names, live=live)
    bot = ws.user(ws.bot_user_id)["real_name"]
    if view == "home":
        home = [v for v in ws.views(me["id"]) if v["type"] == "home"]
        pane = _home(home[-1] if home else None, bot, ctx)
    else:
        channel = view if view in channels else (ws.dm_id(me["id"]) if ws.has_dm(me["id"]) else "")
        pane = _conversation(ws, channel, me, bot, ctx)
    modals = [v for v in ws.views(me["id"]) if v["type"] == "modal"]
    modal = _modal(server, server.client_state.open_modal(modals), ctx)
    title = bot if view in ("messages", "home") else f"# {channels[view]}"
    body = f"""
<div class='app'>
 <aside class='sidebar'>
  <div class='team'>{escape(ws.team_name)}</div>
  {_picker(people, me["id"], view)}
  <nav data-region='nav'>{_nav(me["id"], view, bot, channels)}</nav>
  <div class='conn'>{_connection(server)}</div>
 </aside>
 <main class='main'>
  <header class='head'><h1>{escape(title)}</h1>{_tabs(me["id"], view)}</header>
  <section class='pane' data-region='pane'>{pane}</section>
  {"" if view == "home" else _composer(view, bot, ctx.live)}
 </main>
</div>
{modal}<div id='toast' role='status' hidden></div>"""
    attrs = f" data-as='{escape(me['id'])}' data-view='{escape(view)}' data-live='{int(ctx.live)}'"
    return _document(ws.team_name, attrs, body)


def _document(team: str, attrs: str, body: str) -> str:
    title = escape(f"{team} — sandbox Slack")
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{title}</title>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        "<link rel='stylesheet' href='/_sandbox/static/page.css'>"
        "<script src='/_sandbox/static/page.js' defer></script>"
        f"</head><body{attrs}>{body}</body></html>"
    )


def _default(ws: Workspace, people: list[dict]) -> dict | None:
    """The first person the bot has messaged, else the first person."""
    with_dm = [u for u in people if ws.dm_messages(u["id"])]
    return next(iter(with_dm or people), None)


def _channels(ws: Workspace, user_id: str) -> dict[str, str]:
    """Channels (not DMs) the bot posted in or where this person got an ephemeral."""
    ids = [m["channel"] for m in ws.messages()] + [e["channel"] for e in ws.ephemerals(user_id)]
    return {c: ws.channel_name(c) for c in dict.fromkeys(ids) if ws.dm_user(c) is None}


def _href(user_id: str, view: str) -> str:
    return escape("?" + urlencode({"as": user_id, "view": view}))


def _picker(people: list[dict], me: str, view: str) -> str:
    options = []
    for user in people:
        label = f"{user['real_name']} · {user['id']}" + (
            " (deactivated)" if user["deleted"] else ""
        )
        chosen = " selected" if user["id"] == me else ""
        options.append(f"<option value='{escape(user['id'])}'{chosen}>{escape(label)}</option>")
    return (
        "<form class='picker' method='get'><label for='as'>Viewing as</label>"
        f"<select id='as' name='as' data-nav>{''.join(options)}</select>"
        f"<input type='hidden' name='view' value='{escape(view)}'>"
        "<noscript><button>Go</button></noscript></form>"
    )


def _nav(me: str, view: str, bot: str, channels: dict[str, str]) -> str:
    def item(target: str, label: str, current: bool) -> str:
        css = " class='current'" if current else ""
        return f"<a{css} href='{_href(me, target)}'>{escape(label)}</a>"

    apps = item("messages", f"● {bot}", view in ("messages", "home"))
    rooms = "".join(item(c, f"# {n}", view == c) for c, n in channels.items())
    rooms = rooms or "<span class='none'>The bot has posted in no channel yet.</span>"
    return f"<h2>Apps</h2>{apps}<h2>Channels</h2>{rooms}"


def _connection(server: Sandbox) -> str:
    if server.app is None and server.socket_mode.connections():
        return "Connected app: <code>Socket Mode</code> (over its WebSocket)"
    if server.app is None:
        return (
            "<b>Read-only</b>: no app connected, so buttons and commands are off. "
            "Connect one with <code>POST /_sandbox/connect_app</code> "
            '<code>{"app_url", "signing_secret"}</code>.'
        )
    return f"Connected app: <code>{escape(server.app.url)}</code>"


def _tabs(me: str, view: str) -> str:
    if view not in ("messages", "home"):
        return ""
    links = []
    for key, label in (("home", "Home"), ("messages", "Messages")):
        css = " class='current'" if key == view else ""
        links.append(f"<a href='{_href(me, key)}'{css}>{label}</a>")
    return f"<nav class='tabs'>{''.join(links)}</nav>"


def _composer(channel_view: str, bot: str, live: bool) -> str:
    where = "" if channel_view == "messages" else channel_view
    off = "" if live else " disabled"
    hint = f"Type /pulse … to {bot} and press Enter" if live else "Read-only: no app connected"
    return (
        f"<form class='composer' data-act='command' data-channel='{escape(where)}'>"
        f"<input name='command' autocomplete='off' placeholder='{escape(hint)}'{off}></form>"
    )


def _home(view: dict | None, bot: str, ctx: Context) -> str:
    if view is None:
        return f"<p class='empty'>{escape(bot)} has not published a Home tab for you yet.</p>"
    inner = blocks.render(view.get("blocks"), ctx)
    return (
        f"<div class='home' data-surface='view' data-view-id='{escape(view['id'])}'>{inner}</div>"
    )


def _conversation(ws: Workspace, channel: str, me: dict, bot: str, ctx: Context) -> str:
    """Messages and this person's ephemerals in `channel`, oldest first."""
    items = ws.messages(channel) if channel else []
    items += [e for e in ws.ephemerals(me["id"]) if e["channel"] == channel and channel]
    items.sort(key=lambda m: float(m["ts"]))
    if not items:
        return f"<p class='empty'>No messages from {escape(bot)} yet.</p>"
    files = {f["id"]: f for f in ws.files()}
    tz = ZoneInfo(me.get("tz") or "UTC")
    return "".join(_message(m, bot, tz, files, ctx) for m in items)


def _message(message: dict, bot: str, tz: ZoneInfo, files: dict[str, dict], ctx: Context) -> str:
    when = datetime.fromtimestamp(float(message["ts"]), tz)
    meta = f"<b>{escape(bot)}</b><span class='tag'>APP</span>"
    meta += f"<time title='{when.isoformat(timespec='seconds')}'>{when:%H:%M}</time>"
    if message.get("updates"):
        meta += "<span class='edited'>(edited)</span>"
    if message.get("thread_ts") and message["thread_ts"] != message["ts"]:
        meta += "<span class='edited'>↳ reply in thread</span>"
    ephemeral = bool(message.get("ephemeral"))
    note = "<div class='only-you'>👁 Only visible to you</div>" if ephemeral else ""
    content = blocks.render(message.get("blocks"), ctx)
    if not content and message.get("text"):
        content = f"<div class='bk-text'>{mrkdwn(message['text'], ctx.names)}</div>"
    content += "".join(_file(f, files.get(f.get("id", ""), {})) for f in message.get("files", []))
    attrs = f"data-channel='{escape(message['channel'])}' data-ts='{escape(message['ts'])}'"
    return (
        f"<article class='msg{' ephemeral' if ephemeral else ''}' data-surface='message' {attrs}"
        f" data-ephemeral='{int(ephemeral)}'><div class='avatar'>O₂</div>"
        f"<div class='msg-body'><div class='meta'>{meta}</div>{note}{content}</div></article>"
    )


def _file(shared: dict, stored: dict) -> str:
    url = escape(f"/_sandbox/files/{shared.get('id', '')}")
    title = escape(str(shared.get("title") or shared.get("name") or "file"))
    if stored.get("mimetype") in _IMAGES:
        return f"<figure class='file'><figcaption>{title}</figcaption><img src='{url}' alt='{title}'></figure>"  # noqa: E501
    size = f" · {stored['size']:,} bytes" if stored.get("size") else ""
    return f"<a class='file' href='{url}' download>📎 {title}{size}</a>"


def _modal(server: Sandbox, view: dict | None, ctx: Context) -> str:
    """The open modal over everything, keyed so page.js swaps it only when it changed."""
    if view is None:
        return "<div data-region='modal' data-key=''></div>"
    drafts, errors = server.client_state.modal_state(view["id"])
    ctx = Context(names=ctx.names, live=ctx.live, drafts=drafts, errors=errors)
    inner = blocks.render(view.get("blocks"), ctx)
    key = hashlib.sha1(f"{view['id']}{view['hash']}{inner}".encode()).hexdigest()[:12]
    title = blocks.text(view.get("title"), ctx)
    close = blocks.text(view.get("close"), ctx) or "Cancel"
    submit = blocks.text(view.get("submit"), ctx)
    off = "" if ctx.live else " disabled"
    submit_html = (
        f"<button type='submit' class='bk-btn primary'{off}>{submit}</button>" if submit else ""
    )
    return (
        f"<div data-region='modal' data-key='{key}'><div class='backdrop'>"
        f"<form class='modal' data-surface='view' data-view-id='{escape(view['id'])}'>"
        f"<header><span>{title}</span><button type='button' class='x' data-act='close' "
        f"aria-label='Close'>×</button></header><div class='modal-body'>{inner}</div>"
        f"<footer><button type='button' class='bk-btn' data-act='close'>{close}</button>"
        f"{submit_html}</footer></form></div></div>"
    )
