"""Scrapy's retry, plus waiting: honour ``Retry-After`` on 429/503, else exponential backoff.

A 429 or 5xx is never an answer about a post; after the last retry the response goes to the
spider, which records an ``error`` (not a deletion).
"""

from __future__ import annotations

import asyncio
from email.utils import parsedate_to_datetime

from scrapy import Request
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Response
from scrapy.settings import BaseSettings
from scrapy.utils.response import response_status_message

from receipts.models import utcnow


def retry_after_seconds(value: bytes | str | None) -> float | None:
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - utcnow()).total_seconds())


class RetryAfterMiddleware(RetryMiddleware):
    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        self.max_wait = settings.getfloat("RETRY_MAX_WAIT", 60.0)
        self.base_backoff = settings.getfloat("RETRY_BACKOFF_BASE", 0.5)

    async def process_response(self, request: Request, response: Response) -> Request | Response:  # type: ignore[override]
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        retries = request.meta.get("retry_times", 0)
        if retries >= request.meta.get("max_retry_times", self.max_retry_times):
            return response  # give up: the spider sees the last answer
        wait = retry_after_seconds(response.headers.get(b"Retry-After"))
        if wait is None:
            wait = self.base_backoff * (2**retries)
        if wait > self.max_wait:
            return response  # the server asks for longer than we wait inside one crawl
        if wait > 0:
            await asyncio.sleep(wait)
        return self._retry(request, response_status_message(response.status)) or response
