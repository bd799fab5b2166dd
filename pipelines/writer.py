"""The per-crawl writer every component writes through: the archive calls, the spool, the hooks.

:class:`ArchiveWriter` owns one crawl's writes on one thread (in the order submitted); when MongoDB
is unreachable it spools them (:mod:`pipelines.spool`). Evidence writers hook into it
(``capture_hooks``, ``resource_hooks``). :class:`WriterExtension` connects it to the capture
middleware's :data:`~crawlers.signals.capture_recorded` signal; :func:`replay_leftover_spool`
writes what earlier runs could not.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
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
MAX_BATCH = 200  # writes taken off the queue at once
BATCH_WAIT_S = 0.02  # how long the writer waits for more writes to join a batch


class _Task:
    """One submitted write: *fn* alone, or *payload* for a batch function *many* (``many(payloads)``)."""

    __slots__ = ("fn", "future", "kind", "many", "payload")

    def __init__(self, fn: Callable[[], Any] | None, kind: str = "", payload: Any = None,
                 many: Callable[[list[Any]], Any] | None = None) -> None:
        self.fn, self.kind, self.payload, self.many = fn, kind, payload, many
        self.future: Future = Future()


class ArchiveWriter:
    """All writes of one crawl. Hooks let evidence writers see every fetch (``capture_hooks``) and
    every derived resource such as screenshots or normalised post JSON (``resource_hooks``).

    One writer thread runs the writes in the order submitted. Writes that queue up while it is
    busy are taken together: consecutive batchable ones (:meth:`submit_many`: captures, posts) go
    to the database as one batch, so the round trips per post fall as the crawl gets faster.
    """

    def __init__(self, archive: Archive, crawl_id: str | None, spool_dir: Path) -> None:
        self.archive = archive
        self.crawl_id = crawl_id
        self.capture_hooks: list[Any] = []
        self.resource_hooks: list[Any] = []
        self.captures = 0
        self.spool = Spool(spool_dir, crawl_id)
        self.breaker = Breaker()
        self._queue: queue.SimpleQueue[_Task] = queue.SimpleQueue()
        self._pending: set[Future] = set()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def submit(self, fn: Callable[[], Any]) -> Future:
        return self._put(_Task(fn))

    def submit_many(self, kind: str, payload: Any, many: Callable[[list[Any]], Any]) -> Future:
        """Queue *payload* for ``many(payloads)``, called with this and the neighbouring payloads of
        the same *kind* that are waiting; the future resolves when that batch is written."""
        return self._put(_Task(None, kind, payload, many))

    def _put(self, task: _Task) -> Future:
        with self._lock:
            self._pending.add(task.future)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="receipts-writer", daemon=True)
                self._thread.start()
        task.future.add_done_callback(self._done)
        self._queue.put(task)
        return task.future

    def _done(self, future: Future) -> None:
        with self._lock:
            self._pending.discard(future)

    def _run(self) -> None:
        while True:
            tasks = [self._queue.get()]
            deadline = time.monotonic() + BATCH_WAIT_S
            while len(tasks) < MAX_BATCH:
                try:  # a few ms for the writes right behind this one: one round trip for all of them
                    tasks.append(self._queue.get(timeout=max(0.0, deadline - time.monotonic())))
                except queue.Empty:
                    break
            self._execute(tasks)

    def _execute(self, tasks: list[_Task]) -> None:
        """Plain writes run alone, in order; between two of them, batchable writes run one batch per
        kind, kinds in the order they first came (a post's capture is written before the post)."""
        groups: dict[tuple[Any, str], list[_Task]] = {}  # bound methods compare (and hash) equal
        for task in [*tasks, None]:
            if task is not None and task.many is not None:
                groups.setdefault((task.many, task.kind), []).append(task)
                continue
            for group in groups.values():
                self._run_group(group)
            groups = {}
            if task is not None:
                self._run_group([task])

    @staticmethod
    def _run_group(group: list[_Task]) -> None:
        first = group[0]
        try:
            result = first.fn() if first.fn is not None else first.many([t.payload for t in group])  # type: ignore[misc]
        except BaseException as exc:  # handed to whoever waits on the write
            for t in group:
                t.future.set_exception(exc)
        else:
            for t in group:
                t.future.set_result(result)

    def flush(self) -> None:
        """Wait for every submitted write (re-raising the first failure)."""
        with self._lock:
            pending = list(self._pending)
        for future in pending:
            future.result()

    def guarded(self, write: Any, kind: str, payload: Any) -> bool:
        """Run *write*; when MongoDB is unreachable spool *payload* instead. True when written now."""
        return self.guarded_many(write, kind, [payload])

    def guarded_many(self, write: Any, kind: str, payloads: list[Any]) -> bool:
        """:meth:`guarded` for a batch: when MongoDB is unreachable each payload is spooled."""
        try:
            self.breaker.check()
            write()
            return True
        except DB_DOWN_ERRORS as exc:
            self.breaker.tripped()
            log.warning("MongoDB unreachable (%s): spooling %d %s", type(exc).__name__, len(payloads), kind)
            for payload in payloads:
                self.spool.put(kind, payload)
            return False

    def add_capture(self, capture: Capture, body: bytes | None, request: Any = None, response: Any = None,
                    store_body: bool = True) -> Capture:
        """Hooks (WARC) see the body; the archive stores it unless *store_body* is False (media: the
        bytes live in the media bucket, the capture only points there). Both run on the writer
        thread, batched with the captures queued beside it."""
        self.submit_many("capture", (capture, body, request, response, store_body), self._write_captures)
        self.captures += 1
        return capture

    def _write_captures(self, entries: list[tuple[Capture, bytes | None, Any, Any, bool]]) -> bool:
        items: list[tuple[Capture, bytes | None]] = []
        for capture, body, request, response, store_body in entries:
            for hook in self.capture_hooks:  # annotate before the insert: captures are append-only
                try:
                    hook(capture, body, request, response)
                except Exception:  # evidence hooks must never break the crawl
                    log.exception("capture hook failed for %s", capture.requested_url)
            items.append((capture, body if store_body else None))
        return self.guarded_many(lambda: self.archive.add_captures(items), "capture", items)

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
