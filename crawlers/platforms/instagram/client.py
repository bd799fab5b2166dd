"""The Instagram platform: routes for a shortcode, what each answer means, the browser page.

Routes, in order: Meta's ``instagram_oembed`` (only with a token: ``RECEIPTS_META_TOKEN``), then the
public captioned embed page. See ``docs/platforms/instagram.md`` for the outcome of every answer.
"""

from __future__ import annotations

from crawlers.platforms.base import BrowserPage, FetchPlan
from crawlers.platforms.instagram import embeds, normalise, urls
from crawlers.platforms.meta import graph
from crawlers.platforms.meta.platform import PAGE_HEADERS, MetaPlatform

__all__ = ["PAGE_HEADERS", "InstagramPlatform"]


class InstagramPlatform(MetaPlatform):
    name = "instagram"
    label = "Instagram"
    urls = urls
    embeds = embeds
    from_oembed = staticmethod(normalise.from_oembed)
    from_page = staticmethod(normalise.from_embed_page)
    not_a_post = normalise.NotAPost
    # Instagram's "not found" page, and what its login page shows
    missing_texts = ("Sorry, this page isn't available.",)
    login_texts = ("Log in to Instagram", "Log into Instagram", "Login • Instagram")

    def browser_page(self, post_id: str, handle: str | None = None) -> BrowserPage | None:
        try:
            url = urls.embed_url(post_id)
        except ValueError:
            return None
        return BrowserPage(url=url, ready_selector=".EmbeddedMediaImage, .Caption", screenshot_selector=".Embed",
                           missing_texts=self.missing_texts, login_texts=self.login_texts)

    def routes(self, post_id: str, handle: str | None = None, token: str | None = None) -> list[FetchPlan]:
        """oEmbed when a token is known (*token* overrides the platform's), then the embed page."""
        try:
            urls.check(post_id)
        except ValueError:
            return []
        oembed = self.oembed_plan(graph.INSTAGRAM_OEMBED, post_id, token=token)
        return [*([oembed] if oembed else []), self.page_plan(urls.embed_url(post_id))]
