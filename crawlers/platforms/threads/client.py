"""The Threads platform: routes for a shortcode, what each answer means, the browser page.

Routes, in order: Meta's Threads oEmbed (``graph.threads.net``) (only with a token: ``RECEIPTS_META_TOKEN``), then the
public embed page ``/@user/post/<code>/embed`` (needs the handle). See ``docs/platforms/threads.md`` for the outcome of every answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from lxml import etree

from crawlers.platforms.base import BrowserPage, FetchOutcome, FetchPlan, PlatformDefaults, PostRef
from crawlers.platforms.hits import Hit
from crawlers.platforms.meta import graph
from crawlers.platforms.meta.page import has_text, page_failure, parse_html
from crawlers.platforms.threads import embeds, urls
from crawlers.platforms.threads.normalise import NotAPost, from_embed_page, from_oembed

PAGE_HEADERS = {"Accept": "text/html,application/xhtml+xml"}
# Threads's "not found" page, and what its login page shows
MISSING_TEXTS = ("Sorry, this page isn't available.",)
LOGIN_TEXTS = ("Log in with your Instagram account", "Log in or sign up for Threads")


class ThreadsPlatform(PlatformDefaults):
    """:class:`~crawlers.platforms.base.Platform` for Threads; ``token`` enables the oEmbed route."""

    name = "threads"
    label = "Threads"

    def __init__(self, token: str | None = None) -> None:
        self.token = token or None

    def configured(self, settings: Mapping[str, Any]) -> Any:
        """With ``RECEIPTS_META_TOKEN`` from the crawl's settings (the oEmbed route needs it)."""
        return self.with_token(settings.get("RECEIPTS_META_TOKEN") or None)

    def with_token(self, token: str | None) -> ThreadsPlatform:
        """The same platform with *token* (``RECEIPTS_META_TOKEN``) for the oEmbed route."""
        return type(self)(token)

    # ------------------------------------------------------------------ URL rules

    def parse_url(self, url: str) -> PostRef | None:
        parsed = urls.parse_post_url(url)
        if parsed is None or parsed["post_id"] is None:
            return None
        return PostRef(
            platform=self.name, post_id=parsed["post_id"], handle=parsed["handle"], url=url.strip()
        )

    def canonical_url(self, post_id: str, handle: str | None = None) -> str:
        return urls.canonical_url(post_id, handle)

    def parse_key(self, text: str) -> str | None:
        return urls.parse_key(text)

    def find_embeds(self, doc: etree._Element) -> list[Hit]:
        return embeds.find_embeds(doc)

    def browser_page(self, post_id: str, handle: str | None = None) -> BrowserPage | None:
        try:
            url = urls.embed_url(post_id, handle) or urls.canonical_url(post_id, handle)
        except ValueError:
            return None
        return BrowserPage(
            url=url,
            ready_selector="meta[property='og:title']",
            screenshot_selector="body",
            missing_texts=MISSING_TEXTS,
            login_texts=LOGIN_TEXTS,
        )

    # ------------------------------------------------------------------ fetching

    def routes(self, post_id: str, handle: str | None = None, token: str | None = None) -> list[FetchPlan]:
        """The embed page first (Threads' oEmbed snippet carries no text), then oEmbed when a token is
        known (*token* overrides the platform's): the route for a post named without its author."""
        try:
            urls.check(post_id)
        except ValueError:
            return []
        plans = []
        page = urls.embed_url(post_id, handle)
        if page:  # the embed page lives under /@user/: without the handle there is none
            plans.append(FetchPlan("embed_page", page, dict(PAGE_HEADERS)))
        token = token or self.token
        if token:
            plans.append(graph.oembed_plan(graph.THREADS_OEMBED, urls.canonical_url(post_id, handle), token))
        return plans

    def interpret(
        self, plan: FetchPlan, post_id: str, status: int, headers: dict[str, str], body: bytes
    ) -> FetchOutcome:
        try:
            urls.check(post_id)
        except ValueError as exc:
            return FetchOutcome(kind="error", error=str(exc))
        if plan.route == "oembed":
            return self._oembed(post_id, status, headers, body)
        if plan.route == "embed_page":
            return self._embed_page(post_id, status, headers, body)
        return FetchOutcome(kind="error", error=f"route {plan.route!r} is not handled by the Threads client")

    def _oembed(self, post_id: str, status: int, headers: Mapping[str, str], body: bytes) -> FetchOutcome:
        data = graph.oembed_body(status, headers, body)
        if isinstance(data, FetchOutcome):
            return data
        try:
            post = from_oembed(data, post_id, fetched_at=datetime.now(UTC))
        except NotAPost as exc:
            return FetchOutcome(kind="error", error=f"oEmbed: {exc}")
        return FetchOutcome(kind="post", post=post)

    def _embed_page(self, post_id: str, status: int, headers: Mapping[str, str], body: bytes) -> FetchOutcome:
        if status != 200:
            return page_failure(status, headers, "embed page")
        doc = parse_html(body)
        if doc is None:
            return FetchOutcome(kind="error", error="embed page: empty body")
        if login := has_text(doc, LOGIN_TEXTS):
            return FetchOutcome(
                kind="gone", status="unavailable", reason=f"embed page: login wall ({login!r})"
            )
        try:
            post = from_embed_page(doc, post_id, fetched_at=datetime.now(UTC))
        except NotAPost as exc:
            missing = has_text(doc, MISSING_TEXTS)
            reason = f"embed page: {missing!r}" if missing else f"embed page: {exc}"
            return FetchOutcome(kind="gone", status="unavailable", reason=reason)
        return FetchOutcome(kind="post", post=post)
