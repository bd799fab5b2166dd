"""The per-crawl writer every component writes through: the archive calls, the spool, the hooks.

:class:`ArchiveWriter` owns one crawl's writes on one thread (in the order submitted); when MongoDB
is unreachable it spools them (:mod:`pipelines.spool`). Evidence writers hook into it
(``capture_hooks``, ``resource_hooks``). :class:`WriterExtension` connects it to the capture
middleware's :data:`~crawlers.signals.capture_recorded` signal; :func:`replay_leftover_spool`
writes what earlier runs could not.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from scrapy.crawler import Crawler

from crawlers.config import crawl_config
from crawlers.items import ArticleCheckedItem, ArticleItem, PostItem
from crawlers.signals import capture_recorded
from pipelines.spool import DB_DOWN_ERRORS, Breaker, Spool
from receipts.db import get_database
from receipts.db.archive import Archive
from receipts.db.recrawl import record_article_check
from receipts.models import Article, Capture, Post

log = logging.getLogger(__name__)


class ArchiveWriter:
    """All writes of one crawl. Hooks let evidence writers see every fetch (``capture_hooks``) and
    every derived resource such as screenshots or normalised post JSON (``resource_hooks``)."""

    def __init__(self, archive: Archive, crawl_id: str | None, spool_dir: Path) -> None:
        self.archive = archive
        self.crawl_id = crawl_id
        self.capture_hooks: list[Any] = []
        self.resource_hooks: list[Any] = []
        self.captures = 0
        self.spool = Spool(spool_dir, crawl_id)
        self.breaker = Breaker()
        # one writer thread: database round trips leave the reactor, and stay in the order submitted
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="receipts-writer")
        self._pending: list[Future] = []

    def submit(self, fn: Any) -> Future:
        future = self._thread.submit(fn)
        self._pending = [f for f in self._pending if not f.done()]
        self._pending.append(future)
        return future

    def flush(self) -> None:
        """Wait for every submitted write (re-raising the first failure)."""
        pending, self._pending = self._pending, []
        for future in pending:
            future.result()

    def guarded(self, write: Any, kind: str, payload: Any) -> bool:
        """Run *write*; when MongoDB is unreachable spool *payload* instead. True when written now."""
        try:
            self.breaker.check()
            write()
            return True
        except DB_DOWN_ERRORS as exc:
            self.breaker.tripped()
            log.warning("MongoDB unreachable (%s): spooling %s", type(exc).__name__, kind)
            self.spool.put(kind, payload)
            return False

    def add_capture(self, capture: Capture, body: bytes | None, request: Any = None, response: Any = None,
                    store_body: bool = True) -> Capture:
        """Hooks (WARC) see the body; the archive stores it unless *store_body* is False (media: the
        bytes live in the media bucket, the capture only points there)."""
        for hook in self.capture_hooks:
            try:
                hook(capture, body, request, response)
            except Exception:  # evidence hooks must never break the crawl
                log.exception("capture hook failed for %s", capture.requested_url)
        stored = body if store_body else None
        self.submit(lambda: self.guarded(lambda: self.archive.add_capture(capture, stored), "capture",
                                         (capture, stored)))
        self.captures += 1
        return capture

    def add_resource(self, uri: str, content_type: str, data: bytes, meta: dict[str, Any] | None = None) -> str | None:
        """Record a derived resource in the evidence (WARC ``resource`` record); returns its record id.

        ``meta``: ``target_id`` (``x:<id>`` or the article id), ``capture_id`` of the capture it came
        from, ``kind`` (``post_json``, ``post_screenshot``, ``embed_screenshot``…), anything else
        worth keeping as provenance.
        """
        record_id = None
        for hook in self.resource_hooks:
            try:
                record_id = hook(uri, content_type, data, meta) or record_id
            except Exception:  # evidence hooks must never break the crawl
                log.exception("resource hook failed for %s", uri)
        return record_id

    def save_article(self, article: Article, capture_id: str | None) -> Article:
        return self.archive.save_article(article, capture_id)

    def save_post(self, post: Post, capture_id: str | None) -> tuple[Post, Post | None]:
        return self.archive.save_post(post, capture_id)


def get_writer(crawler: Crawler) -> ArchiveWriter:
    writer = getattr(crawler, "_receipts_writer", None)
    if writer is None:
        config = crawl_config(crawler.settings)
        archive = Archive(get_database(config.database_settings()))
        writer = ArchiveWriter(archive, getattr(crawler.spider, "crawl_id", None), config.spool_dir)
        crawler._receipts_writer = writer  # type: ignore[attr-defined]
    return writer


class WriterExtension:
    """Connects the crawl's writer to :data:`~crawlers.signals.capture_recorded` (the capture
    middleware's only way out), so every attempt is written in the order it was recorded."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WriterExtension:
        ext = cls(crawler)
        crawler.signals.connect(ext.capture_recorded, signal=capture_recorded)
        return ext

    def capture_recorded(self, capture: Capture, body: bytes | None, request: Any = None, response: Any = None,
                         store_body: bool = True, **_: Any) -> None:
        get_writer(self.crawler).add_capture(capture, body, request=request, response=response, store_body=store_body)


def replay_leftover_spool(archive: Archive, spool_dir: Path) -> int:
    """Write entries an earlier crawl spooled but could not replay (MongoDB stayed down past its end)."""
    spool = Spool(spool_dir, None)

    def write(kind: str, payload: Any) -> None:
        if kind == "capture":
            archive.add_capture(*payload)
        elif isinstance(payload, ArticleItem):
            archive.save_article(payload.article, payload.capture_id)
        elif isinstance(payload, PostItem):
            archive.save_post(payload.post, payload.capture_id)
        elif isinstance(payload, ArticleCheckedItem):
            record_article_check(archive, payload.article_id, payload.capture_id)
        else:
            log.warning("dropping a spooled %s from an earlier crawl", type(payload).__name__)

    return spool.replay(write, mine_only=False)
