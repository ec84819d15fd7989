"""The widget's demo page, the operator console and their static files: served from the
package with the right types and security headers, and written so the CSP allows them.

These need no model: the app is built without running its lifespan. The pages' behaviour
in a real browser is the separate browser stage (`pytest browser_tests`)."""

from __future__ import annotations

import re
import tomllib
from fnmatch import fnmatch
from html.parser import HTMLParser
from pathlib import Path

import pytest
from apihelpers import assert_error
from fastapi.testclient import TestClient

from api.app import create_app
from api.routes_pages import STATIC_DIR
from bot.settings import PROJECT_ROOT, Settings

PAGES = ["/widget", "/console", "/admin"]
SCRIPTS = ["widget.js", "console.js", "admin.js"]


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> TestClient:
    settings = Settings(var_dir=tmp_path_factory.mktemp("var"))
    return TestClient(create_app(settings))  # no `with`: no lifespan, no model needed


def csp(response) -> dict[str, list[str]]:
    directives = {}
    for part in response.headers["content-security-policy"].split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


@pytest.mark.parametrize("path", PAGES)
def test_pages_are_html_with_security_headers(pages: TestClient, path: str) -> None:
    response = pages.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-frame-options"] == "DENY"
    assert csp(response) == {
        "default-src": ["'none'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "font-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'", "ws://testserver", "wss://testserver"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    assert '<html lang="fa" dir="rtl">' in response.text


def test_a_strange_host_header_is_not_repeated_in_the_csp(pages: TestClient) -> None:
    response = pages.get("/widget", headers={"Host": "evil.example; script-src *"})
    assert csp(response)["connect-src"] == ["'self'"]
    assert csp(response)["script-src"] == ["'self'"]


def test_head_of_a_page(pages: TestClient) -> None:
    assert pages.head("/console").status_code == 200


def test_demo_page_embeds_the_widget_with_one_script_tag(pages: TestClient) -> None:
    html = pages.get("/widget").text
    assert re.search(r'<script src="/static/widget\.js" data-title="[^"]+" defer></script>', html)


def test_console_page_has_the_token_login(pages: TestClient) -> None:
    html = pages.get("/console").text
    assert '<label for="token">' in html and 'type="password"' in html
    assert '<script src="/static/console.js" defer></script>' in html


def test_admin_page_has_the_token_login_and_only_its_own_script(pages: TestClient) -> None:
    response = pages.get("/admin")
    assert csp(response)["script-src"] == ["'self'"]
    html = response.text
    assert '<label for="token">' in html and 'type="password"' in html
    assert re.findall(r"<script[^>]*>", html) == ['<script src="/static/admin.js" defer>']


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("widget.js", "text/javascript; charset=utf-8"),
        ("widget.css", "text/css; charset=utf-8"),
        ("fonts.css", "text/css; charset=utf-8"),
        ("console.js", "text/javascript; charset=utf-8"),
        ("console.css", "text/css; charset=utf-8"),
        ("admin.js", "text/javascript; charset=utf-8"),
        ("admin.css", "text/css; charset=utf-8"),
        ("demo.css", "text/css; charset=utf-8"),
        ("fonts/Vazirmatn-Regular.woff2", "font/woff2"),
        ("fonts/Vazirmatn-Bold.woff2", "font/woff2"),
        ("fonts/OFL.txt", "text/plain; charset=utf-8"),
    ],
)
def test_static_files_are_served_with_their_type(
    pages: TestClient, path: str, content_type: str
) -> None:
    response = pages.get(f"/static/{path}")
    assert response.status_code == 200
    assert response.headers["content-type"] == content_type
    assert response.headers["x-content-type-options"] == "nosniff"
    # a shop on another origin loads the widget's styles and fonts (fonts need CORS)
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.content == (STATIC_DIR / path).read_bytes()


def test_the_font_is_a_woff2_under_its_licence(pages: TestClient) -> None:
    font = pages.get("/static/fonts/Vazirmatn-Regular.woff2")
    assert font.content[:4] == b"wOF2"
    assert "immutable" in font.headers["cache-control"]
    licence = pages.get("/static/fonts/OFL.txt").text
    assert "SIL OPEN FONT LICENSE" in licence.upper() and "Vazirmatn" in licence


def test_the_widget_script_is_revalidated_not_downloaded_again(pages: TestClient) -> None:
    first = pages.get("/static/widget.js")
    assert first.headers["cache-control"] == "no-cache"
    again = pages.get("/static/widget.js", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304


@pytest.mark.parametrize(
    "path",
    [
        "/static/nope.js",  # missing
        "/static/demo.html",  # pages are served at their own URL, with their headers
        "/static/%2e%2e/routes_pages.py",  # not a kind of file the pages use
        "/static/fonts",  # a folder
    ],
)
def test_static_serves_nothing_else(pages: TestClient, path: str) -> None:
    assert_error(pages.get(path), 404, "not_found")


def test_static_serves_nothing_outside_its_folder(pages: TestClient) -> None:
    outside = "../../docs/img/widget.png"  # a PNG that exists, two folders up
    assert (STATIC_DIR / outside).resolve().is_file()
    for path in (
        "/static/..%2F..%2Fdocs%2Fimg%2Fwidget.png",
        "/static/%2e%2e/%2e%2e/docs/img/widget.png",
    ):
        assert_error(pages.get(path), 404, "not_found")


class _Markup(HTMLParser):
    """Everything in a page that the CSP (script/style 'self' only) would block or that
    would load from elsewhere."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []
        self.urls: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        for name in found:
            if name.startswith("on"):
                self.problems.append(f"inline handler {name} on <{tag}>")
        if "style" in found:
            self.problems.append(f"inline style on <{tag}>")
        if tag == "style":
            self.problems.append("<style> element")
        if tag == "script":
            self._in_script = True
            if not found.get("src"):
                self.problems.append("inline <script>")
        for name in ("src", "href"):
            if found.get(name):
                self.urls.append(found[name] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.problems.append("inline <script> body")


@pytest.mark.parametrize("path", PAGES)
def test_pages_have_nothing_inline_and_nothing_from_elsewhere(pages: TestClient, path: str) -> None:
    markup = _Markup()
    markup.feed(pages.get(path).text)
    assert markup.problems == []
    outside = [u for u in markup.urls if not (u.startswith(("/static/", "#")) or u == path)]
    assert outside == []
    for url in markup.urls:
        if url.startswith("/static/"):
            assert pages.get(url).status_code == 200, url


@pytest.mark.parametrize("name", SCRIPTS)
def test_scripts_never_turn_text_into_html(name: str) -> None:
    source = (STATIC_DIR / name).read_text(encoding="utf-8")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in source, f"{name} uses {sink}"
    assert "textContent" in source


def test_styles_and_fonts_load_nothing_from_elsewhere() -> None:
    for css in STATIC_DIR.glob("*.css"):
        for url in re.findall(r"url\(\s*['\"]?([^'\")]+)", css.read_text(encoding="utf-8")):
            assert not re.match(r"^[a-z]+:|^//", url), f"{css.name} loads {url}"
            assert (css.parent / url).is_file(), f"{css.name}: {url} is missing"
        assert "@import" not in css.read_text(encoding="utf-8")


def test_the_shipped_fonts_stay_small() -> None:
    fonts = sorted(p.name for p in (STATIC_DIR / "fonts").iterdir())
    assert fonts == ["OFL.txt", "Vazirmatn-Bold.woff2", "Vazirmatn-Regular.woff2"]
    assert sum(p.stat().st_size for p in (STATIC_DIR / "fonts").iterdir()) < 150_000


def test_every_static_file_is_package_data() -> None:
    """A wheel ships what the pages load (setuptools takes only listed data files)."""
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = project["tool"]["setuptools"]["package-data"]["api"]
    api_dir = STATIC_DIR.parent
    files = [p.relative_to(api_dir).as_posix() for p in STATIC_DIR.rglob("*") if p.is_file()]
    assert files
    unlisted = [f for f in files if not any(fnmatch(f, pattern) for pattern in patterns)]
    assert unlisted == []


def test_every_static_file_has_a_type() -> None:
    from api.routes_pages import MEDIA_TYPES

    kinds = {Path(p).suffix for p in STATIC_DIR.rglob("*.*")} - {".html"}
    assert kinds <= set(MEDIA_TYPES)
