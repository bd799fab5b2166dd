"""Storage: the item pipeline, writing articles and posts through the crawl's writer.

The writer (:mod:`pipelines.writer`) owns the archive calls and the spool; this pipeline owns
items and the crawl document's outcome. At the end of a crawl it joins each reference with its
post's state (``archived`` / ``deleted`` / ``unavailable`` / ``error``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import Counter
from typing import Any

from scrapy import Spider
from scrapy.crawler import Crawler

from crawlers.config import crawl_config
from crawlers.items import (
    ArticleCheckedItem,
    ArticleItem,
    CrawlErrorItem,
    PostItem,
    PostMovedItem,
    QuoteResolvedItem,
    ReferenceResolvedItem,
    ScreenshotItem,
)
from crawlers.middlewares.origin_map import REISSUED_STAT
from pipelines.screenshots import store_screenshot
from pipelines.spool import DB_DOWN_ERRORS
from pipelines.writer import ArchiveWriter, get_writer, replay_leftover_spool
from receipts.changes import article_events, post_events
from receipts.db.archive import Archive
from receipts.db.recrawl import record_article_check
from receipts.evidence.warc import post_urn
from receipts.models import Article, Post, Reference, Resolution, utcnow
from receipts.quotes.article import (
    apply_search,
    check_references,
    previous_checks,
    previous_resolutions,
    recheck_article,
)
from receipts.references import merge_references

log = logging.getLogger(__name__)

_POST_TO_REF_STATUS = {"live": "archived", "deleted": "deleted", "unavailable": "unavailable", "error": "error"}
UNFINISHED = "not fetched: the crawl was interrupted before it got to this reference"


class StoragePipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.article_id: str | None = None
        self.post_ids: list[str] = []
        self._post_set: set[str] = set()
        self.resolved: list[ReferenceResolvedItem] = []
        self.errors: list[dict[str, Any]] = []
        self.fatal = False
        self.post_shots: dict[str, str] = {}  # post key → screenshot sha256
        self.embed_shots: dict[str, str] = {}  # reference key → embed screenshot sha256
        self.quotes: dict[str, QuoteResolvedItem] = {}  # quote key → search outcome
        self.moved: dict[str, PostMovedItem] = {}  # post key a reference named → its stable key (or no post)
        self.previous_article: Article | None = None  # as stored before this crawl (quote checks, resolutions)
        self.changed_posts: set[str] = set()  # posts whose status or text changed in this crawl
        self.checked: ArticleCheckedItem | None = None  # a re-crawl found the article unchanged

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StoragePipeline:
        return cls(crawler)

    @property
    def writer(self) -> ArchiveWriter:
        return get_writer(self.crawler)

    def open_spider(self, spider: Spider | None = None) -> None:
        """Before this crawl writes anything, write what earlier runs left in the spool."""
        replay_leftover_spool(self.writer.archive, self.writer.spool.dir)

    async def process_item(self, item: Any) -> Any:
        if isinstance(item, CrawlErrorItem | ReferenceResolvedItem | QuoteResolvedItem):
            self.handle(item)  # in-memory only
            return item
        writer = self.writer
        if isinstance(item, PostItem):  # batched with the posts queued beside it
            await asyncio.wrap_future(writer.submit_many("post", item, self.write_posts))
        else:
            await asyncio.wrap_future(writer.submit(lambda: writer.guarded(lambda: self.handle(item), "item", item)))
        return item

    def write_posts(self, items: list[PostItem]) -> bool:
        return self.writer.guarded_many(lambda: self.handle_posts(items), "item", items)

    def handle_posts(self, items: list[PostItem]) -> None:
        """Store fetched posts (one read, one bulk write), their JSON resource records and events."""
        saved = self.writer.archive.save_posts([(item.post, item.capture_id) for item in items])
        events: list[tuple[str, str, dict[str, Any]]] = []
        for item, (stored, previous) in zip(items, saved, strict=True):
            self.writer.add_resource(post_urn(stored.id), "application/json",
                                     json.dumps(stored.to_json(), sort_keys=True, ensure_ascii=False).encode(),
                                     {"target_id": stored.id, "capture_id": item.capture_id, "kind": "post_json"})
            changes = post_events(previous, item.post)
            events += [(type_, stored.id, {**data, "crawl_id": self.writer.crawl_id}) for type_, data in changes]
            if changes:
                self.changed_posts.add(stored.id)
            if stored.id not in self._post_set:
                self._post_set.add(stored.id)
                self.post_ids.append(stored.id)
        self.writer.archive.add_events(events)

    def handle(self, item: Any) -> None:
        if isinstance(item, ArticleItem):
            previous = self.writer.archive.get_article(item.article.id)
            self.previous_article = previous
            self.writer.save_article(item.article, item.capture_id)
            self.emit(article_events(previous, item.article), item.article.id)
            self.article_id = item.article.id
            self.writer.archive.update_crawl(self.writer.crawl_id or "", {"article_id": self.article_id})
        elif isinstance(item, ArticleCheckedItem):
            record_article_check(self.writer.archive, item.article_id, item.capture_id)
            self.checked = item
            self.article_id = item.article_id
            self.writer.archive.update_crawl(self.writer.crawl_id or "", {"article_id": self.article_id})
        elif isinstance(item, PostItem):
            self.handle_posts([item])
        elif isinstance(item, ReferenceResolvedItem):
            self.resolved.append(item)
        elif isinstance(item, QuoteResolvedItem):
            self.quotes[item.quote_key] = item
        elif isinstance(item, PostMovedItem):
            self.moved[item.old_key] = item
        elif isinstance(item, ScreenshotItem):
            sha256 = store_screenshot(self.writer, item, crawl_config(self.crawler.settings).tmp_dir)
            shots = self.post_shots if item.kind == "post" else self.embed_shots
            shots[item.ref_key or item.subject_id] = sha256
        elif isinstance(item, CrawlErrorItem):
            self.errors.append({"url": item.url, "error": item.error, "fatal": item.fatal,
                                "at": utcnow(), **item.context})
            self.fatal = self.fatal or item.fatal

    def replay_spool(self) -> None:
        """Write what was spooled during an outage, waiting up to RECEIPTS_SPOOL_WAIT for MongoDB."""
        if not self.writer.spool.pending():
            return
        deadline = time.monotonic() + crawl_config(self.crawler.settings).spool_wait
        while True:
            try:
                self.writer.archive.db.command("ping")
                break
            except DB_DOWN_ERRORS:
                if time.monotonic() > deadline:
                    raise
                time.sleep(1)
        self.writer.breaker.down_until = 0.0

        def write(kind: str, payload: Any) -> None:
            if kind == "capture":
                self.writer.archive.add_capture(*payload)
            else:
                self.handle(payload)

        replayed = self.writer.spool.replay(write)
        log.warning("MongoDB is back: %d spooled entries written", replayed)

    def emit(self, events: list[tuple[str, dict[str, Any]]], subject_id: str) -> None:
        self.writer.archive.add_events([(type_, subject_id, {**data, "crawl_id": self.writer.crawl_id})
                                        for type_, data in events])

    def close_spider(self, spider: Spider | None = None) -> None:
        try:
            self._close(spider or self.crawler.spider)
        finally:
            self.writer.spool.close()  # what is still spooled becomes claimable by the next run

    def _close(self, spider: Spider | None) -> None:
        archive = self.writer.archive
        self.writer.flush()
        try:
            self.replay_spool()
        except DB_DOWN_ERRORS:
            log.error("MongoDB still unreachable: %d entries stay in %s for the next run",
                      len(self.writer.spool.pending()), self.writer.spool.dir)
            return
        for post_id, sha256 in self.post_shots.items():  # posts are saved by now, whatever the item order
            archive.update_post_fields(post_id, {"screenshot_sha256": sha256})
        # Crawler.stop() (SIGTERM/SIGINT, close reason "shutdown") clears ``crawling`` before the
        # spider closes; a crawl that ran out of work, or closed itself, still has it set
        interrupted = not self.crawler.crawling
        fetched = set(self.post_ids)
        skipped = {key: why for key, why in getattr(spider, "skipped", {}).items() if key not in fetched}
        if self.checked is not None and self.article_id:
            refs = self.refresh_checked_article(archive, self.article_id)
        else:
            refs = self.finalize_article(archive, self.article_id, skipped, interrupted) if self.article_id else []
        self.refresh_citing_articles(archive)
        stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
        errors = self.errors + list(getattr(spider, "errors", []))
        ref_errors = sum(1 for ref in refs if ref.status == "error")
        unfinished = sum(1 for ref in refs if ref.error == UNFINISHED)
        not_fetched = sorted(set(getattr(spider, "seen_posts", ())) - fetched)
        if interrupted:
            if self.article_id:
                what = f"{unfinished} reference(s)"
            elif getattr(spider, "url", None):
                what, unfinished = "the article", 1
            else:
                what, unfinished = f"{len(not_fetched)} post(s)", len(not_fetched)
            errors.append({"url": getattr(spider, "url", None) or None, "at": utcnow(), "fatal": False,
                           "error": f"crawl interrupted (stopped by a signal) before it finished: {what} not fetched"})
        archive.update_crawl(self.writer.crawl_id or "", {
            "finished_at": utcnow(),
            "status": self.final_status(spider, errors, interrupted, ref_errors),
            "degraded": self.degraded,  # an item or a capture went through the spool
            "spooled": self.writer.spool.written,
            "post_ids": self.post_ids,
            "skipped": sorted(skipped),  # posts, short links and quotes over RECEIPTS_MAX_POSTS_PER_ARTICLE
            "unfinished_posts": not_fetched if interrupted else [],
            "stats": {
                # requests sent: one the origin map re-issued to the fake web is one request, not two
                "requests": int(stats.get("downloader/request_count", 0)) - int(stats.get(REISSUED_STAT, 0)),
                "responses": int(stats.get("downloader/response_count", 0)),
                "captures": self.writer.captures,
                "posts": len(self.post_ids),
                "retries": int(stats.get("retry/count", 0)),
                "bytes": int(stats.get("downloader/response_bytes", 0)),
                "item_errors": len(errors),
                "reference_errors": ref_errors,  # unfinished references of an interrupted crawl included
                "errors": len(errors) + ref_errors,
                "unfinished": unfinished,
                "skipped": len(skipped),
                "references": dict(Counter(ref.status for ref in refs)),
                "recrawl": self.recrawl_stats(spider, stats),
            },
        }, push_errors=errors)

    def refresh_citing_articles(self, archive: Archive) -> None:
        """A post that changed (re-check, or cited elsewhere too) updates every article citing it:
        its ``cites_deleted``/``cites_edited`` flags and its quote checks (``quote_changed`` events)."""
        for post_id in sorted(self.changed_posts):
            for article_id in archive.citing_articles(post_id):
                if article_id == self.article_id and self.checked is None:
                    continue  # finalized just now
                archive.refresh_citing_flags(article_id)
                for event in recheck_article(archive, article_id):
                    log.info("quote check changed: %s", event.get("data"))

    def refresh_checked_article(self, archive: Archive, article_id: str) -> list[Reference]:
        """An unchanged article keeps its stored references; those whose post this crawl re-fetched
        take that post's state (flags and quote checks follow in :meth:`refresh_citing_articles`)."""
        article = archive.get_article(article_id)
        if article is None:
            return []
        fetched = set(self.post_ids)
        changed = False
        for ref in article.references:
            key = f"{ref.platform}:{ref.post_id}"
            if not ref.post_id or key not in fetched or (post := archive.get_post(key)) is None:
                continue
            status = _POST_TO_REF_STATUS[post.status]
            error = post.status_reason if post.status == "error" else None
            if (ref.status, ref.error) != (status, error):
                ref.status, ref.error, changed = status, error, True  # type: ignore[assignment]
        if changed:
            archive.set_references(article_id, article.references)
            archive.refresh_citing_flags(article_id)
        return article.references

    def recrawl_stats(self, spider: Spider | None, stats: dict[str, Any]) -> dict[str, Any]:
        """How a re-crawl used the earlier one: the article check, posts not fetched, media not downloaded."""
        return {
            "article": self.checked.how if self.checked else (
                "changed" if getattr(spider, "previous", {}).get("article_id") and self.article_id else None),
            "confirms_capture_id": self.checked.confirms_capture_id if self.checked else None,
            "posts_fresh": len(getattr(spider, "fresh_posts", [])),
            "media_known": int(stats.get("receipts/media/known", 0)),
        }

    @property
    def degraded(self) -> bool:
        return self.writer.spool.written > 0

    def final_status(self, spider: Spider | None, errors: list[dict[str, Any]], interrupted: bool = False,
                     ref_errors: int = 0) -> str:
        if self.fatal:
            return "failed"
        if interrupted:
            return "interrupted"  # stopped part-way: what was fetched is kept, the rest is counted
        if not self.article_id and not getattr(spider, "post_keys", None):
            return "failed"
        if self.degraded:
            return "degraded"  # everything was written, late: MongoDB was unreachable for a while
        return "done_with_errors" if errors or ref_errors else "done"

    def finalize_article(self, archive: Archive, article_id: str, skipped: dict[str, str] | None = None,
                         interrupted: bool = False) -> list[Reference]:
        """Join each reference with its post's state; returns the references as stored.

        Over the per-article cap a reference is ``skipped`` (with ``skipped_reason``); when the
        crawl was interrupted, one it never got to is an ``error`` (:data:`UNFINISHED`)."""
        article = archive.get_article(article_id)
        if article is None:
            return []
        skipped = skipped or {}
        fetched = set(self.post_ids)
        resolved = {r.url: r for r in self.resolved}
        refs: list[Reference] = []
        for ref in article.references:
            if (moved := self.moved.get(ref.key)) is not None:
                if moved.new_key is None:
                    log.info("reference dropped", extra={"article_id": article_id, "key": ref.key,
                                                         "reason": moved.reason})
                    continue  # the URL only looked like a post
                ref.platform, _, ref.post_id = moved.new_key.partition(":")
            if ref.kind == "media_link" and ref.post_id is None and ref.url in resolved:
                res = resolved[ref.url]
                if res.post_id:
                    ref.platform, ref.post_id = res.platform or ref.platform, res.post_id
                elif res.error:
                    ref.status, ref.error = "error", res.error
                else:
                    continue  # a short link to something that is not a post: not a reference
            if ref.kind == "attribution" and ref.post_id is None:
                # a flattened embed's own media link resolved to its post
                link = next((resolved[loc.url] for loc in ref.locations if loc.url in resolved
                             and resolved[loc.url].post_id), None)
                if link is not None:
                    ref.platform, ref.post_id = link.platform or ref.platform, link.post_id
                    ref.resolution = Resolution(provider="short_link", query=link.url, score=1.0)
                    ref.unresolved_reason = None
            if ref.kind == "attribution" and ref.post_id is None and ref.key in self.quotes:
                found = self.quotes[ref.key]
                apply_search(ref, found.post_id, found.resolution, found.candidates, found.reason,
                             previous_resolutions(self.previous_article).get(ref.key))
            refs.append(ref)
        refs = merge_references(refs)
        for ref in refs:
            ref.screenshot_sha256 = self.embed_shots.get(ref.key, ref.screenshot_sha256)
        cites_deleted = cites_edited = False
        found = archive.get_posts(f"{ref.platform}:{ref.post_id}" for ref in refs if ref.post_id)
        posts: dict[str, Post | None] = {key: found.get(key) for key in
                                         (f"{ref.platform}:{ref.post_id}" for ref in refs if ref.post_id)}
        for ref in refs:
            reason = skip_reason(ref, skipped, fetched)
            if reason:
                ref.status, ref.skipped_reason, ref.error = "skipped", reason, None
                continue
            ref.skipped_reason = None
            if ref.post_id is None:
                if interrupted and ref.status != "error" and not self.reached(ref):
                    ref.status, ref.error = "error", UNFINISHED
                elif ref.status not in ("error",):
                    ref.status = "unresolved"
                continue
            post = posts[f"{ref.platform}:{ref.post_id}"]
            if post is None:
                ref.status = "error"
                ref.error = UNFINISHED if interrupted else ref.error or "post was not fetched"
                continue
            ref.status = _POST_TO_REF_STATUS[post.status]  # type: ignore[assignment]
            ref.error = post.status_reason if post.status == "error" else None
            cites_deleted = cites_deleted or post.status == "deleted"
            cites_edited = cites_edited or post.edited
        self.emit(check_references(archive, article, refs, previous_checks(self.previous_article), posts), article_id)
        archive.set_references(article_id, refs, cites_deleted=cites_deleted, cites_edited=cites_edited)
        archive.add_citations((f"{ref.platform}:{ref.post_id}" for ref in refs if ref.post_id), article_id)
        return refs

    def reached(self, ref: Reference) -> bool:
        """Whether the crawl finished with a reference that has no post: its short link resolved, its
        quote searched."""
        if ref.kind == "media_link":
            return any(r.url == ref.url for r in self.resolved)
        if ref.kind == "attribution":
            return ref.key in self.quotes or not (ref.displayed_text or "").strip()
        return True


def skip_reason(ref: Reference, skipped: dict[str, str], fetched: set[str]) -> str | None:
    """Why *ref* was not fetched because of the per-article cap (None when it was, or was not capped)."""
    if ref.post_id:
        key = f"{ref.platform}:{ref.post_id}"
        return skipped.get(key) if key not in fetched else None
    if ref.kind == "media_link" and ref.url:
        return skipped.get(ref.url)
    if ref.kind == "attribution":
        return skipped.get(ref.key)  # its search was over the cap
    return None
