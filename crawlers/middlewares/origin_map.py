"""Downloader middleware applying ``RECEIPTS_ORIGIN_MAP`` to every request.

Sits next to the downloader: the request is re-issued to the mapped URL, and the response is
handed back under the original URL, so redirects, captures and the spider only ever see
real-world URLs. The transport URL is kept in ``meta["transport_url"]`` for the capture.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response

from receipts.origin import route

REISSUED_STAT = "receipts/origin_map/reissued"  # Scrapy counts a re-issued request twice


class OriginMapMiddleware:
    def __init__(self, origin_map: dict[str, str], stats: Any = None) -> None:
        self.origin_map = origin_map
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> OriginMapMiddleware:
        return cls(dict(crawler.settings.getdict("RECEIPTS_ORIGIN_MAP")), crawler.stats)

    def process_request(self, request: Request) -> Request | None:
        if request.meta.get("transport_url") == request.url:
            return None  # already mapped
        if request.meta.get("playwright"):
            return None  # a browser render: the page maps its own requests (crawlers.browser.routing)
        target = route(request.url, self.origin_map)
        if target == request.url:
            return None
        meta = {**request.meta, "original_url": request.url, "transport_url": target}
        if self.stats is not None:
            self.stats.inc_value(REISSUED_STAT)
        return request.replace(url=target, meta=meta, dont_filter=True)

    def process_response(self, request: Request, response: Response) -> Response:
        original = request.meta.get("original_url")
        if not original:
            return response
        headers = response.headers.copy()
        if b"Location" in headers:  # relative redirects resolve against the original URL
            location = headers[b"Location"].decode("latin-1")
            headers[b"Location"] = urljoin(original, location).encode("latin-1")
        # keep response.request (and so response.meta) the very request object: later
        # middlewares record into its meta (capture ids)
        return response.replace(url=original, headers=headers)
