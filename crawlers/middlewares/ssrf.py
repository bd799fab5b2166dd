"""SSRF guard: every request (and so every redirect hop) must resolve to a public address.

Origins routed by ``RECEIPTS_ORIGIN_MAP`` are operator-trusted and skipped, as is everything when
``RECEIPTS_ALLOW_PRIVATE=1``. Resolution happens on the asyncio loop (non-blocking) and is cached
per host for the crawl. A blocked request is recorded as a failed capture by the capture middleware.
"""

from __future__ import annotations

import asyncio
import socket
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest

from receipts.origin import route
from receipts.urlcheck import address_problem, host_problem


class BlockedAddress(IgnoreRequest):
    """The request would reach a loopback, private, link-local, multicast or metadata address."""


class SSRFMiddleware:
    def __init__(self, origin_map: dict[str, str], allow_private: bool) -> None:
        self.origin_map = origin_map
        self.allow_private = allow_private
        self.cache: dict[tuple[str, int], str | None] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SSRFMiddleware:
        return cls(dict(crawler.settings.getdict("RECEIPTS_ORIGIN_MAP")), crawler.settings.getbool("RECEIPTS_ALLOW_PRIVATE"))

    async def process_request(self, request: Request) -> None:
        if self.allow_private or request.meta.get("transport_url") == request.url:
            return None  # mapped by the origin map: operator-trusted
        if route(request.url, self.origin_map) != request.url:
            return None
        parts = urlsplit(request.url)
        if parts.scheme not in ("http", "https"):
            raise BlockedAddress(f"scheme {parts.scheme!r} is not fetched")
        host = (parts.hostname or "").lower()
        port = parts.port or (443 if parts.scheme == "https" else 80)
        key = (host, port)
        if key not in self.cache:
            self.cache[key] = await self._problem(host, port)
        problem = self.cache[key]
        if problem:
            raise BlockedAddress(problem)
        return None

    async def _problem(self, host: str, port: int) -> str | None:
        if problem := host_problem(host):
            return problem
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
        except (OSError, UnicodeError) as exc:
            return f"cannot resolve {host}: {exc}"
        return address_problem(host, (info[4][0] for info in infos))
