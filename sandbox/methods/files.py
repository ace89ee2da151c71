"""The files upload v2 sequence `WebClient.files_upload_v2` drives.

1. `files.getUploadURLExternal` reserves a file id and returns an upload URL on
   this server; 2. the client POSTs the raw bytes there (handled by the server);
3. `files.completeUploadExternal` shares the files and posts them into the channel.
"""

from __future__ import annotations

from sandbox.errors import ApiError
from sandbox.methods.base import Call, method


@method("files.getUploadURLExternal", "files:write")
def get_upload_url(call: Call) -> dict:
    filename = call.require("filename")
    length = call.integer("length", 0)
    if length <= 0:
        raise ApiError("invalid_arguments", detail="length must be a positive integer")
    file_id = call.workspace.start_upload(str(filename), length)
    return {"upload_url": f"{call.base}/upload/{file_id}", "file_id": file_id}


@method("files.completeUploadExternal", "files:write")
def complete_upload(call: Call) -> dict:
    ws = call.workspace
    specs = call.require("files")
    if not isinstance(specs, list) or not all(isinstance(s, dict) for s in specs):
        raise ApiError("invalid_arguments", detail="files must be a JSON array of objects")
    channel = call.get("channel_id") or (str(call.get("channels", "")).split(",")[0] or None)
    comment = call.get("initial_comment")
    with ws.lock:
        channel_id = ws.resolve_channel(channel) if channel else None
        if channel_id:
            ws.check_postable(channel_id)
        shared = ws.complete_upload(specs, channel_id=channel_id, initial_comment=comment)
        if channel_id:
            attached = [{"id": f["id"], "name": f["name"], "title": f["title"]} for f in shared]
            ws.post_message(
                channel_id, text=comment or "", files=attached, thread_ts=call.get("thread_ts")
            )
    return {"files": shared}
