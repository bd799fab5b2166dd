"""Downloader middleware recording every HTTP attempt as an append-only Capture.

Placed just below the retry middleware, it sees each attempt (retried 503s included) and
each transport error, with the original URL restored by the origin-map middleware.

``meta["capture_body"] = False`` (media downloads): a 2xx body is hashed but not copied into
the ``bodies`` bucket; the media pipeline stores those bytes once in ``mediafiles`` and the
capture's ``body_ref`` is ``gridfs:mediafiles/<sha256>``. Error bodies are always kept.

Each capture leaves through the :data:`~crawlers.signals.capture_recorded` signal; the writer
(in ``pipelines/``) listens, so this middleware never imports a pipeline.
"""

from __future__ import annotations

import logging

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response

from crawlers.browser.routing import render_failure
from crawlers.signals import capture_recorded
from receipts.ids import new_id
from receipts.models import Capture, sha256_hex

log = logging.getLogger(__name__)


def _headers(h) -> dict[str, str]:  # scrapy Headers → plain dict, repeated values joined
    out: dict[str, str] = {}
    for key, values in h.items():
        out[key.decode("latin-1")] = ", ".join(v.decode("latin-1") for v in values)
    return out


SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "x-api-key"})


def redact(headers: dict[str, str]) -> dict[str, str]:
    """Credentials never enter the archive (captures, WARC request records)."""
    return {k: ("[redacted]" if k.lower() in SECRET_HEADERS else v) for k, v in headers.items()}


def confirm_recheck(capture: Capture, request: Request, response: Response) -> None:
    """A re-crawl's conditional article request (``meta["recrawl"]``: the earlier capture's id and body
    sha256) that came back unchanged: a 304, or a 200 with the same body. The capture says so, and
    which earlier capture's body it confirms (``meta["confirms_capture_id"]``)."""
    recrawl = request.meta.get("recrawl")
    if not recrawl:
        return
    if response.status == 304:
        capture.outcome = "not_modified"
    elif response.status == 200 and recrawl.get("body_sha256") == sha256_hex(response.body):
        capture.outcome = "unchanged"
    else:
        return
    capture.meta["confirms_capture_id"] = recrawl.get("capture_id")


class CaptureMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self._warned = False

    def _record(self, capture: Capture, body: bytes | None, request: Request, response: Response | None = None,
                store_body: bool = True) -> None:
        """Hand *capture* to whoever writes it (the crawl's writer, via the signal)."""
        receivers = self.crawler.signals.send_catch_log(capture_recorded, capture=capture, body=body,
                                                        request=request, response=response, store_body=store_body)
        if not receivers and not self._warned:
            self._warned = True
            log.warning("no receiver for capture_recorded: captures of this crawl are not stored")
        request.meta["capture_id"] = capture.id
        request.meta.setdefault("capture_ids", []).append(capture.id)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CaptureMiddleware:
        return cls(crawler)

    def _base(self, request: Request) -> Capture:
        meta = request.meta
        spider = self.crawler.spider
        capture = Capture(
            id=new_id("cap"),
            crawl_id=getattr(spider, "crawl_id", None),
            target_type=meta.get("target_type", "link"),
            target_id=meta.get("target_id"),
            route=meta.get("route", "article"),
            # this hop's URL in its original form (redirect hops included)
            requested_url=(meta.get("original_url") if meta.get("transport_url") == request.url else request.url),
            transport_url=meta.get("transport_url"),
            method=request.method,
            request_headers=redact(_headers(request.headers)),
            meta={"attempt": int(meta.get("retry_times", 0)) + 1, "initial_url": meta.get("requested_url"),
                  "redirect_urls": [u for u in meta.get("redirect_urls", [])]},
        )
        if meta.get("browser_blocked"):  # requests of this render the router or the egress proxy refused
            capture.meta["blocked_requests"] = [dict(b) for b in meta["browser_blocked"][:200]]
        return capture

    def process_response(self, request: Request, response: Response) -> Response:
        if request.meta.get("skip_capture"):
            return response
        capture = self._base(request)
        capture.fetched_url = response.url
        capture.http_status = response.status
        capture.headers = _headers(response.headers)
        capture.content_type = capture.headers.get("Content-Type")
        confirm_recheck(capture, request, response)
        blocked = request.meta.get("browser_blocked")
        if "playwright" in response.flags and (failure := render_failure(response.url, blocked)):
            # the browser's error page (or a page whose navigation was refused) is no evidence
            capture.outcome = "error"
            capture.error = f"browser render failed: {failure}"[:500]
            self._record(capture, None, request)
        elif request.meta.get("capture_body", True) is False and 200 <= response.status < 300:
            # media: the bytes go to the media bucket; the capture points there
            capture.body_sha256 = sha256_hex(response.body)
            capture.body_size = len(response.body)
            self._record(capture, response.body, request, response, store_body=False)
        else:
            self._record(capture, response.body, request, response)
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        if request.meta.get("skip_capture"):
            return None
        capture = self._base(request)
        capture.outcome = "error"
        capture.error = f"{type(exception).__name__}: {exception}"[:500]
        self._record(capture, None, request)
        return None
