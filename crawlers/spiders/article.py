"""The article spider: article → references → posts (→ quoted posts), one crawl per article.

``scrapy crawl article -a url=https://…`` or ``receipts crawl URL``. Each post is fetched
through its platform's routes in order (``crawlers/platforms/<name>``: for X syndication, then
oEmbed, then — when the browser is enabled and the platform's page can be read — the rendered
page); a route that errors (timeout, 5xx, 429 after retries, malformed body) hands over to the
next one, and only an explicit answer from the platform (tombstone, ``{}``, 404) marks a post
deleted/unavailable.

With the browser enabled every live post is also screenshotted on its platform's page, a bare
"not found" (404 / ``{}``) is checked on a readable page (a login wall makes it ``unavailable``,
never ``deleted``), and the article is rendered once to screenshot its embeds as displayed.

A re-crawl gets what the earlier crawl left as ``previous`` (``crawlers.run.previous_crawl``): the article
request is conditional, and an unchanged article (304, or the same body sha256) is only recorded as
checked (:class:`~crawlers.items.ArticleCheckedItem`); its stored posts older than
``RECEIPTS_RECRAWL_FRESH`` are fetched again, the others not at all.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlsplit

import scrapy
from playwright.async_api import Error as PlaywrightError
from scrapy.http import Response
from twisted.python.failure import Failure

from crawlers.browser.capture import Shot, capture_embeds, capture_post, close_page, render_meta
from crawlers.browser.routing import OriginRouter, render_failure
from crawlers.discovery import extract_article
from crawlers.items import (
    ArticleCheckedItem,
    ArticleItem,
    CrawlErrorItem,
    PostItem,
    PostMovedItem,
    ReferenceResolvedItem,
    ScreenshotItem,
)
from crawlers.platforms.base import BrowserPage, EmbedRender, FetchPlan, PageOutcome, Platform
from crawlers.platforms.registry import PLATFORMS, post_ref
from crawlers.spiders.resolve import ResolveMixin
from receipts.ids import new_id
from receipts.models import Post, Reference
from receipts.origin import route as origin_route

HTML_TYPES = ("text/html", "application/xhtml+xml")


MAX_SHORT_LINK_HOPS = 5


log = logging.getLogger(__name__)


def listed_version(version: Post, capture_id: str | None) -> dict[str, Any]:
    """An earlier version the platform lists (an edit history entry), as stored in ``Post.versions``."""
    return {"text": version.text, "edit_ids": [], "seen_at": version.created_at, "capture_id": capture_id,
            "listed_by": "platform"}


def describe_failure(failure: Failure) -> str:
    """One readable line for a download failure (Twisted nests the real reasons)."""
    value = failure.value
    reasons = getattr(value, "reasons", None)
    if reasons:  # ResponseNeverReceived / ResponseFailed wrap a list of Failures
        inner = reasons[0].value if hasattr(reasons[0], "value") else reasons[0]
        return f"{type(inner).__name__}: {inner}".strip()
    message = str(value) or type(value).__name__
    return message.replace("\n", " ")[:500]


def unfollowed_redirect(response: Response) -> str:
    """Why a 3xx reached the spider: Scrapy follows http(s) redirects only (and gives up on loops)."""
    location = response.headers.get(b"Location", b"").decode("latin-1").strip()
    if not location:
        return f"HTTP {response.status} redirect without a Location header"
    scheme = urlsplit(location).scheme.lower()
    if scheme and scheme not in ("http", "https"):
        return f"redirect to a {scheme}: URL is not followed ({location[:200]})"
    return f"HTTP {response.status} redirect to {location[:200]} was not followed"


def _header_dict(response: Response) -> dict[str, str]:
    return {k.decode("latin-1").lower(): b", ".join(v).decode("latin-1") for k, v in response.headers.items()}


class ArticleSpider(ResolveMixin, scrapy.Spider):
    name = "article"
    custom_settings = {"HTTPERROR_ALLOW_ALL": True}

    def __init__(self, url: str | None = None, crawl_id: str | None = None, posts: str | list[str] | None = None,
                 earlier_quotes: dict[str, Reference] | None = None, previous: dict[str, Any] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.earlier_quotes = dict(earlier_quotes or {})
        # what an earlier crawl of the article left (crawlers.run.previous_crawl; empty: fetch everything)
        self.previous: dict[str, Any] = dict(previous or {})
        self.unchanged: str | None = None  # "not_modified" / "unchanged" once the article check says so
        self.fresh_posts: list[str] = []  # posts of an unchanged article not fetched: checked recently
        if isinstance(posts, str):
            posts = [p for p in posts.split(",") if p]
        self.post_keys: list[str] = list(posts or [])  # re-check mode: fetch these posts, no article
        if not url and not self.post_keys:
            raise ValueError("the article spider needs -a url=https://… (or -a posts=x:ID,…)")
        self.url = url or ""
        self.crawl_id = crawl_id or new_id("cr")
        self.platforms: dict[str, Platform] = dict(PLATFORMS)
        self.embed_renders: dict[str, EmbedRender] = {
            name: p.embed_render for name, p in self.platforms.items() if p.embed_render is not None}
        self.seen_posts: set[str] = set()
        self.slots_used = 0  # of RECEIPTS_MAX_POSTS_PER_ARTICLE
        self.skipped: dict[str, str] = {}  # post key, short link or quote key → why it was not fetched
        self.article_id: str | None = None
        self.errors: list[dict[str, Any]] = []
        self._router: OriginRouter | None = None

    # -- the per-article cap -------------------------------------------------------------------
    @property
    def max_posts(self) -> int:
        return self.settings.getint("RECEIPTS_MAX_POSTS_PER_ARTICLE", 2000)

    def take_slot(self, key: str) -> bool:
        """One of the article's ``RECEIPTS_MAX_POSTS_PER_ARTICLE`` fetches (a post, a short link to
        resolve, a quote to search for). Over the cap *key* is recorded as skipped, with the reason."""
        if self.slots_used >= self.max_posts:
            self.skipped.setdefault(key, f"not fetched: over the limit of {self.max_posts} posts per article "
                                         "(RECEIPTS_MAX_POSTS_PER_ARTICLE)")
            return False
        self.slots_used += 1
        return True

    def claim_post(self, key: str, capped: bool = True) -> bool:
        """True the first time *key* is to be fetched (and, when *capped*, while under the cap)."""
        if key in self.seen_posts or (capped and not self.take_slot(key)):
            return False
        self.seen_posts.add(key)
        return True

    # -- browser ----------------------------------------------------------------------------
    @property
    def browser_enabled(self) -> bool:
        settings = getattr(self, "settings", None)
        return bool(settings and settings.getbool("RECEIPTS_BROWSER", False))

    @property
    def browser_timeout(self) -> float:
        return self.settings.getfloat("RECEIPTS_BROWSER_TIMEOUT", 30.0)

    @property
    def router(self) -> OriginRouter:
        if self._router is None:
            self._router = OriginRouter(dict(self.settings.getdict("RECEIPTS_ORIGIN_MAP")), self.browser_timeout,
                                        crawler=self.crawler)
        return self._router

    def render_request(self, url: str, callback: Any, **meta: Any) -> scrapy.Request:
        """A browser render of *url* in a fresh context; the page maps its own requests."""
        transport = origin_route(url, self.router.origin_map)
        if transport != url:
            meta["transport_url"] = transport  # for the capture record only
        return scrapy.Request(url, callback=callback, errback=self.render_failed, dont_filter=True,
                              meta=render_meta(self.router, self.browser_timeout, requested_url=url, **meta))

    def browser_view(self, platform: str, post_id: str, handle: str | None) -> BrowserPage | None:
        """The post's page for the browser, when the browser is on and the platform has one."""
        return self.platforms[platform].browser_page(post_id, handle) if self.browser_enabled else None

    def render_post(self, view: BrowserPage, platform: str, post_id: str, handle: str | None, mode: str,
                    **meta: Any) -> scrapy.Request:
        """``mode``: "screenshot" (a live post), "route" (the last fetch route), "confirm" (a bare 404)."""
        return self.render_request(
            view.url, self.parse_rendered_post, route="browser", target_type="post", target_id=f"{platform}:{post_id}",
            platform=platform, post_id=post_id, handle=handle, browser_mode=mode, browser_view=view, **meta)

    async def start(self) -> AsyncIterator[Any]:
        self.platforms = {name: p.configured(self.settings) for name, p in PLATFORMS.items()}  # tokens …
        for key in self.post_keys:  # asked for by name: not counted against the article's cap
            platform, _, post_id = key.partition(":")
            if platform not in self.platforms:
                yield CrawlErrorItem(key, f"unknown platform {platform!r} (known: {', '.join(self.platforms)})")
                continue
            if not self.claim_post(key, capped=False):
                continue
            for request in self.fetch_post(platform, post_id, claimed=True):
                yield request
        if not self.url:
            return
        meta: dict[str, Any] = {"route": "article", "target_type": "article", "requested_url": self.url}
        headers = self.conditional_headers()
        if self.previous.get("article_capture_id"):  # without validators an unchanged body is still recognised
            meta["recrawl"] = {"capture_id": self.previous["article_capture_id"],
                               "body_sha256": self.previous.get("body_sha256")}
        yield scrapy.Request(self.url, callback=self.parse_article, errback=self.article_failed, meta=meta,
                             headers=headers, dont_filter=True)

    # -- re-crawls ----------------------------------------------------------------------------
    def conditional_headers(self) -> dict[str, str]:
        """If-None-Match / If-Modified-Since from the last article capture with a body (none on a first crawl)."""
        if not self.previous.get("article_capture_id"):
            return {}
        headers = {}
        if self.previous.get("etag"):
            headers["If-None-Match"] = self.previous["etag"]
        if self.previous.get("last_modified"):
            headers["If-Modified-Since"] = self.previous["last_modified"]
        return headers

    def unchanged_how(self, response: Response) -> str | None:
        """``not_modified`` (304 to the conditional request), ``unchanged`` (200, same body sha256) or None."""
        recrawl = response.meta.get("recrawl")
        if not recrawl or not self.previous.get("article_id"):
            return None
        if response.status == 304:
            return "not_modified"
        if response.status == 200 and hashlib.sha256(response.body).hexdigest() == recrawl.get("body_sha256"):
            return "unchanged"
        return None

    def post_is_fresh(self, key: str) -> bool:
        """The post's last fetch (without error) is younger than ``RECEIPTS_RECRAWL_FRESH`` (0: never fresh)."""
        fresh = self.settings.getfloat("RECEIPTS_RECRAWL_FRESH", 3600.0)
        checked = self.previous.get("posts", {}).get(key) or {}
        at = checked.get("checked_at")
        return fresh > 0 and bool(checked.get("ok")) and at is not None and time.time() - float(at) < fresh

    def article_unchanged(self, response: Response, how: str) -> Iterator[Any]:
        """The article is as an earlier crawl read it: record the check, re-fetch only its stale posts.

        Its references are the stored ones (short links and quotes stay resolved as they were); a post
        fetched within ``RECEIPTS_RECRAWL_FRESH`` is not fetched again and gets no capture (re-checking
        posts on their own schedule is the scheduler's job)."""
        self.unchanged = how
        self.article_id = self.previous["article_id"]
        yield ArticleCheckedItem(self.article_id, response.meta.get("capture_id"),
                                 self.previous.get("article_capture_id"), how)
        for ref in self.previous.get("references", []):
            key = f"{ref['platform']}:{ref['post_id']}"
            if key in self.seen_posts or ref["platform"] not in self.platforms:
                continue
            if self.post_is_fresh(key):
                self.fresh_posts.append(key)
                continue
            if self.claim_post(key):
                yield from self.fetch_post(ref["platform"], ref["post_id"], handle=ref.get("handle"), claimed=True)

    # -- article ----------------------------------------------------------------------------
    def parse_article(self, response: Response) -> Iterator[Any]:
        if (how := self.unchanged_how(response)) is not None:
            yield from self.article_unchanged(response, how)
            return
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1").lower()
        if response.status >= 400:
            yield CrawlErrorItem(self.url, f"article fetch failed: HTTP {response.status}", fatal=True)
            return
        if 300 <= response.status < 400:  # a redirect the redirect middleware would not follow
            yield CrawlErrorItem(self.url, f"article fetch failed: {unfollowed_redirect(response)}", fatal=True)
            return
        if content_type and not any(t in content_type for t in HTML_TYPES):
            yield CrawlErrorItem(self.url, f"not an HTML page (Content-Type: {content_type.split(';')[0]})",
                                 fatal=True)
            return
        extract = extract_article(response.body, response.url)
        article = extract.to_article()
        self.article_id = article.id
        yield ArticleItem(article, response.meta.get("capture_id"))
        # the cap is shared out in the article's order before anything is fetched (responses to
        # early fetches, such as quoted posts, cannot take the slots of later references)
        posts: list[Any] = []
        short_links: dict[str, tuple[str, FetchPlan]] = {}
        for ref in article.references:
            if ref.post_id:
                if self.claim_post(f"{ref.platform}:{ref.post_id}"):
                    posts.append(ref)
                continue
            links = [ref.url] if ref.kind == "media_link" and ref.url else []
            if ref.kind == "attribution":
                # a flattened embed keeps its media link ("… pic.twitter.com/XXXX"): it names the post
                links = [loc.url for loc in ref.locations if loc.url]
            for url in links:
                if url in short_links or url in self.skipped or (plan := self.short_link_plan(url)) is None:
                    continue
                if self.take_slot(url):
                    short_links[url] = plan
        for ref in posts:
            yield from self.fetch_post(ref.platform, ref.post_id, handle=ref.handle, claimed=True)
        for url, (platform, plan) in short_links.items():
            yield self.short_link_request(url, platform, plan)
        yield from self.resolve_attributions(article)
        if self.browser_enabled and any(ref.kind == "embed" and ref.post_id for ref in article.references):
            yield self.render_request(response.url, self.parse_rendered_article, route="embed_render",
                                      target_type="article", target_id=article.id, article_id=article.id,
                                      browser_mode="embeds")

    def article_failed(self, failure: Failure) -> Iterator[Any]:
        yield CrawlErrorItem(self.url, f"article fetch failed: {describe_failure(failure)}", fatal=True)

    # -- short links ------------------------------------------------------------------------
    def short_link_plan(self, url: str) -> tuple[str, FetchPlan] | None:
        """The platform whose short link *url* is, and how to resolve it."""
        for name, platform in self.platforms.items():
            plan = platform.short_link_plan(url)
            if plan is not None:
                return name, plan
        return None

    def short_link_request(self, url: str, platform: str, plan: FetchPlan) -> scrapy.Request:
        return scrapy.Request(
            plan.url, callback=self.parse_short_link, errback=self.short_link_failed, headers=plan.headers,
            meta={"route": plan.route, "target_type": "link", "target_id": url, "requested_url": plan.url,
                  "dont_redirect": True, "short_url": url, "short_platform": platform, "hops": 0},
            dont_filter=True)

    def parse_short_link(self, response: Response) -> Iterator[Any]:
        short = response.meta["short_url"]
        platform = self.platforms[response.meta["short_platform"]]
        target = platform.short_link_target(response.status, _header_dict(response), response.body)
        ref = post_ref(target) if target else None
        if target and ref is None and (hop := self.short_link_plan(target)) is not None:
            if response.meta["hops"] < MAX_SHORT_LINK_HOPS:
                yield response.request.replace(
                    url=hop[1].url, headers=hop[1].headers, dont_filter=True,
                    meta={**response.meta, "hops": response.meta["hops"] + 1, "requested_url": hop[1].url,
                          "short_platform": hop[0]})
                return
            target, error = None, f"short link loops or chains over {MAX_SHORT_LINK_HOPS} hops"
        else:
            error = None if target else f"short link did not resolve (HTTP {response.status})"
        yield ReferenceResolvedItem(self.article_id or "", short, ref.post_id if ref else None, target, error,
                                    platform=ref.platform if ref else None)
        if ref is not None and self.claim_post(f"{ref.platform}:{ref.post_id}", capped=False):  # the link had its slot
            yield from self.fetch_post(ref.platform, ref.post_id, handle=ref.handle, claimed=True)

    def short_link_failed(self, failure: Failure) -> Iterator[Any]:
        short = failure.request.meta["short_url"]  # type: ignore[attr-defined]
        yield ReferenceResolvedItem(self.article_id or "", short, None, None, describe_failure(failure))

    # -- posts ------------------------------------------------------------------------------
    def fetch_post(self, platform: str, post_id: str, route_index: int = 0, handle: str | None = None,
                   errors: list[str] | None = None, claimed: bool = False) -> Iterator[Any]:
        """Fetch a post through its routes from *route_index*; a first fetch claims the post (once per
        crawl, under the cap) unless the caller already has (*claimed*)."""
        key = f"{platform}:{post_id}"
        if route_index == 0 and not claimed and not self.claim_post(key):
            return
        plans = self.post_plans(platform, post_id, handle)
        if route_index >= len(plans):
            reason = "; ".join(errors or []) or "no route answered"
            yield PostItem(Post(id=key, platform=platform, post_id=post_id,
                                url=self.platforms[platform].canonical_url(post_id, handle),
                                status="error", status_reason=reason[:500]), None)
            return
        plan = plans[route_index]
        view = self.browser_view(platform, post_id, handle) if plan.route == "browser" else None
        if view is not None:
            yield self.render_post(view, platform, post_id, handle, "route", route_index=route_index,
                                   route_errors=errors or [])
            return
        yield scrapy.Request(
            plan.url, headers=plan.headers, callback=self.parse_post, errback=self.post_failed,
            meta={"route": plan.route, "target_type": "post", "target_id": key, "requested_url": plan.url,
                  "platform": platform, "post_id": post_id, "route_index": route_index, "handle": handle,
                  "plan": plan, "route_errors": errors or []},
            dont_filter=True)

    def post_plans(self, platform: str, post_id: str, handle: str | None) -> list[FetchPlan]:
        plans = self.platforms[platform].routes(post_id, handle)
        view = self.browser_view(platform, post_id, handle)
        if view is not None and view.read is not None:  # a page the browser can read the post from
            plans.append(FetchPlan("browser", view.url))
        return plans

    def parse_post(self, response: Response) -> Iterator[Any]:
        meta = response.meta
        client = self.platforms[meta["platform"]]
        plan: FetchPlan = meta["plan"]
        outcome = client.interpret(plan, meta["post_id"], response.status, _header_dict(response), response.body)
        capture_id = meta.get("capture_id")
        key = f"{meta['platform']}:{meta['post_id']}"
        if outcome.kind == "post" and outcome.post is not None:
            outcome.post.route = plan.route
            yield from self.complete_post(meta, outcome.post, capture_id, outcome.related_post_ids, outcome.follow_ups)
        elif outcome.kind == "gone":
            gone = Post(id=key, platform=meta["platform"], post_id=meta["post_id"],
                        url=client.canonical_url(meta["post_id"], meta.get("handle")),
                        status=outcome.status or "unavailable", status_reason=outcome.reason, route=plan.route)
            bare_not_found = response.status == 404 or response.body.strip() == b"{}"
            view = self.browser_view(meta["platform"], meta["post_id"], meta.get("handle"))
            if view is not None and view.read is not None and outcome.status == "deleted" and bare_not_found:
                # a bare "not found" is also what a login-gated post answers: ask the page
                yield self.render_post(view, meta["platform"], meta["post_id"], meta.get("handle"), "confirm",
                                       gone_post=gone, gone_capture_id=capture_id)
            else:
                yield PostItem(gone, capture_id)
        elif outcome.kind == "moved" and outcome.moved_to:
            # the URL named the post indirectly (a handle): the article's reference follows it to its stable id
            yield PostMovedItem(key, f"{meta['platform']}:{outcome.moved_to}")
            if self.claim_post(f"{meta['platform']}:{outcome.moved_to}", capped=False):
                yield from self.fetch_post(meta["platform"], outcome.moved_to, handle=meta.get("handle"), claimed=True)
        elif outcome.kind == "not_a_post":
            yield PostMovedItem(key, None, outcome.reason or "not a post")
        else:
            errors = [*meta["route_errors"], f"{plan.route}: {outcome.error or f'HTTP {response.status}'}"]
            yield from self.fetch_post(meta["platform"], meta["post_id"], meta["route_index"] + 1,
                                       meta.get("handle"), errors)

    def complete_post(self, meta: dict[str, Any], post: Post, capture_id: str | None, related: list[str],
                      follow_ups: list[FetchPlan]) -> Iterator[Any]:
        """A post was read: fetch what completes it (edit history …) first, then store it and go on."""
        if follow_ups:
            plan, rest = follow_ups[0], follow_ups[1:]
            yield scrapy.Request(
                plan.url, headers=plan.headers, callback=self.parse_follow_up, errback=self.follow_up_failed,
                meta={**{k: meta[k] for k in ("platform", "post_id", "handle")}, "route": plan.route,
                      "target_type": "post", "target_id": post.id, "requested_url": plan.url, "plan": plan,
                      "read_post": post, "read_capture_id": capture_id, "related": related, "follow_ups": rest},
                dont_filter=True)
            return
        yield PostItem(post, capture_id)
        handle = post.author.handle or meta.get("handle")
        view = self.browser_view(meta["platform"], meta["post_id"], handle) if post.status == "live" else None
        if view is not None:
            yield self.render_post(view, meta["platform"], meta["post_id"], handle, "screenshot")
        for other in related:
            yield from self.fetch_post(meta["platform"], other)

    def parse_follow_up(self, response: Response) -> Iterator[Any]:
        meta = response.meta
        post: Post = meta["read_post"]
        outcome = self.platforms[meta["platform"]].interpret(meta["plan"], meta["post_id"], response.status,
                                                             _header_dict(response), response.body)
        if outcome.versions:
            post.versions = [listed_version(v, meta.get("capture_id")) for v in outcome.versions]
        elif outcome.kind == "error":
            log.info("follow-up failed", extra={"post": post.id, "route": meta["route"], "error": outcome.error})
        yield from self.complete_post(meta, post, meta["read_capture_id"], meta["related"], meta["follow_ups"])

    def follow_up_failed(self, failure: Failure) -> Iterator[Any]:
        meta = failure.request.meta  # type: ignore[attr-defined]
        yield from self.complete_post(meta, meta["read_post"], meta["read_capture_id"], meta["related"],
                                      meta["follow_ups"])

    def post_failed(self, failure: Failure) -> Iterator[Any]:
        meta = failure.request.meta  # type: ignore[attr-defined]
        errors = [*meta["route_errors"], f"{meta['route']}: {failure.getErrorMessage()}"]
        yield from self.fetch_post(meta["platform"], meta["post_id"], meta["route_index"] + 1, meta.get("handle"),
                                   errors)

    # -- browser renders ----------------------------------------------------------------------
    async def parse_rendered_post(self, response: Response) -> AsyncIterator[Any]:
        meta = response.meta
        page = meta.get("playwright_page")
        timeout = self.browser_timeout
        shot: Shot | None = None
        try:
            if failure := render_failure(response.url, meta.get("browser_blocked")):
                outcome = PageOutcome("error", reason=failure)
            else:
                outcome, shot = await asyncio.wait_for(
                    capture_post(page, meta["browser_view"], meta["post_id"], timeout / 2), timeout)
                if failure := render_failure(page.url, meta.get("browser_blocked")):  # it navigated away since
                    outcome, shot = PageOutcome("error", reason=failure), None
        except (TimeoutError, PlaywrightError) as exc:
            outcome = PageOutcome("error", reason=f"{type(exc).__name__}: {exc}".strip()[:300])
        finally:
            await close_page(page)
        for item in self.rendered_post_items(meta, outcome, shot):
            yield item

    def rendered_post_items(self, meta: dict[str, Any], outcome: PageOutcome, shot: Shot | None) -> Iterator[Any]:
        platform, post_id, mode = meta["platform"], meta["post_id"], meta["browser_mode"]
        key = f"{platform}:{post_id}"
        capture_id = meta.get("capture_id")
        if shot is not None:
            yield ScreenshotItem("post", key, shot.png, shot.url, shot.dom_text, capture_id=capture_id)
        if mode == "screenshot":
            if shot is None:
                yield CrawlErrorItem(meta["requested_url"], f"post screenshot failed: {outcome.reason or outcome.kind}",
                                     context={"post_id": key})
            return
        if outcome.kind == "post" and outcome.post is not None:
            yield PostItem(outcome.post, capture_id)
        elif outcome.kind in ("login", "missing"):
            status = "unavailable" if outcome.kind == "login" else "deleted"
            previous: Post | None = meta.get("gone_post")
            reason = outcome.reason if previous is None else f"{outcome.reason}; {previous.status_reason}"
            yield PostItem(Post(id=key, platform=platform, post_id=post_id,
                                url=self.platforms[platform].canonical_url(post_id, meta.get("handle")), status=status,
                                status_reason=reason, route="browser"), capture_id)
        else:
            yield from self.render_fallback(meta, f"browser: {outcome.reason or outcome.kind}")

    def render_fallback(self, meta: dict[str, Any], reason: str) -> Iterator[Any]:
        """The render said nothing: keep the earlier answer (confirm), or end the route list (route)."""
        mode = meta["browser_mode"]
        if mode == "confirm":
            yield PostItem(meta["gone_post"], meta.get("gone_capture_id"))
        elif mode == "route":
            yield from self.fetch_post(meta["platform"], meta["post_id"], meta["route_index"] + 1, meta.get("handle"),
                                       [*meta["route_errors"], reason])
        else:
            yield CrawlErrorItem(meta["requested_url"], f"{mode} screenshot failed: {reason}",
                                 context={"target_id": meta.get("target_id")})

    async def parse_rendered_article(self, response: Response) -> AsyncIterator[Any]:
        meta = response.meta
        page = meta.get("playwright_page")
        timeout = self.browser_timeout
        shots: list[Shot] = []
        try:
            failure = render_failure(response.url, meta.get("browser_blocked"))
            if failure is None:
                shots = await asyncio.wait_for(capture_embeds(page, self.embed_renders, timeout / 2), timeout)
                failure = render_failure(page.url, meta.get("browser_blocked"))  # it navigated away since
            if failure is not None:
                shots = []
                yield CrawlErrorItem(meta["requested_url"], f"embed render failed: {failure}"[:500],
                                     context={"target_id": meta.get("target_id"),
                                              "blocked_requests": meta.get("browser_blocked", [])[:50]})
        except (TimeoutError, PlaywrightError) as exc:
            yield CrawlErrorItem(meta["requested_url"], f"embed screenshots failed: {type(exc).__name__}: {exc}"[:300],
                                 context={"target_id": meta.get("target_id")})
        finally:
            await close_page(page)
        for shot in shots:
            key = f"{shot.platform}:{shot.post_id}"
            yield ScreenshotItem("embed", key, shot.png, shot.url, shot.dom_text, article_id=meta["article_id"],
                                 ref_key=key, capture_id=meta.get("capture_id"), element=shot.element)

    async def render_failed(self, failure: Failure) -> AsyncIterator[Any]:
        meta = failure.request.meta  # type: ignore[attr-defined]
        await close_page(meta.get("playwright_page"))
        reason = render_failure("", meta.get("browser_blocked")) or failure.getErrorMessage()
        for item in self.render_fallback(meta, f"browser: {reason}"[:500]):
            yield item
