"""Check rendered messages and views against Slack's limits with slack_sdk's own models."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_ACTION_ELEMENTS = 25


class BlockLimitError(ValueError):
    """A renderer produced something Slack would refuse."""


def check_message(message: dict[str, Any]) -> None:
    blocks = message.get("blocks") or []
    if len(blocks) > MAX_MESSAGE_BLOCKS:
        raise BlockLimitError(
            f"{len(blocks)} blocks in a message; Slack allows {MAX_MESSAGE_BLOCKS}"
        )
    if not blocks and not message.get("text"):
        raise BlockLimitError("a message needs text or blocks")
    _check_blocks(blocks)


def check_view(view: dict[str, Any]) -> None:
    if len(view.get("blocks") or []) > MAX_VIEW_BLOCKS:
        raise BlockLimitError(
            f"{len(view['blocks'])} blocks in a view; Slack allows {MAX_VIEW_BLOCKS}"
        )
    View(**view).validate_json()
    _check_blocks(view["blocks"])


def _check_blocks(blocks: list[dict[str, Any]]) -> None:
    block_ids = [b["block_id"] for b in blocks if "block_id" in b]
    if len(block_ids) != len(set(block_ids)):
        raise BlockLimitError("duplicate block_id")
    for raw in blocks:
        block = Block.parse(raw)
        if block is None:
            raise BlockLimitError(f"unknown block type {raw.get('type')!r}")
        block.validate_json()
        if raw.get("type") == "actions":
            elements = raw.get("elements", [])
            if len(elements) > MAX_ACTION_ELEMENTS:
                raise BlockLimitError(f"{len(elements)} elements in an actions block")
            ids = [e.get("action_id") for e in elements]
            if len(ids) != len(set(ids)):
                raise BlockLimitError("duplicate action_id within an actions block")
