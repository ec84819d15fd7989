"""The web pages: the widget's demo shop page (`/widget`), the operator console
(`/console`), the content team's admin page (`/admin`), and the static files they and
any shop's embed load (`/static/…`).

Everything is shipped inside the package (`api/static/`), so nothing comes from a CDN.
Pages are sent with a Content-Security-Policy that allows only this origin's scripts,
styles, fonts and API (plus its WebSocket); the scripts draw server text with
`textContent`, never as HTML.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.staticfiles import StaticFiles

from api.errors import ApiError

__all__ = ["STATIC_DIR", "page_headers", "router"]

router = APIRouter(include_in_schema=False)

STATIC_DIR = Path(__file__).resolve().parent / "static"

# only these kinds are served; the charset matters for scripts and styles holding Persian
MEDIA_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".woff2": "font/woff2",
    ".txt": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}
PAGES = {"widget": "demo.html", "console": "console.html", "admin": "admin.html"}

# a Host header we are willing to repeat in the CSP (anything else gets 'self' alone)
_HOST = re.compile(r"^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$")

COMMON_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def content_security_policy(host: str | None) -> str:
    """Scripts, styles, fonts and API calls from this origin only.

    `connect-src 'self'` covers ws:/wss: to the same host only in recent browsers, so the
    WebSocket origin is named too."""
    connect = "'self'"
    if host and _HOST.match(host):
        connect += f" ws://{host} wss://{host}"
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "font-src 'self'",
            "img-src 'self' data:",
            f"connect-src {connect}",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def page_headers(host: str | None) -> dict[str, str]:
    return COMMON_HEADERS | {
        "Content-Security-Policy": content_security_policy(host),
        "X-Frame-Options": "DENY",
        "Cache-Control": "no-cache",
    }


@functools.cache
def _page(name: str) -> str:
    return (STATIC_DIR / name).read_text(encoding="utf-8")


def _serve_page(request: Request, name: str) -> HTMLResponse:
    return HTMLResponse(_page(name), headers=page_headers(request.headers.get("host")))


@router.api_route("/widget", methods=["GET", "HEAD"], response_class=HTMLResponse)
async def widget_demo(request: Request) -> HTMLResponse:
    """A mock shop page in Persian with the chat widget embedded."""
    return _serve_page(request, PAGES["widget"])


@router.api_route("/console", methods=["GET", "HEAD"], response_class=HTMLResponse)
async def operator_console(request: Request) -> HTMLResponse:
    """The operators' page: waiting queue, live conversations and tickets."""
    return _serve_page(request, PAGES["console"])


@router.api_route("/admin", methods=["GET", "HEAD"], response_class=HTMLResponse)
async def admin_page(request: Request) -> HTMLResponse:
    """The content team's page: FAQ entries, import, training, gaps and charts."""
    return _serve_page(request, PAGES["admin"])


@functools.cache
def _static_files() -> StaticFiles:
    return StaticFiles(directory=STATIC_DIR)


@router.api_route("/static/{path:path}", methods=["GET", "HEAD"])
async def static_file(path: str, request: Request) -> Response:
    """A file of the widget or the console. Public and cacheable; fonts and styles may
    be loaded by a shop on another origin, which font loading needs CORS for."""
    media_type = MEDIA_TYPES.get(Path(path).suffix.lower())
    if media_type is None or path.endswith(".html"):
        raise ApiError(404, "not_found", "No such file.")
    # starlette resolves the path inside the folder (no `..` escapes) and answers
    # If-None-Match / If-Modified-Since with 304
    response = await _static_files().get_response(path, request.scope)
    if response.status_code == 200:
        response.headers["Content-Type"] = media_type
    font = media_type.startswith("font/")
    response.headers.update(
        COMMON_HEADERS
        | {
            "Access-Control-Allow-Origin": "*",
            "Cross-Origin-Resource-Policy": "cross-origin",
            "Cache-Control": "public, max-age=604800, immutable" if font else "no-cache",
        }
    )
    return response
