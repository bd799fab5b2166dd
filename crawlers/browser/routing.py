"""``RECEIPTS_ORIGIN_MAP`` inside the browser page.

The downloader's origin-map middleware cannot help a browser: the page itself fetches scripts,
images and frames. So each page gets a route handler that fetches mapped URLs from their mapped
target and fulfils the request with that answer. ``route.continue_(url=…)`` cannot change the
scheme (https → http loopback), fetch + fulfil can, and the page keeps the ORIGINAL URL
(``https://x.com/…``) in its address bar, so its scripts behave as on the real site.

When a map is configured, requests to origins that are neither mapped nor a map target are
aborted: a test or an offline deployment must never leak to the real web.

The router is also the page's guard: every request the page could not make because the router or the
egress proxy (:mod:`crawlers.browser.egress`) refused it is listed in the render request's
``meta["browser_blocked"]``, and :func:`render_failure` says when a render ended on an error page, so
it is recorded as a failed render rather than as evidence.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page, Route
from playwright.async_api import Request as PageRequest

from receipts.origin import mapped_targets, origin_of, route

log = logging.getLogger(__name__)


class OriginRouter:
    """A ``playwright_page_init_callback``: installs the origin map on each new page."""

    def __init__(self, origin_map: dict[str, str], timeout: float = 30.0, crawler: Any = None) -> None:
        self.origin_map = dict(origin_map)
        self.targets = mapped_targets(self.origin_map)
        self.timeout_ms = timeout * 1000
        self.crawler = crawler  # its ``browser_egress`` (set by the download handler) says what it refused
        self.aborted: list[str] = []

    def target(self, url: str) -> str | None:
        """Where to fetch *url*: the mapped URL, *url* itself (allowed as is), or None (abort)."""
        if not url.startswith(("http://", "https://")):
            return url
        mapped = route(url, self.origin_map)
        if mapped != url:
            return mapped
        if origin_of(url) in self.targets:
            return url
        return None

    async def __call__(self, page: Page, request: Any = None) -> None:
        blocked: list[dict[str, Any]] = [] if request is None else request.meta.setdefault("browser_blocked", [])
        page.on("requestfailed", lambda failed: self.note_failure(failed, blocked))
        if self.origin_map:
            await page.route("**/*", lambda route_: self.handle(route_, blocked))

    def note_failure(self, failed: PageRequest, blocked: list[dict[str, Any]]) -> None:
        """List *failed* on the render when the egress proxy refused its connection."""
        egress = getattr(self.crawler, "browser_egress", None)
        try:
            parts = urlsplit(failed.url)
            host, port = parts.hostname or "", parts.port or (80 if parts.scheme in ("http", "ws") else 443)
        except ValueError:
            return
        reason = egress.reason_for(host, port) if egress is not None and host else None
        if reason is not None:
            blocked.append(blocked_entry(failed, reason))

    async def handle(self, route_: Route, blocked: list[dict[str, Any]] | None = None) -> None:
        url = route_.request.url
        target = self.target(url)
        if target is None:
            self.aborted.append(url)
            if blocked is not None:
                blocked.append(blocked_entry(route_.request, "origin not in RECEIPTS_ORIGIN_MAP"))
            log.debug("browser: blocked unmapped request %s", url)
            await route_.abort("blockedbyclient")
            return
        if target == url:
            await route_.fallback()
            return
        try:
            # no redirect following here: a Location names a real-world URL, which the page must
            # request itself (and so through this handler again)
            answer = await route_.fetch(url=target, max_redirects=0, timeout=self.timeout_ms)
        except PlaywrightError as exc:
            log.debug("browser: %s via %s failed: %s", url, target, exc)
            await route_.abort("failed")
            return
        await route_.fulfill(response=answer)


def blocked_entry(request: PageRequest, reason: str) -> dict[str, Any]:
    try:
        main_frame = request.is_navigation_request() and request.frame.parent_frame is None
    except PlaywrightError:  # a frame already detached: a subframe
        main_frame = False
    return {"url": request.url[:2000], "reason": reason, "resource_type": request.resource_type,
            "main_frame_navigation": main_frame}


def render_failure(page_url: str, blocked: list[dict[str, Any]] | None) -> str | None:
    """Why a render is no evidence: it ended on Chromium's error page, or its navigation was refused."""
    refused = next((b for b in blocked or [] if b.get("main_frame_navigation")), None)
    if refused is not None:
        return f"navigation to {refused['url'][:300]} blocked: {refused['reason']}"
    if page_url.startswith("chrome-error://"):
        return "the page ended on the browser's error page"
    if page_url and not page_url.startswith(("http://", "https://")):
        return f"the page ended on {page_url[:100]}, not on the web"
    return None
