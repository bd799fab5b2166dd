"""Storage: the item pipeline and the per-crawl writer every component writes through.

The writer owns the crawl document and the archive calls; captures come from the capture
middleware, articles and posts from the pipeline. At the end of a crawl the pipeline joins
each reference with its post's state (``archived`` / ``deleted`` / ``unavailable`` / ``error``).
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Spider
from scrapy.crawler import Crawler

from crawlers.items import ArticleItem, CrawlErrorItem, PostItem, ReferenceResolvedItem
from receipts.changes import article_events, post_events
from receipts.db import get_database
from receipts.db.archive import Archive
from receipts.models import Article, Capture, Post, Reference, utcnow

log = logging.getLogger(__name__)

_POST_TO_REF_STATUS = {"live": "archived", "deleted": "deleted", "unavailable": "unavailable", "error": "error"}
_KIND_RANK = {"embed": 0, "link": 1, "media_link": 2, "attribution": 3}


class ArchiveWriter:
    """All writes of one crawl. Hooks (``capture_hooks``) let evidence writers see every fetch."""

    def __init__(self, archive: Archive, crawl_id: str | None) -> None:
        self.archive = archive
        self.crawl_id = crawl_id
        self.capture_hooks: list[Any] = []
        self.captures = 0

    def add_capture(self, capture: Capture, body: bytes | None, request: Any = None, response: Any = None) -> Capture:
        for hook in self.capture_hooks:
            try:
                hook(capture, body, request, response)
            except Exception:  # evidence hooks must never break the crawl
                log.exception("capture hook failed for %s", capture.requested_url)
        self.archive.add_capture(capture, body)
        self.captures += 1
        return capture

    def save_article(self, article: Article, capture_id: str | None) -> Article:
        return self.archive.save_article(article, capture_id)

    def save_post(self, post: Post, capture_id: str | None) -> tuple[Post, Post | None]:
        return self.archive.save_post(post, capture_id)


def get_writer(crawler: Crawler) -> ArchiveWriter:
    writer = getattr(crawler, "_receipts_writer", None)
    if writer is None:
        archive = Archive(get_database())
        writer = ArchiveWriter(archive, getattr(crawler.spider, "crawl_id", None))
        crawler._receipts_writer = writer  # type: ignore[attr-defined]
    return writer


def merge_references(refs: list[Reference]) -> list[Reference]:
    """One reference per post: later duplicates give their locations to the first."""
    out: list[Reference] = []
    by_key: dict[str, Reference] = {}
    for ref in refs:
        key = ref.key
        first = by_key.get(key)
        if first is None:
            by_key[key] = ref
            out.append(ref)
            continue
        first.locations.extend(loc for loc in ref.locations if loc not in first.locations)
        if _KIND_RANK[ref.kind] < _KIND_RANK[first.kind]:
            for field in ("kind", "displayed_text", "displayed_date", "variant", "url"):
                setattr(first, field, getattr(ref, field))
        first.handle = first.handle or ref.handle
        first.display_name = first.display_name or ref.display_name
        first.displayed_text = first.displayed_text or ref.displayed_text
        first.in_body = first.in_body or ref.in_body
        if ref.offsets and (first.offsets is None or ref.offsets[0] < first.offsets[0]):
            first.offsets = ref.offsets
    return out


class StoragePipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.article_id: str | None = None
        self.post_ids: list[str] = []
        self.resolved: list[ReferenceResolvedItem] = []
        self.errors: list[dict[str, Any]] = []
        self.fatal = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StoragePipeline:
        return cls(crawler)

    @property
    def writer(self) -> ArchiveWriter:
        return get_writer(self.crawler)

    def process_item(self, item: Any) -> Any:
        if isinstance(item, ArticleItem):
            previous = self.writer.archive.get_article(item.article.id)
            self.writer.save_article(item.article, item.capture_id)
            self.emit(article_events(previous, item.article), item.article.id)
            self.article_id = item.article.id
            self.writer.archive.update_crawl(self.writer.crawl_id or "", {"article_id": self.article_id})
        elif isinstance(item, PostItem):
            stored, previous = self.writer.save_post(item.post, item.capture_id)
            self.emit(post_events(previous, item.post), stored.id)
            if stored.id not in self.post_ids:
                self.post_ids.append(stored.id)
        elif isinstance(item, ReferenceResolvedItem):
            self.resolved.append(item)
        elif isinstance(item, CrawlErrorItem):
            self.errors.append({"url": item.url, "error": item.error, "fatal": item.fatal,
                                "at": utcnow(), **item.context})
            self.fatal = self.fatal or item.fatal
        return item

    def emit(self, events: list[tuple[str, dict[str, Any]]], subject_id: str) -> None:
        for type_, data in events:
            self.writer.archive.add_event(type_, subject_id, {**data, "crawl_id": self.writer.crawl_id})

    def close_spider(self, spider: Spider | None = None) -> None:
        spider = spider or self.crawler.spider
        archive = self.writer.archive
        if self.article_id:
            self.finalize_article(archive, self.article_id)
        stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
        errors = self.errors + list(getattr(spider, "errors", []))
        archive.update_crawl(self.writer.crawl_id or "", {
            "finished_at": utcnow(),
            "status": "failed" if self.fatal or (not self.article_id and not getattr(spider, "post_keys", None)) else ("done_with_errors" if errors else "done"),
            "post_ids": self.post_ids,
            "stats": {
                "requests": int(stats.get("downloader/request_count", 0)),
                "responses": int(stats.get("downloader/response_count", 0)),
                "captures": self.writer.captures,
                "posts": len(self.post_ids),
                "retries": int(stats.get("retry/count", 0)),
                "bytes": int(stats.get("downloader/response_bytes", 0)),
                "item_errors": len(errors),
            },
        }, push_errors=errors)

    def finalize_article(self, archive: Archive, article_id: str) -> None:
        article = archive.get_article(article_id)
        if article is None:
            return
        resolved = {r.url: r for r in self.resolved}
        refs: list[Reference] = []
        for ref in article.references:
            if ref.kind == "media_link" and ref.post_id is None and ref.url in resolved:
                res = resolved[ref.url]
                if res.post_id:
                    ref.post_id = res.post_id
                elif res.error:
                    ref.status, ref.error = "error", res.error
                else:
                    continue  # a short link to something that is not a post: not a reference
            refs.append(ref)
        refs = merge_references(refs)
        cites_deleted = cites_edited = False
        for ref in refs:
            if ref.post_id is None:
                if ref.status not in ("error",):
                    ref.status = "unresolved"
                continue
            post = archive.get_post(f"{ref.platform}:{ref.post_id}")
            if post is None:
                ref.status = "error"
                ref.error = ref.error or "post was not fetched"
                continue
            ref.status = _POST_TO_REF_STATUS[post.status]  # type: ignore[assignment]
            ref.error = post.status_reason if post.status == "error" else None
            cites_deleted = cites_deleted or post.status == "deleted"
            cites_edited = cites_edited or len(post.edit_ids) > 1 or len(post.versions) > 1
        archive.set_references(article_id, refs, cites_deleted=cites_deleted, cites_edited=cites_edited)
