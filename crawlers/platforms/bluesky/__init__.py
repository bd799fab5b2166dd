"""Bluesky: AT-URI post ids, bsky.app / embed.bsky.app URLs, embeds, the public AppView (see docs/platforms/bluesky.md).

``PLATFORM`` is the :class:`~crawlers.platforms.base.Platform` instance the engines use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from crawlers.platforms.base import (
    BrowserPage,
    EmbedRender,
    FetchOutcome,
    FetchPlan,
    PlatformDefaults,
    PostRef,
)
from crawlers.platforms.bluesky.client import BlueskyClient
from crawlers.platforms.bluesky.embeds import EMBED_TAG_JS, EMBEDS_PENDING_JS, find_embeds
from crawlers.platforms.bluesky.urls import (
    canonical_post_url,
    embed_page_url,
    parse_at_uri,
    parse_post_url,
)

if TYPE_CHECKING:
    from lxml import etree

    from crawlers.platforms.hits import Hit

__all__ = ["PLATFORM", "BlueskyPlatform"]

# embed.bsky.app's error and opt-out screens (bskyembed src/screens/post.tsx)
EMBED_MISSING_TEXTS = ("Post not found, it may have been deleted.",)
EMBED_OPT_OUT_TEXTS = (
    "The author of this post has requested their posts not be displayed on external sites.",
)
# bsky.app, logged out
APP_MISSING_TEXTS = ("Post not found", "The post may have been deleted.")
APP_LOGIN_TEXTS = ("This author has chosen to make their posts visible only to people who are signed in.",)


class BlueskyPlatform(PlatformDefaults):
    """Everything Receipts knows about Bluesky behind the :class:`~crawlers.platforms.base.Platform` protocol."""

    name = "bluesky"
    label = "Bluesky"
    embed_render = EmbedRender(EMBED_TAG_JS, EMBEDS_PENDING_JS)

    def __init__(self) -> None:
        self._client = BlueskyClient()

    # -- ids and URLs
    def parse_url(self, url: str) -> PostRef | None:
        ref = parse_post_url(url)
        if ref is None:
            return None
        return PostRef(
            platform=self.name, post_id=ref.uri, handle=None if ref.is_did else ref.authority, url=url.strip()
        )

    def parse_key(self, text: str) -> str | None:
        ref = parse_post_url(text) if isinstance(text, str) else None
        return ref.uri if ref is not None else None

    def canonical_url(self, post_id: str, handle: str | None = None) -> str:
        ref = parse_at_uri(post_id)
        if ref is None:
            raise ValueError(f"not a Bluesky post id: {post_id!r}")
        return canonical_post_url(ref)

    # -- article markup
    def find_embeds(self, doc: etree._Element) -> list[Hit]:
        return find_embeds(doc)

    # -- fetching
    def routes(self, post_id: str, handle: str | None = None) -> list[FetchPlan]:
        return self._client.routes(post_id, handle)

    def interpret(
        self, plan: FetchPlan, post_id: str, status: int, headers: dict[str, str], body: bytes
    ) -> FetchOutcome:
        return self._client.interpret(plan, post_id, status, headers, body)

    def browser_page(self, post_id: str, handle: str | None = None) -> BrowserPage | None:
        """The embed.bsky.app frame for DID ids (one card, the public policy); bsky.app for handle ids.

        The frame's card is rendered client-side from the same public AppView; the post is there
        when its ``<time datetime>`` is. bsky.app marks the thread's post ``postThreadItem-by-<handle>``.
        """
        ref = parse_at_uri(post_id)
        if ref is None:
            return None
        if ref.is_did:
            return BrowserPage(
                url=embed_page_url(ref),
                ready_selector="#app time[datetime]",
                screenshot_selector="#app > div",
                missing_texts=EMBED_MISSING_TEXTS,
                login_texts=EMBED_OPT_OUT_TEXTS,
            )
        return BrowserPage(
            url=canonical_post_url(ref),
            ready_selector='[data-testid^="postThreadItem-by-"]',
            screenshot_selector='[data-testid^="postThreadItem-by-"]',
            missing_texts=APP_MISSING_TEXTS,
            login_texts=APP_LOGIN_TEXTS,
        )


PLATFORM = BlueskyPlatform()
