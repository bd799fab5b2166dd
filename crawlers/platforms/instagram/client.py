"""The Instagram platform: routes for a shortcode, what each answer means, the browser page.

Routes, in order: Meta's ``instagram_oembed`` (only with a token: ``RECEIPTS_META_TOKEN``), then the
public captioned embed page. See ``docs/platforms/instagram.md`` for the outcome of every answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from lxml import etree

from crawlers.platforms.base import BrowserPage, FetchOutcome, FetchPlan, PlatformDefaults, PostRef
from crawlers.platforms.hits import Hit
from crawlers.platforms.instagram import embeds, urls
from crawlers.platforms.instagram.normalise import NotAPost, from_embed_page, from_oembed
from crawlers.platforms.meta import graph
from crawlers.platforms.meta.page import has_text, page_failure, parse_html

PAGE_HEADERS = {"Accept": "text/html,application/xhtml+xml"}
# Instagram's "not found" page, and what its login page shows
MISSING_TEXTS = ("Sorry, this page isn't available.",)
LOGIN_TEXTS = ("Log in to Instagram", "Log into Instagram", "Login • Instagram")


class InstagramPlatform(PlatformDefaults):
    """:class:`~crawlers.platforms.base.Platform` for Instagram; ``token`` enables the oEmbed route."""

    name = "instagram"
    label = "Instagram"

    def __init__(self, token: str | None = None) -> None:
        self.token = token or None

    def configured(self, settings: Mapping[str, Any]) -> Any:
        """With ``RECEIPTS_META_TOKEN`` from the crawl's settings (the oEmbed route needs it)."""
        return self.with_token(settings.get("RECEIPTS_META_TOKEN") or None)

    def with_token(self, token: str | None) -> InstagramPlatform:
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
            url = urls.embed_url(post_id)
        except ValueError:
            return None
        return BrowserPage(
            url=url,
            ready_selector=".EmbeddedMediaImage, .Caption",
            screenshot_selector=".Embed",
            missing_texts=MISSING_TEXTS,
            login_texts=LOGIN_TEXTS,
        )

    # ------------------------------------------------------------------ fetching

    def routes(self, post_id: str, handle: str | None = None, token: str | None = None) -> list[FetchPlan]:
        """oEmbed when a token is known (*token* overrides the platform's), then the embed page."""
        try:
            urls.check(post_id)
        except ValueError:
            return []
        plans = []
        token = token or self.token
        if token:
            plans.append(graph.oembed_plan(graph.INSTAGRAM_OEMBED, urls.canonical_url(post_id), token))
        plans.append(FetchPlan("embed_page", urls.embed_url(post_id), dict(PAGE_HEADERS)))
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
        return FetchOutcome(
            kind="error", error=f"route {plan.route!r} is not handled by the Instagram client"
        )

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
