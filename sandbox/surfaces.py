"""App Home views, modals, trigger ids and uploaded files of the sandbox workspace.

A mixin of `Workspace`: it relies on the `lock` and team ids set by `Directory`.
"""

from __future__ import annotations

import copy
import itertools
import mimetypes
import secrets
import threading
import time

import sandbox.clock as clock
from sandbox.errors import ApiError
from sandbox.limits import with_ids


class Surfaces:
    """Views (home and modal), the trigger ids that open modals, and file uploads."""

    lock: threading.RLock
    team_id: str
    app_id: str
    bot_id: str

    def __init__(self) -> None:
        self.trigger_ttl = 3.0  # seconds Slack lets a trigger_id open a view
        self._surface_seq = itertools.count(1)
        self._triggers: dict[str, dict] = {}
        self._views: dict[str, dict] = {}  # view id -> view, insertion order
        self._home_views: dict[str, str] = {}  # user id -> view id
        self._uploads: dict[str, dict] = {}
        self._files: list[dict] = []

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}0{next(self._surface_seq):06d}{secrets.token_hex(2).upper()}"

    # -- trigger ids -------------------------------------------------------------------------

    def issue_trigger(self, user_id: str, *, age: float = 0.0) -> str:
        """A trigger id for `user_id`, as Slack puts in interaction payloads.

        `age` backdates it, so tests can make one that is already expired.
        """
        with self.lock:
            seq = next(self._surface_seq)
            trigger_id = f"{seq}.{int(time.time())}.{secrets.token_hex(16)}"
            issued = clock.monotonic() - age
            self._triggers[trigger_id] = {"user_id": user_id, "issued": issued, "used": False}
            return trigger_id

    def consume_trigger(self, trigger_id: str) -> str:
        """Exchange a trigger id for a view (once, within `trigger_ttl`); returns its user."""
        with self.lock:
            trigger = self._triggers.get(trigger_id)
            if trigger is None:
                raise ApiError("invalid_trigger_id")
            if trigger["used"]:
                raise ApiError("exchanged_trigger_id")
            if clock.monotonic() - trigger["issued"] > self.trigger_ttl:
                raise ApiError("expired_trigger_id")
            trigger["used"] = True
            return trigger["user_id"]

    # -- views -------------------------------------------------------------------------------

    def _store_view(self, view: dict, *, user_id: str, view_id: str) -> dict:
        stored = {
            "type": "modal",
            "blocks": [],
            "private_metadata": "",
            "callback_id": "",
            "external_id": "",
            **copy.deepcopy(view),
            "id": view_id,
            "team_id": self.team_id,
            "user_id": user_id,
            "state": {"values": {}},
            "hash": f"{int(time.time())}.{secrets.token_hex(4)}",
            "root_view_id": view_id,
            "previous_view_id": None,
            "app_id": self.app_id,
            "bot_id": self.bot_id,
        }
        stored["blocks"] = with_ids(stored["blocks"])
        self._views.pop(view_id, None)  # re-insert so the latest is last
        self._views[view_id] = stored
        return copy.deepcopy(stored)

    def publish_home(self, user_id: str, view: dict) -> dict:
        """`views.publish`: a user's App Home keeps one view id across publishes."""
        with self.lock:
            view_id = self._home_views.setdefault(user_id, self._new_id("V"))
            return self._store_view(view, user_id=user_id, view_id=view_id)

    def open_modal(self, user_id: str, view: dict) -> dict:
        with self.lock:
            return self._store_view(view, user_id=user_id, view_id=self._new_id("V"))

    def update_view(
        self, view: dict, *, view_id: str | None, external_id: str | None, view_hash: str | None
    ) -> dict:
        """`views.update` by id or external id, refusing a stale `hash` like Slack does."""
        with self.lock:
            current = self._views.get(view_id or "")
            if current is None and external_id:
                by_external = (v for v in self._views.values() if v["external_id"] == external_id)
                current = next(by_external, None)
            if current is None:
                raise ApiError("not_found")
            if view_hash is not None and view_hash != current["hash"]:
                raise ApiError("hash_conflict")
            return self._store_view(view, user_id=current["user_id"], view_id=current["id"])

    def views(self, user_id: str | None = None) -> list[dict]:
        """Latest version of every published home view and opened modal, oldest first."""
        with self.lock:
            found = [v for v in self._views.values() if user_id in (None, v["user_id"])]
            return copy.deepcopy(found)

    # -- files -------------------------------------------------------------------------------

    def start_upload(self, filename: str, length: int) -> str:
        """`files.getUploadURLExternal`: reserve a file id; bytes arrive at `/upload/<id>`."""
        with self.lock:
            file_id = self._new_id("F")
            self._uploads[file_id] = {"filename": filename, "length": length, "bytes": None}
            return file_id

    def receive_upload(self, file_id: str, data: bytes) -> bool:
        with self.lock:
            upload = self._uploads.get(file_id)
            if upload is None:
                return False
            upload["bytes"] = data
            return True

    def complete_upload(
        self, specs: list[dict], *, channel_id: str | None, initial_comment: str | None
    ) -> list[dict]:
        """`files.completeUploadExternal`: turn uploaded bytes into shared files."""
        with self.lock:
            for spec in specs:
                upload = self._uploads.get(str(spec.get("id")))
                if upload is None or upload["bytes"] is None:
                    raise ApiError("file_not_found")
            shared = []
            for spec in specs:
                upload = self._uploads.pop(spec["id"])
                name = upload["filename"]
                record = {
                    "id": spec["id"],
                    "filename": name,
                    "name": name,
                    "title": spec.get("title") or name,
                    "mimetype": mimetypes.guess_type(name)[0] or "application/octet-stream",
                    "size": len(upload["bytes"]),
                    "bytes": upload["bytes"],
                    "channel_id": channel_id,
                    "initial_comment": initial_comment,
                    "created": int(time.time()),
                }
                self._files.append(record)
                shared.append({k: v for k, v in record.items() if k != "bytes"})
            return shared

    def files(self) -> list[dict]:
        with self.lock:
            return copy.deepcopy(self._files)
