"""HTML → PDF (and PNG) with the bundled Chromium through Playwright's ``page.pdf``.

The page is set from a string with scripts off and every network request refused: the evidence sheet
carries its images as ``data:`` URIs, so nothing it shows is fetched while printing.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from receipts.settings import get_settings

SYSTEM_CHROMIUM = "/usr/bin/chromium"
# as crawlers.browser.LAUNCH_ARGS (the core may not import the crawlers)
LAUNCH_ARGS = ("--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run", "--disable-quic")
TIMEOUT_MS = 60_000


class PdfUnavailable(RuntimeError):
    """Chromium (or Playwright) is missing, or the browser failed to print."""


def chromium_path() -> str | None:
    """``RECEIPTS_BROWSER_PATH``, else the system Chromium, else None (Playwright's own browser, if installed)."""
    configured = get_settings().browser_path
    if configured:
        return configured
    if os.access(SYSTEM_CHROMIUM, os.X_OK):
        return SYSTEM_CHROMIUM
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _render(html: str, *, pdf: bool, png_path: Path | None = None, width: int = 900, height: int | None = None,
            print_media: bool = False) -> bytes:
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # pragma: no cover - playwright is a dependency
        raise PdfUnavailable("playwright is not installed") from exc
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium_path(), args=list(LAUNCH_ARGS), headless=True,
                                         timeout=TIMEOUT_MS)
            try:
                context = browser.new_context(java_script_enabled=False,
                                              viewport={"width": width, "height": height or 1200})
                page = context.new_page()
                page.route("**/*", lambda route: route.abort())  # data: URIs only; nothing leaves the machine
                page.set_content(html, wait_until="load", timeout=TIMEOUT_MS)
                if pdf or print_media:
                    page.emulate_media(media="print")
                if not pdf:
                    return page.screenshot(path=str(png_path) if png_path else None, full_page=height is None)
                return page.pdf(format="A4", print_background=True, prefer_css_page_size=True,
                                margin={"top": "14mm", "bottom": "14mm", "left": "12mm", "right": "12mm"})
            finally:
                browser.close()
    except PlaywrightError as exc:
        raise PdfUnavailable(f"Chromium could not print the sheet: {exc}") from exc


def html_to_pdf(html: str) -> bytes:
    """The PDF Chromium prints from *html* (A4, backgrounds on)."""
    return _render(html, pdf=True)


def html_to_png(html: str, path: Path, width: int = 900, height: int | None = None, print_media: bool = False) -> bytes:
    """A screenshot of *html* at *width* CSS pixels (the whole page, or its first *height* pixels), written to
    *path*; *print_media* lays it out as printed (an A4 page is 794×1123 CSS pixels)."""
    return _render(html, pdf=False, png_path=path, width=width, height=height, print_media=print_media)
