"""Block Kit as Slack accepts it: the documented limits, and the ids Slack fills in.

Limits are checked so bot bugs fail here and not in production; an error names
the offending block by JSON pointer the way Slack's `errors` list does.
"""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Any

from sandbox.errors import ApiError

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_MESSAGE_CHARS = 40_000
_SECTION_TEXT = 3000
_SECTION_FIELDS = 10
_FIELD_TEXT = 2000
_HEADER_TEXT = 150
_ACTIONS_ELEMENTS = 25
_CONTEXT_ELEMENTS = 10
_BUTTON_TEXT = 75
_BUTTON_VALUE = 2000
_ID_LENGTH = 255


def check_message(text: Any, blocks: Any) -> None:
    """Validate `chat.postMessage` / `chat.update` content; raises `ApiError` like Slack."""
    if not text and not blocks:
        raise ApiError("no_text")
    if text is not None and not isinstance(text, str):
        raise ApiError("invalid_arguments")
    if text and len(text) > MAX_MESSAGE_CHARS:
        raise ApiError("msg_too_long")
    if blocks is not None:
        check_blocks(blocks, max_blocks=MAX_MESSAGE_BLOCKS, code="invalid_blocks")


def check_blocks(blocks: Any, *, max_blocks: int, code: str) -> None:
    """Raise `ApiError(code, errors=[...])` for the first limit the blocks break."""
    problem = _first_problem(blocks, max_blocks)
    if problem is not None:
        raise ApiError(code, errors=[problem], response_metadata={"messages": [problem]})


def _first_problem(blocks: Any, max_blocks: int) -> str | None:
    if not isinstance(blocks, list):
        return "blocks must be an array [json-pointer:/blocks]"
    if len(blocks) > max_blocks:
        return f"no more than {max_blocks} items allowed [json-pointer:/blocks]"
    seen: set[str] = set()
    for index, block in enumerate(blocks):
        where = f"/blocks/{index}"
        if not isinstance(block, dict) or not isinstance(block.get("type"), str):
            return f"missing required field: type [json-pointer:{where}]"
        block_id = block.get("block_id")
        if block_id is not None:
            if len(str(block_id)) > _ID_LENGTH:
                return _too_long(_ID_LENGTH, f"{where}/block_id")
            if block_id in seen:
                return f"duplicate block_id [json-pointer:{where}/block_id]"
            seen.add(block_id)
        problem = _block_problem(block, where)
        if problem is not None:
            return problem
    return None


def _too_long(limit: int, pointer: str) -> str:
    return f"must be less than {limit + 1} characters [json-pointer:{pointer}]"


def _text_of(obj: Any) -> str:
    return obj.get("text", "") if isinstance(obj, dict) else ""


def _block_problem(block: dict, where: str) -> str | None:
    kind = block["type"]
    if kind == "section":
        if len(_text_of(block.get("text"))) > _SECTION_TEXT:
            return _too_long(_SECTION_TEXT, f"{where}/text")
        fields = block.get("fields") or []
        if len(fields) > _SECTION_FIELDS:
            return f"no more than {_SECTION_FIELDS} items allowed [json-pointer:{where}/fields]"
        for i, field in enumerate(fields):
            if len(_text_of(field)) > _FIELD_TEXT:
                return _too_long(_FIELD_TEXT, f"{where}/fields/{i}")
        if not block.get("text") and not fields:
            return f"must provide text or fields [json-pointer:{where}]"
        accessory = block.get("accessory")
        return _elements_problem([accessory] if accessory else [], f"{where}/accessory")
    if kind == "header" and len(_text_of(block.get("text"))) > _HEADER_TEXT:
        return _too_long(_HEADER_TEXT, f"{where}/text")
    if kind in ("actions", "context"):
        elements = block.get("elements") or []
        limit = _ACTIONS_ELEMENTS if kind == "actions" else _CONTEXT_ELEMENTS
        if not elements or len(elements) > limit:
            return f"must have 1 to {limit} elements [json-pointer:{where}/elements]"
        if kind == "actions":
            return _elements_problem(elements, f"{where}/elements")
    return None


def _elements_problem(elements: list, where: str) -> str | None:
    action_ids: set[str] = set()
    for i, element in enumerate(elements):
        at = f"{where}/{i}" if where.endswith("elements") else where
        if not isinstance(element, dict) or "type" not in element:
            return f"missing required field: type [json-pointer:{at}]"
        action_id = element.get("action_id")
        if action_id is not None:
            if len(str(action_id)) > _ID_LENGTH:
                return _too_long(_ID_LENGTH, f"{at}/action_id")
            if action_id in action_ids:
                return f"duplicate action_id [json-pointer:{at}/action_id]"
            action_ids.add(action_id)
        if element["type"] == "button":
            if len(_text_of(element.get("text"))) > _BUTTON_TEXT:
                return _too_long(_BUTTON_TEXT, f"{at}/text")
            if len(str(element.get("value", ""))) > _BUTTON_VALUE:
                return _too_long(_BUTTON_VALUE, f"{at}/value")
    return None


def with_ids(blocks: list | None) -> list:
    """A copy of valid blocks with the `block_id`s and button `action_id`s Slack generates.

    Generated ids are derived from the content, so snapshots stay stable.
    """
    stamped = copy.deepcopy(blocks or [])
    for index, block in enumerate(stamped):
        if not isinstance(block, dict):
            continue
        block.setdefault("block_id", _short_id(index, block))
        elements = list(block.get("elements") or []) if block.get("type") == "actions" else []
        if isinstance(block.get("accessory"), dict):
            elements.append(block["accessory"])
        for position, element in enumerate(elements):
            if isinstance(element, dict) and element.get("type") == "button":
                element.setdefault("action_id", _short_id(position, element))
    return stamped


def _short_id(index: int, obj: dict) -> str:
    seed = f"{index}:{json.dumps(obj, sort_keys=True, default=str)}".encode()
    return hashlib.sha1(seed, usedforsecurity=False).hexdigest()[:5]
