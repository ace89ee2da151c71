"""`GET /`: a plain, readable HTML page of every conversation in the sandbox.

Deliberately simple: section/mrkdwn text as escaped text, buttons as [labels].
"""

from __future__ import annotations

from html import escape

from sandbox.workspace import Workspace

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:52rem;margin:2rem auto;color:#1d1c1d}"
    ".msg{border-left:3px solid #ddd;margin:.6rem 0;padding:.2rem .8rem;white-space:pre-wrap}"
    ".ts{color:#888;font-size:.8em}.btn{color:#1264a3}"
)


def render_page(workspace: Workspace) -> str:
    """The whole page: one section per channel or DM, messages in post order."""
    by_channel: dict[str, list[dict]] = {}
    for message in workspace.messages():
        by_channel.setdefault(message["channel"], []).append(message)
    sections = [_conversation(workspace, channel, msgs) for channel, msgs in by_channel.items()]
    body = "\n".join(sections) or "<p>No messages yet.</p>"
    title = escape(f"{workspace.team_name} — sandbox Slack")
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title>"
        f"<style>{_STYLE}</style></head><body><h1>{title}</h1>\n{body}\n</body></html>"
    )


def _conversation(workspace: Workspace, channel: str, messages: list[dict]) -> str:
    user_id = workspace.dm_user(channel)
    if user_id is not None:
        name = workspace.user(user_id)["real_name"]
        heading = f"DM with {escape(name)} ({escape(user_id)})"
    else:
        heading = f"#{escape(workspace.channel_name(channel))} ({escape(channel)})"
    items = "\n".join(_message(m) for m in messages)
    return f"<section><h2>{heading}</h2>\n{items}</section>"


def _message(message: dict) -> str:
    lines = [_block_text(b) for b in message.get("blocks") or []]
    text = "\n".join(line for line in lines if line) or escape(message.get("text") or "")
    files = "".join(f"\n📎 {escape(f['title'])}" for f in message.get("files", []))
    edited = " (edited)" if message.get("updates") else ""
    stamp = f"<span class='ts'>{escape(message['ts'])}{edited}</span>"
    return f"<div class='msg'>{stamp}\n{text}{files}</div>"


def _text(obj: object) -> str:
    return escape(obj.get("text", "")) if isinstance(obj, dict) else ""


def _button(element: object) -> str:
    if isinstance(element, dict) and element.get("type") == "button":
        return f"<span class='btn'>[{_text(element.get('text'))}]</span>"
    return ""


def _block_text(block: dict) -> str:
    kind = block.get("type")
    if kind in ("section", "header"):
        parts = [_text(block.get("text"))] + [_text(f) for f in block.get("fields") or []]
        parts.append(_button(block.get("accessory")))
        return "\n".join(p for p in parts if p)
    if kind == "context":
        return " ".join(_text(e) for e in block.get("elements") or [])
    if kind == "actions":
        return " ".join(_button(e) for e in block.get("elements") or [])
    if kind == "divider":
        return "<hr>"
    return ""
