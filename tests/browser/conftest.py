"""Browser tests: the real app served by uvicorn on loopback, driven by headless Chromium.

Chromium is Debian's (`apt-get install chromium`, done by `.ci/run`); Playwright never
downloads a browser here. A missing Chromium FAILS these tests: a skipped browser suite
would hide a broken admin.

The app runs against the committed test database (`committed_factory`): the server's
threads see what the test writes, and every table is emptied after each test.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# The README's screenshots are rewritten only when asked (`make screenshots`); an ordinary
# run saves them in the temporary directory, so `make test` leaves the working tree clean.
SCREENSHOTS = (
    Path(__file__).resolve().parents[2] / "docs" / "screenshots"
    if os.environ.get("MOISSON_WRITE_SCREENSHOTS") == "1"
    else Path(tempfile.gettempdir()) / f"moisson-screenshots-{os.getpid()}"
)
VIEWPORT = {"width": 1280, "height": 860}


def chromium_path() -> str:
    found = os.environ.get("MOISSON_CHROMIUM") or shutil.which("chromium")
    if not found:
        pytest.fail(
            "Chromium is required by the browser tests: `apt-get install -y chromium` "
            "(or set MOISSON_CHROMIUM to its path)",
            pytrace=False,
        )
    return found


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(chromium: Browser) -> Iterator[Page]:
    context = chromium.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
    context.set_default_timeout(10_000)
    opened = context.new_page()
    yield opened
    context.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class LiveServer:
    """uvicorn serving `app` from a background thread, on a free loopback port."""

    def __init__(self, app: FastAPI) -> None:
        self.port = free_port()
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="admin-live-server")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def screenshot(page: Page, name: str) -> Path:
    """Save the whole page under SCREENSHOTS (docs/screenshots, shown in the README, when asked)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    target = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(target), full_page=True)
    assert target.stat().st_size > 1000
    return target
