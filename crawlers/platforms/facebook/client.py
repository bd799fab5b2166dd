"""The Facebook platform: routes for a post key, what each answer means, the browser page.

Routes, in order: Meta's ``oembed_post`` / ``oembed_video`` (only with a token: ``RECEIPTS_META_TOKEN``),
then the public Embedded Posts plugin page. See ``docs/platforms/facebook.md`` for every outcome.
"""

from __future__ import annotations

from lxml import etree

from crawlers.platforms.base import BrowserPage, FetchPlan
from crawlers.platforms.facebook import embeds, normalise, urls
from crawlers.platforms.meta import graph
from crawlers.platforms.meta.platform import PAGE_HEADERS, MetaPlatform

__all__ = ["PAGE_HEADERS", "FacebookPlatform"]


class FacebookPlatform(MetaPlatform):
    name = "facebook"
    label = "Facebook"
    urls = urls
    embeds = embeds
    from_oembed = staticmethod(normalise.from_oembed)
    from_page = staticmethod(normalise.from_plugin_page)
    not_a_post = normalise.NotAPost
    page_label = "plugin page"
    missing_texts = ("This Facebook post is no longer available.",)
    login_texts = ("You must log in to continue.", "Log in to Facebook", "Log into Facebook")

    def browser_page(self, post_id: str, handle: str | None = None) -> BrowserPage | None:
        try:
            url = urls.embed_url(post_id)
        except ValueError:
            return None
        return BrowserPage(url=url, ready_selector="[data-testid='post_message'], ._1q3v",
                           screenshot_selector="[role='feed']", missing_texts=self.missing_texts,
                           login_texts=self.login_texts)

    def routes(self, post_id: str, handle: str | None = None, token: str | None = None) -> list[FetchPlan]:
        """oEmbed when a token is known (*token* overrides the platform's), then the plugin page."""
        try:
            endpoint = graph.FACEBOOK_VIDEO_OEMBED if urls.is_video(post_id) else graph.FACEBOOK_POST_OEMBED
        except ValueError:
            return []
        oembed = self.oembed_plan(endpoint, post_id, token=token)
        return [*([oembed] if oembed else []), self.page_plan(urls.embed_url(post_id))]

    def page_notice(self, doc: etree._Element) -> str | None:
        """The plugin's "may have been removed or the privacy settings … changed": not proof of a deletion."""
        return normalise.unavailable_notice(doc)
