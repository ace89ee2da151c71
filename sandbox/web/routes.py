"""The page's GET routes: `/` (the page), `/_sandbox/static/<name>`, `/_sandbox/files/<id>`.

Uploaded files are served as downloads unless they are raster images, so an app
that uploads HTML cannot run script on the page's origin; the page itself carries
a Content-Security-Policy that allows only its own script and styles.
"""

from __future__ import annotations

from importlib.resources import files
from typing import TYPE_CHECKING

from sandbox.page import render_page

if TYPE_CHECKING:
    from sandbox.contracts import Responder

STATIC = {"page.css": "text/css; charset=utf-8", "page.js": "text/javascript; charset=utf-8"}
_INLINE = ("image/png", "image/jpeg", "image/gif")
_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: http: https:;"
    " connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
_SAFE = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"}


def is_page_route(path: str) -> bool:
    return path in ("/", "/index.html") or path.startswith(
        ("/_sandbox/static/", "/_sandbox/files/")
    )


def serve(handler: Responder, path: str, query: str) -> None:
    """Answer one GET for which `is_page_route(path)` holds."""
    if path.startswith("/_sandbox/static/"):
        name = path.rsplit("/", 1)[-1]
        if name not in STATIC:
            return handler.send_text(404, "not_found")
        body = (files("sandbox.web") / "static" / name).read_bytes()
        return handler.send_body(200, body, STATIC[name], _SAFE)
    if path.startswith("/_sandbox/files/"):
        return _file(handler, path.rsplit("/", 1)[-1])
    page = render_page(handler.sandbox, query).encode()
    headers = {**_SAFE, "Content-Security-Policy": _CSP, "Referrer-Policy": "no-referrer"}
    handler.send_body(200, page, "text/html; charset=utf-8", headers)


def _file(handler: Responder, file_id: str) -> None:
    found = [f for f in handler.sandbox.workspace.files() if f["id"] == file_id]
    if not found:
        return handler.send_text(404, "file_not_found")
    record = found[0]
    if record["mimetype"] in _INLINE:
        return handler.send_body(200, record["bytes"], record["mimetype"], _SAFE)
    name = "".join(c for c in record["name"] if c.isalnum() or c in "._- ") or "file"
    headers = {**_SAFE, "Content-Disposition": f'attachment; filename="{name}"'}
    handler.send_body(200, record["bytes"], "application/octet-stream", headers)
