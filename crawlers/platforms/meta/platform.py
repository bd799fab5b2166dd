"""What Instagram, Threads and Facebook share behind the platform interface.

Each is read through Meta's token-gated oEmbed (``RECEIPTS_META_TOKEN``) and a public page (an embed or
plugin page); neither tells a deleted post from a private one, so a missing post is ``unavailable``.
A subclass names its ``urls`` and ``embeds`` modules, its readers (``from_oembed``, ``from_page``), its
page texts, and its ``routes`` and ``browser_page``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from types import ModuleType
from typing import Any, ClassVar

from lxml import etree

from crawlers.platforms.base import FetchOutcome, FetchPlan, PlatformDefaults, PostRef
from crawlers.platforms.hits import Hit
from crawlers.platforms.meta import graph
from crawlers.platforms.meta.page import has_text, page_failure, parse_html
from receipts.models import Post

PAGE_HEADERS = {"Accept": "text/html,application/xhtml+xml"}


class MetaPlatform(PlatformDefaults):
    """:class:`~crawlers.platforms.base.Platform` for one of Meta's networks; ``token`` enables oEmbed."""

    name: ClassVar[str]
    label: ClassVar[str]
    urls: ClassVar[ModuleType]  # parse_post_url, canonical_url, parse_key, embed_url, check
    embeds: ClassVar[ModuleType]  # find_embeds
    from_oembed: ClassVar[Callable[..., Post]]  # (data, post_id, fetched_at=…) → Post, raises NotAPost
    from_page: ClassVar[Callable[..., Post]]  # (doc, post_id, fetched_at=…) → Post, raises NotAPost
    not_a_post: ClassVar[type[Exception]]
    page_label: ClassVar[str] = "embed page"
    missing_texts: ClassVar[tuple[str, ...]] = ()
    login_texts: ClassVar[tuple[str, ...]] = ()

    def __init__(self, token: str | None = None) -> None:
        self.token = token or None

    def configured(self, settings: Mapping[str, Any]) -> Any:
        """With ``RECEIPTS_META_TOKEN`` from the crawl's settings (the oEmbed route needs it)."""
        return self.with_token(settings.get("RECEIPTS_META_TOKEN") or None)

    def with_token(self, token: str | None) -> Any:
        """The same platform with *token* (``RECEIPTS_META_TOKEN``) for the oEmbed route."""
        return type(self)(token)

    # ------------------------------------------------------------------ URL rules

    def parse_url(self, url: str) -> PostRef | None:
        parsed = self.urls.parse_post_url(url)
        if parsed is None or parsed["post_id"] is None:
            return None
        return PostRef(platform=self.name, post_id=parsed["post_id"], handle=parsed["handle"], url=url.strip())

    def canonical_url(self, post_id: str, handle: str | None = None) -> str:
        return self.urls.canonical_url(post_id, handle)

    def parse_key(self, text: str) -> str | None:
        return self.urls.parse_key(text)

    def find_embeds(self, doc: etree._Element) -> list[Hit]:
        return self.embeds.find_embeds(doc)

    # ------------------------------------------------------------------ fetching

    def oembed_plan(self, endpoint: str, post_id: str, handle: str | None = None,
                    token: str | None = None) -> FetchPlan | None:
        """Meta's oEmbed request for the post, when a token is known (*token* overrides the platform's)."""
        token = token or self.token
        return graph.oembed_plan(endpoint, self.urls.canonical_url(post_id, handle), token) if token else None

    def page_plan(self, url: str) -> FetchPlan:
        return FetchPlan("embed_page", url, dict(PAGE_HEADERS))

    def interpret(
        self, plan: FetchPlan, post_id: str, status: int, headers: dict[str, str], body: bytes
    ) -> FetchOutcome:
        try:
            self.urls.check(post_id)
        except ValueError as exc:
            return FetchOutcome(kind="error", error=str(exc))
        if plan.route == "oembed":
            return self._oembed(post_id, status, headers, body)
        if plan.route == "embed_page":
            return self._page(post_id, status, headers, body)
        return FetchOutcome(kind="error", error=f"route {plan.route!r} is not handled by the {self.label} client")

    def page_notice(self, doc: etree._Element) -> str | None:
        """A notice on the page that the post is not shown (Facebook's), as the reason; None if none."""
        return None

    def _oembed(self, post_id: str, status: int, headers: Mapping[str, str], body: bytes) -> FetchOutcome:
        data = graph.oembed_body(status, headers, body)
        if isinstance(data, FetchOutcome):
            return data
        try:
            post = type(self).from_oembed(data, post_id, fetched_at=datetime.now(UTC))
        except self.not_a_post as exc:
            return FetchOutcome(kind="error", error=f"oEmbed: {exc}")
        return FetchOutcome(kind="post", post=post)

    def _page(self, post_id: str, status: int, headers: Mapping[str, str], body: bytes) -> FetchOutcome:
        label = self.page_label
        if status != 200:
            return page_failure(status, headers, label)
        doc = parse_html(body)
        if doc is None:
            return FetchOutcome(kind="error", error=f"{label}: empty body")
        if notice := self.page_notice(doc):  # "may have been removed or …": not proof of a deletion
            return FetchOutcome(kind="gone", status="unavailable", reason=f"{label}: {notice}")
        if login := has_text(doc, self.login_texts):
            return FetchOutcome(kind="gone", status="unavailable", reason=f"{label}: login wall ({login!r})")
        try:
            post = type(self).from_page(doc, post_id, fetched_at=datetime.now(UTC))
        except self.not_a_post as exc:
            missing = has_text(doc, self.missing_texts)
            reason = f"{label}: {missing!r}" if missing else f"{label}: {exc}"
            return FetchOutcome(kind="gone", status="unavailable", reason=reason)
        return FetchOutcome(kind="post", post=post)
