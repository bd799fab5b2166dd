"""Browser captures: Chromium driven by Playwright through scrapy-playwright.

Only requests carrying ``meta["playwright"]`` are rendered; everything else still goes through
Scrapy's own HTTP handler. When the browser is disabled nothing here is installed, so no
Playwright driver or Chromium process is ever started.
"""

from __future__ import annotations

import os
import shutil
from typing import Any

from receipts.settings import Settings

HANDLER = "crawlers.browser.handler.GuardedPlaywrightHandler"  # scrapy-playwright behind the egress proxy
SYSTEM_CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = ("--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run", "--disable-quic")


def find_chromium(configured: str | None = None) -> str | None:
    """``RECEIPTS_BROWSER_PATH``, else the system Chromium, else None (Playwright's own browser)."""
    if configured:
        return configured
    if os.access(SYSTEM_CHROMIUM, os.X_OK):
        return SYSTEM_CHROMIUM
    return shutil.which("chromium") or shutil.which("chromium-browser")


def browser_settings(settings: Settings, enabled: bool) -> dict[str, Any]:
    """Scrapy settings that route ``meta["playwright"]`` requests through Chromium (none when disabled)."""
    if not enabled:
        return {"RECEIPTS_BROWSER": False}
    launch: dict[str, Any] = {"headless": True, "args": list(LAUNCH_ARGS),
                              "timeout": int(settings.browser_timeout * 1000)}
    executable = find_chromium(settings.browser_path)
    if executable:
        launch["executable_path"] = executable
    concurrency = max(1, settings.browser_concurrency)
    return {
        "RECEIPTS_BROWSER": True,
        "RECEIPTS_BROWSER_TIMEOUT": settings.browser_timeout,
        "DOWNLOAD_HANDLERS": {"http": HANDLER, "https": HANDLER},
        "PLAYWRIGHT_BROWSER_TYPE": "chromium",
        "PLAYWRIGHT_LAUNCH_OPTIONS": launch,
        "PLAYWRIGHT_MAX_CONTEXTS": concurrency,
        "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT": concurrency,
        "PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT": settings.browser_timeout * 1000,
        # the browser sends its own headers: Scrapy's (our crawler UA) would make pages render differently
        "PLAYWRIGHT_PROCESS_REQUEST_HEADERS": None,
    }
