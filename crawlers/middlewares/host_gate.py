"""Downloader middleware: per-host budgets and pauses shared by every crawl (``RECEIPTS_HOST_GATE``).

The runner puts a gate object in the crawler settings (``RECEIPTS_HOST_GATE``: it is
:class:`receipts.db.hostgate.HostGate` in the daemon and the CLI); this module never reads the
database itself. Before a request, the gate says how long to wait (a budget spent for this window, or
a host paused); after a 429 (or a 503 with ``Retry-After``) the host is paused for every crawl on the
database. It runs on the real-world URL, before ``RECEIPTS_ORIGIN_MAP`` re-issues the request, and
alongside AutoThrottle, which still paces each crawl on its own.
"""

from __future__ import annotations

import asyncio
from typing import Protocol
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response

from crawlers.middlewares.retry import retry_after_seconds

DEFAULT_PAUSE = 30.0  # a 429 without Retry-After
MAX_SLEEP = 5.0  # wait in steps, asking again: a pause may be lifted or extended meanwhile


class Gate(Protocol):
    def delay(self, host: str) -> float: ...

    def pause(self, host: str, seconds: float) -> float: ...


class HostGateMiddleware:
    def __init__(self, gate: Gate | None) -> None:
        self.gate = gate

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> HostGateMiddleware:
        return cls(crawler.settings.get("RECEIPTS_HOST_GATE"))

    @staticmethod
    def _host(request: Request) -> str | None:
        if request.meta.get("transport_url") == request.url:
            return None  # the origin-mapped copy of a request the gate already let through
        return urlsplit(request.url).hostname

    async def process_request(self, request: Request) -> None:
        host = self._host(request)
        if self.gate is None or not host:
            return None
        while True:
            wait = await asyncio.to_thread(self.gate.delay, host)
            if wait <= 0:
                return None
            await asyncio.sleep(min(wait, MAX_SLEEP))

    async def process_response(self, request: Request, response: Response) -> Response:
        if self.gate is None or response.status not in (429, 503):
            return response
        retry_after = retry_after_seconds(response.headers.get(b"Retry-After"))
        if response.status == 503 and retry_after is None:
            return response  # a plain outage: Scrapy's retry and AutoThrottle handle it
        host = urlsplit(request.meta.get("original_url") or response.url).hostname
        if host:
            await asyncio.to_thread(self.gate.pause, host, DEFAULT_PAUSE if retry_after is None else retry_after)
        return response
