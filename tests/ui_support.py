"""The web UI under real Chromium for the UI tests: the app on uvicorn over a seeded archive, and one
Chromium per test module (the system Chromium, Playwright's own browser when there is none)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

import pytest
from archive_support import Seed, process_env
from conftest import free_port
from daemon_support import wait_for

from crawlers.browser import LAUNCH_ARGS, find_chromium

CHROMIUM = find_chromium()


@contextlib.contextmanager
def serve_app(seed: Seed) -> Iterator[str]:
    """The app over the seeded archive, on uvicorn at a loopback port (settings from the environment)."""
    import uvicorn

    from receipts.api.app import create_app

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(archive=seed.archive()), host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for(lambda: server.started, 15, 0.05, "uvicorn to start")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture(scope="module")
def base_url(seed: Seed) -> Iterator[str]:
    with process_env(seed), serve_app(seed) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator:
    playwright_sync = pytest.importorskip("playwright.sync_api")
    with playwright_sync.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=list(LAUNCH_ARGS), headless=True)
        yield chromium
        chromium.close()
