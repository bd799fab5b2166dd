"""``RECEIPTS_ORIGIN_MAP`` inside the browser page.

The downloader's origin-map middleware cannot help a browser: the page itself fetches scripts,
images and frames. So each page gets a route handler that fetches mapped URLs from their mapped
target and fulfils the request with that answer. ``route.continue_(url=…)`` cannot change the
scheme (https → http loopback), fetch + fulfil can, and the page keeps the ORIGINAL URL
(``https://x.com/…``) in its address bar, so its scripts behave as on the real site.

When a map is configured, requests to origins that are neither mapped nor a map target are
aborted: a test or an offline deployment must never leak to the real web.
"""

from __future__ import annotations

import logging
from typing import Any

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page, Route

from receipts.origin import mapped_targets, origin_of, route

log = logging.getLogger(__name__)


class OriginRouter:
    """A ``playwright_page_init_callback``: installs the origin map on each new page."""

    def __init__(self, origin_map: dict[str, str], timeout: float = 30.0) -> None:
        self.origin_map = dict(origin_map)
        self.targets = mapped_targets(self.origin_map)
        self.timeout_ms = timeout * 1000
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
        if self.origin_map:
            await page.route("**/*", self.handle)

    async def handle(self, route_: Route) -> None:
        url = route_.request.url
        target = self.target(url)
        if target is None:
            self.aborted.append(url)
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
