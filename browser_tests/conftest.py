"""The browser stage: the real server in a subprocess, driven by headless Chromium.

Not part of the main suite (`testpaths = ["tests"]`); `.ci/run` runs it after the main
suite as `pytest browser_tests`. Chromium is Debian's (`/usr/bin/chromium`), driven by
Playwright for Python; Playwright never downloads a browser of its own here.

Each test gets its own server (own database and uploads, no operator left online by an
earlier test); the model is trained once per session and shared read-only.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from drivers import ADMIN_TOKEN, OPERATOR_TOKENS
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Playwright,
    expect,
    sync_playwright,
)

from bot.model import save_model, train_model
from bot.settings import PROJECT_ROOT
from bot.training_data import load_training_data

CHROMIUM = Path(os.environ.get("PASOKHGOO_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
STARTUP_SECONDS = 90
# a first answer loads hazm's resources; two busy cores can take seconds
expect.set_options(timeout=15_000)


@dataclass
class Server:
    url: str
    log_path: Path
    process: subprocess.Popen = field(repr=False)

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def api(self, method: str, path: str, body: dict | None = None, token: str | None = None):
        """Call the API as a script would (for setting the scene, not for assertions the
        browser can make)."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_ready(url: str, process: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited ({process.returncode}):\n{log_path.read_text()}")
        try:
            with urllib.request.urlopen(url + "/readyz", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the server was not ready in {STARTUP_SECONDS} s:\n{log_path.read_text()}")


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory) -> Path:
    """The shipped knowledge base's model, trained once and shared by every server."""
    path = tmp_path_factory.mktemp("model") / "model"
    save_model(train_model(load_training_data(PROJECT_ROOT / "nlu_data")), path)
    return path


@pytest.fixture
def server(tmp_path: Path, model_dir: Path) -> Iterator[Server]:
    """`pasokhgoo serve` on a free loopback port, with its own var dir."""
    port = _free_port()
    env = os.environ | {
        "PASOKHGOO_VAR_DIR": str(tmp_path / "var"),
        "PASOKHGOO_MODEL_DIR": str(model_dir),
        "PASOKHGOO_OPERATOR_TOKENS": json.dumps(OPERATOR_TOKENS),
        "PASOKHGOO_ADMIN_TOKEN": ADMIN_TOKEN,
    }
    env.pop("PASOKHGOO_DATABASE_URL", None)
    command = [
        str(Path(sys.executable).with_name("pasokhgoo")),
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    log_path = tmp_path / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, process, log_path)
        yield Server(url, log_path, process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as running:
        yield running


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium")
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@dataclass
class PageProblems:
    """What a person would notice went wrong: script errors and alert dialogs."""

    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


@pytest.fixture
def new_page(browser: Browser) -> Iterator[Callable[..., tuple[Page, PageProblems]]]:
    """`page, problems = new_page(width=…, height=…)`: a fresh browser profile (its own
    localStorage and sessionStorage), as a second person on another computer."""
    contexts: list[BrowserContext] = []

    def make(width: int = 1280, height: int = 800, **options) -> tuple[Page, PageProblems]:
        context = browser.new_context(
            viewport={"width": width, "height": height}, locale="fa-IR", **options
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        problems = PageProblems()
        page.on("pageerror", lambda exc: problems.errors.append(str(exc)))

        def on_dialog(dialog) -> None:
            problems.dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", on_dialog)
        return page, problems

    yield make
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Screenshots for people to look at (CI keeps the folder)."""
    path = Path(os.environ.get("PASOKHGOO_ARTIFACTS", "/tmp/pasokhgoo-artifacts"))
    path.mkdir(parents=True, exist_ok=True)
    return path
