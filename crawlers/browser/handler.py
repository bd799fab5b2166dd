"""scrapy-playwright's download handler, with Chromium's network behind the egress proxy.

The handler owns the proxy's life: it starts it before the browser can launch (the launch is lazy,
on the first render) and stops it when the handler closes. With ``RECEIPTS_ALLOW_PRIVATE`` the
operator lifted the address rules, so no proxy is put in front of the browser.
"""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler
from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler

from crawlers.browser.egress import EgressPolicy, EgressProxy

# Chromium must not open connections of its own outside the proxy: WebRTC's UDP is never proxied.
PROXIED_ONLY_ARGS = ("--force-webrtc-ip-handling-policy=disable_non_proxied_udp",)


class GuardedPlaywrightHandler(ScrapyPlaywrightDownloadHandler):
    egress: EgressProxy | None = None

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        if crawler.settings.getbool("RECEIPTS_ALLOW_PRIVATE"):
            return
        policy = EgressPolicy.from_origin_map(dict(crawler.settings.getdict("RECEIPTS_ORIGIN_MAP")))
        self.egress = EgressProxy(policy).start()
        crawler.browser_egress = self.egress  # type: ignore[attr-defined]  # read by the page guard
        self.config.launch_options = guarded_launch_options(self.config.launch_options, self.egress.url)

    async def _close(self) -> None:
        try:
            await super()._close()
        finally:
            if self.egress is not None:
                self.egress.stop()


def guarded_launch_options(options: dict[str, Any], proxy_url: str) -> dict[str, Any]:
    """Launch options that send every browser connection, loopback included, through *proxy_url*."""
    args = [a for a in options.get("args", []) if not a.startswith(("--proxy-server", "--proxy-bypass-list"))]
    return {**options, "args": [*args, *PROXIED_ONLY_ARGS],
            # naming <-loopback> here keeps loopback proxied even where Playwright's own default is off
            "proxy": {"server": proxy_url, "bypass": "<-loopback>"}}
