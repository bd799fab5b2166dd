"""The article spider: article → references → posts (→ quoted posts), one crawl per article.

``scrapy crawl article -a url=https://…`` or ``receipts crawl URL``. Each post is fetched
through its platform's routes in order (syndication, then oEmbed); a route that errors
(timeout, 5xx, 429 after retries, malformed body) hands over to the next one, and only an
explicit answer from the platform (tombstone, ``{}``, 404) marks a post deleted/unavailable.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from crawlers.discovery import extract_article
from crawlers.items import ArticleItem, CrawlErrorItem, PostItem, ReferenceResolvedItem
from crawlers.platforms.base import FetchPlan, PlatformClient
from crawlers.platforms.x.client import XClient, tco_outcome
from crawlers.platforms.x.urls import canonical_post_url, status_id_from_url
from receipts.db.archive import new_id
from receipts.models import Post

HTML_TYPES = ("text/html", "application/xhtml+xml")
CURL_UA = "curl/8.5.0"  # t.co answers non-browser agents with a plain 301 (FORMATS §4)


def _header_dict(response: Response) -> dict[str, str]:
    return {k.decode("latin-1").lower(): b", ".join(v).decode("latin-1") for k, v in response.headers.items()}


class ArticleSpider(scrapy.Spider):
    name = "article"
    custom_settings = {"HTTPERROR_ALLOW_ALL": True}

    def __init__(self, url: str | None = None, crawl_id: str | None = None, posts: str | list[str] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(posts, str):
            posts = [p for p in posts.split(",") if p]
        self.post_keys: list[str] = list(posts or [])  # re-check mode: fetch these posts, no article
        if not url and not self.post_keys:
            raise ValueError("the article spider needs -a url=https://… (or -a posts=x:ID,…)")
        self.url = url or ""
        self.crawl_id = crawl_id or new_id("cr")
        self.platforms: dict[str, PlatformClient] = {"x": XClient()}
        self.seen_posts: set[str] = set()
        self.article_id: str | None = None
        self.errors: list[dict[str, Any]] = []

    async def start(self) -> AsyncIterator[Any]:
        for key in self.post_keys:
            platform, _, post_id = key.partition(":")
            for request in self.fetch_post(platform, post_id):
                yield request
        if not self.url:
            return
        yield scrapy.Request(self.url, callback=self.parse_article, errback=self.article_failed,
                             meta={"route": "article", "target_type": "article", "requested_url": self.url},
                             dont_filter=True)

    # -- article ----------------------------------------------------------------------------
    def parse_article(self, response: Response) -> Iterator[Any]:
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1").lower()
        if response.status >= 400:
            yield CrawlErrorItem(self.url, f"article fetch failed: HTTP {response.status}", fatal=True)
            return
        if content_type and not any(t in content_type for t in HTML_TYPES):
            yield CrawlErrorItem(self.url, f"not an HTML page (Content-Type: {content_type.split(';')[0]})",
                                 fatal=True)
            return
        extract = extract_article(response.body, response.url)
        article = extract.to_article()
        self.article_id = article.id
        yield ArticleItem(article, response.meta.get("capture_id"))
        for ref in article.references:
            if ref.post_id:
                yield from self.fetch_post(ref.platform, ref.post_id, handle=ref.handle)
            elif ref.kind == "media_link" and ref.url:
                yield scrapy.Request(
                    ref.url, callback=self.parse_short_link, errback=self.short_link_failed,
                    headers={"User-Agent": CURL_UA},
                    meta={"route": "tco", "target_type": "link", "target_id": ref.url, "requested_url": ref.url,
                          "dont_redirect": True, "short_url": ref.url, "hops": 0},
                    dont_filter=True)

    def article_failed(self, failure: Failure) -> Iterator[Any]:
        yield CrawlErrorItem(self.url, f"article fetch failed: {failure.getErrorMessage()}", fatal=True)

    # -- short links ------------------------------------------------------------------------
    def parse_short_link(self, response: Response) -> Iterator[Any]:
        short = response.meta["short_url"]
        target = tco_outcome(response.status, _header_dict(response), response.body)
        if target and status_id_from_url(target) is None and response.meta["hops"] < 5 and "t.co/" in target:
            yield response.request.replace(url=target, meta={**response.meta, "hops": response.meta["hops"] + 1,
                                                              "requested_url": target}, dont_filter=True)
            return
        post_id = status_id_from_url(target) if target else None
        error = None if target else f"short link did not resolve (HTTP {response.status})"
        yield ReferenceResolvedItem(self.article_id or "", short, post_id, target, error)
        if post_id:
            yield from self.fetch_post("x", post_id)

    def short_link_failed(self, failure: Failure) -> Iterator[Any]:
        short = failure.request.meta["short_url"]  # type: ignore[attr-defined]
        yield ReferenceResolvedItem(self.article_id or "", short, None, None, failure.getErrorMessage())

    # -- posts ------------------------------------------------------------------------------
    def fetch_post(self, platform: str, post_id: str, route_index: int = 0, handle: str | None = None,
                   errors: list[str] | None = None) -> Iterator[Any]:
        key = f"{platform}:{post_id}"
        if route_index == 0:
            if key in self.seen_posts:
                return
            self.seen_posts.add(key)
        client = self.platforms[platform]
        plans = client.routes(post_id, handle)
        if route_index >= len(plans):
            reason = "; ".join(errors or []) or "no route answered"
            yield PostItem(Post(id=key, platform=platform, post_id=post_id, url=canonical_post_url(post_id, handle),
                                status="error", status_reason=reason[:500]), None)
            return
        plan = plans[route_index]
        yield scrapy.Request(
            plan.url, headers=plan.headers, callback=self.parse_post, errback=self.post_failed,
            meta={"route": plan.route, "target_type": "post", "target_id": key, "requested_url": plan.url,
                  "platform": platform, "post_id": post_id, "route_index": route_index, "handle": handle,
                  "plan": plan, "route_errors": errors or []},
            dont_filter=True)

    def parse_post(self, response: Response) -> Iterator[Any]:
        meta = response.meta
        client = self.platforms[meta["platform"]]
        plan: FetchPlan = meta["plan"]
        outcome = client.interpret(plan, meta["post_id"], response.status, _header_dict(response), response.body)
        capture_id = meta.get("capture_id")
        key = f"{meta['platform']}:{meta['post_id']}"
        if outcome.kind == "post" and outcome.post is not None:
            outcome.post.route = plan.route
            yield PostItem(outcome.post, capture_id)
            for related in outcome.related_post_ids:
                yield from self.fetch_post(meta["platform"], related)
        elif outcome.kind == "gone":
            yield PostItem(Post(id=key, platform=meta["platform"], post_id=meta["post_id"],
                                url=canonical_post_url(meta["post_id"], meta.get("handle")),
                                status=outcome.status or "unavailable", status_reason=outcome.reason,
                                route=plan.route), capture_id)
        else:
            errors = [*meta["route_errors"], f"{plan.route}: {outcome.error or f'HTTP {response.status}'}"]
            yield from self.fetch_post(meta["platform"], meta["post_id"], meta["route_index"] + 1,
                                       meta.get("handle"), errors)

    def post_failed(self, failure: Failure) -> Iterator[Any]:
        meta = failure.request.meta  # type: ignore[attr-defined]
        errors = [*meta["route_errors"], f"{meta['route']}: {failure.getErrorMessage()}"]
        yield from self.fetch_post(meta["platform"], meta["post_id"], meta["route_index"] + 1, meta.get("handle"),
                                   errors)
