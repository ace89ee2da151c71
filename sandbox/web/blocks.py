"""Block Kit as HTML that a Slack user would recognise; every string from the app escaped.

Interactive elements carry `data-*` attributes (action id, value, block id, confirm
dialog) that `static/page.js` turns into `POST /_sandbox/act`; the enclosing
surface (message or view) is named by the caller's wrapper, not here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from html import escape
from typing import Any

from sandbox.web.mrkdwn import mrkdwn, plain


@dataclass(frozen=True)
class Context:
    """What rendering needs beyond the blocks: names for mentions, whether controls are
    live (an app is connected), and a modal's drafts and errors by block id."""

    names: Mapping[str, str] = field(default_factory=dict)
    live: bool = False
    drafts: Mapping[str, str] = field(default_factory=dict)
    errors: Mapping[str, str] = field(default_factory=dict)


def text(obj: Any, ctx: Context) -> str:
    """A text object (mrkdwn or plain_text) as HTML; anything else as nothing."""
    if not isinstance(obj, dict):
        return ""
    if obj.get("type") == "mrkdwn":
        return mrkdwn(str(obj.get("text", "")), ctx.names)
    return plain(str(obj.get("text", "")), emoji=obj.get("emoji", True) is not False)


def _raw(obj: Any) -> str:
    return str(obj.get("text", "")) if isinstance(obj, dict) else ""


def render(blocks: list[Any] | None, ctx: Context) -> str:
    return "".join(_block(b, ctx) for b in blocks or [] if isinstance(b, dict))


def _block(block: dict, ctx: Context) -> str:
    kind, bid = block.get("type"), escape(str(block.get("block_id", "")))
    if kind == "header":
        return f"<div class='bk-header'>{text(block.get('text'), ctx)}</div>"
    if kind == "divider":
        return "<hr class='bk-divider'>"
    if kind == "section":
        body = f"<div class='bk-text'>{text(block.get('text'), ctx)}</div>"
        fields = "".join(f"<div>{text(f, ctx)}</div>" for f in block.get("fields") or [])
        if fields:
            body += f"<div class='bk-fields'>{fields}</div>"
        accessory = block.get("accessory")
        side = element(accessory, bid, ctx) if isinstance(accessory, dict) else ""
        side = f"<div class='bk-accessory'>{side}</div>" if side else ""
        return f"<div class='bk-section' data-block-id='{bid}'><div>{body}</div>{side}</div>"
    if kind == "context":
        parts = [_context_part(e, ctx) for e in block.get("elements") or []]
        return f"<div class='bk-context'>{''.join(parts)}</div>"
    if kind == "actions":
        parts = [element(e, bid, ctx) for e in block.get("elements") or []]
        return f"<div class='bk-actions' data-block-id='{bid}'>{''.join(parts)}</div>"
    if kind == "image":
        title = text(block.get("title"), ctx)
        caption = f"<figcaption>{title}</figcaption>" if title else ""
        return f"<figure class='bk-image'>{caption}{_img(block, 'bk-img')}</figure>"
    if kind == "input":
        return _input(block, bid, ctx)
    return f"<div class='bk-unknown'>[{escape(str(kind))} block]</div>"


def _context_part(part: Any, ctx: Context) -> str:
    if isinstance(part, dict) and part.get("type") == "image":
        return _img(part, "bk-ctx-img")
    return f"<span>{text(part, ctx)}</span>"


def _img(obj: dict, css: str) -> str:
    """An image from `image_url`, or a `slack_file` the sandbox holds (served by id)."""
    source = obj.get("slack_file") or {}
    url = str(obj.get("image_url") or source.get("url") or "")
    if source.get("id"):
        url = f"/_sandbox/files/{source['id']}"
    if not url.startswith(("http://", "https://", "/_sandbox/files/")):
        return f"<span class='bk-unknown'>[image: {escape(str(obj.get('alt_text', '')))}]</span>"
    alt = escape(str(obj.get("alt_text", "")))
    return f"<img class='{css}' src='{escape(url)}' alt='{alt}' title='{alt}'>"


def element(el: dict, block_id: str, ctx: Context) -> str:
    """An interactive element in a section, actions block or input (by its `type`)."""
    kind = el.get("type")
    off = "" if ctx.live else " disabled title='No app connected: read-only'"
    data = f"data-action-id='{escape(str(el.get('action_id', '')))}' data-block-id='{block_id}'"
    if kind == "button":
        style = el.get("style") if el.get("style") in ("primary", "danger") else "default"
        data += f" data-value='{escape(str(el.get('value', '')))}'"
        if isinstance(el.get("confirm"), dict):
            data += f" data-confirm='{escape(json.dumps(_confirm(el['confirm'])))}'"
        if str(el.get("url", "")).startswith(("http://", "https://")):
            data += f" data-url='{escape(el['url'])}'"
        label = text(el.get("text"), ctx)
        return f"<button type='button' class='bk-btn {style}' data-act='click' {data}{off}>{label}</button>"  # noqa: E501
    if kind in ("static_select", "overflow"):  # shown; the sandbox sends no select actions
        return _select(el, data, " disabled title='Menus outside modals are display-only'", ctx)
    if kind == "image":
        return _img(el, "bk-thumb")
    return f"<span class='bk-unknown'>[{escape(str(kind))}]</span>"


def _confirm(dialog: dict) -> dict[str, str]:
    """Plain strings for the JS confirm(): Slack's dialog title, text and button labels."""
    parts = {k: _raw(dialog.get(k)) for k in ("title", "text", "confirm", "deny")}
    return {k: v for k, v in parts.items() if v}


def _options(el: dict) -> list[dict]:
    groups = el.get("option_groups") or []
    return list(el.get("options") or []) + [o for g in groups for o in g.get("options") or []]


def _select(el: dict, attrs: str, off: str, ctx: Context, chosen: str | None = None) -> str:
    initial = el.get("initial_option") or {}
    chosen = chosen if chosen is not None else initial.get("value")
    hint = "⋯" if el.get("type") == "overflow" else _raw(el.get("placeholder")) or "Select…"
    items = [f"<option value='' disabled{'' if chosen else ' selected'}>{escape(hint)}</option>"]
    for option in _options(el):
        value = str(option.get("value", ""))
        picked = " selected" if value == chosen else ""
        label = plain(_raw(option.get("text")))
        items.append(f"<option value='{escape(value)}'{picked}>{label}</option>")
    return f"<select class='bk-select' {attrs}{off}>{''.join(items)}</select>"


def _input(block: dict, bid: str, ctx: Context) -> str:
    """An input block of a modal: label, element (text or select), hint and app error."""
    el = block.get("element") or {}
    raw_bid = str(block.get("block_id", ""))
    draft = ctx.drafts.get(raw_bid)
    attrs = f"data-input='{bid}' data-action-id='{escape(str(el.get('action_id', '')))}'"
    if el.get("type") == "plain_text_input":
        value = escape(draft if draft is not None else str(el.get("initial_value", "")))
        limit = f" maxlength='{int(el['max_length'])}'" if el.get("max_length") else ""
        attrs += f"{limit} placeholder='{escape(_raw(el.get('placeholder')))}'"
        if el.get("multiline"):
            field_html = f"<textarea class='bk-field' rows='4' {attrs}>{value}</textarea>"
        else:
            field_html = f"<input class='bk-field' type='text' {attrs} value='{value}'>"
    elif el.get("type") == "static_select":
        field_html = _select(el, attrs, "", ctx, chosen=draft)
    else:
        field_html = f"<span class='bk-unknown'>[{escape(str(el.get('type')))}]</span>"
    optional = " <span class='bk-optional'>(optional)</span>" if block.get("optional") else ""
    label = f"<label class='bk-label'>{text(block.get('label'), ctx)}{optional}</label>"
    hint = text(block.get("hint"), ctx)
    hint = f"<div class='bk-hint'>{hint}</div>" if hint else ""
    error = ctx.errors.get(raw_bid)
    error_html = f"<div class='bk-error'>{escape(error)}</div>" if error else ""
    return f"<div class='bk-input'>{label}{field_html}{error_html}{hint}</div>"
