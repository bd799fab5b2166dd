"""The Threads platform: routes for a shortcode, what each answer means, the browser page.

Routes, in order: the public embed page ``/@user/post/<code>/embed`` (needs the handle), then Meta's
Threads oEmbed (``graph.threads.net``, only with a token: ``RECEIPTS_META_TOKEN``), whose snippet carries
the author but no text. See ``docs/platforms/threads.md`` for the outcome of every answer.
"""

from __future__ import annotations

from crawlers.platforms.base import BrowserPage, FetchPlan
from crawlers.platforms.meta import graph
from crawlers.platforms.meta.platform import PAGE_HEADERS, MetaPlatform
from crawlers.platforms.threads import embeds, normalise, urls

__all__ = ["PAGE_HEADERS", "ThreadsPlatform"]


class ThreadsPlatform(MetaPlatform):
    name = "threads"
    label = "Threads"
    urls = urls
    embeds = embeds
    from_oembed = staticmethod(normalise.from_oembed)
    from_page = staticmethod(normalise.from_embed_page)
    not_a_post = normalise.NotAPost
    # Threads's "not found" page, and what its login page shows
    missing_texts = ("Sorry, this page isn't available.",)
    login_texts = ("Log in with your Instagram account", "Log in or sign up for Threads")

    def browser_page(self, post_id: str, handle: str | None = None) -> BrowserPage | None:
        try:
            url = urls.embed_url(post_id, handle) or urls.canonical_url(post_id, handle)
        except ValueError:
            return None
        return BrowserPage(url=url, ready_selector="meta[property='og:title']", screenshot_selector="body",
                           missing_texts=self.missing_texts, login_texts=self.login_texts)

    def routes(self, post_id: str, handle: str | None = None, token: str | None = None) -> list[FetchPlan]:
        """The embed page first (Threads' oEmbed snippet carries no text), then oEmbed when a token is
        known (*token* overrides the platform's): the route for a post named without its author."""
        try:
            urls.check(post_id)
        except ValueError:
            return []
        page = urls.embed_url(post_id, handle)  # under /@user/: without the handle there is none
        oembed = self.oembed_plan(graph.THREADS_OEMBED, post_id, handle, token)
        return [plan for plan in (self.page_plan(page) if page else None, oembed) if plan is not None]
