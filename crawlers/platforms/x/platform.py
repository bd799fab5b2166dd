"""X behind the :class:`~crawlers.platforms.base.Platform` interface (the registry's ``x`` entry).

Fetching is :class:`~crawlers.platforms.x.client.XClient`'s (syndication, then oEmbed); the embed
detectors (a dozen real markup variants, and embeds kept only in a page's JSON state) are
:mod:`crawlers.platforms.x.embeds` and :mod:`crawlers.platforms.x.jsonstate`; the status page the
browser reads and screenshots, and the embeds it screenshots in an article, :mod:`crawlers.platforms.x.page`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from crawlers.platforms.base import BrowserPage, FetchPlan, PlatformDefaults, PostRef
from crawlers.platforms.x.client import XClient, tco_outcome, tco_plan
from crawlers.platforms.x.embeds import find_embeds as find_markup_embeds
from crawlers.platforms.x.jsonstate import find_json_state_embeds
from crawlers.platforms.x.page import EMBED_RENDER
from crawlers.platforms.x.page import browser_page as x_browser_page
from crawlers.platforms.x.urls import canonical_post_url, is_pic_link, is_short_link, parse_status_url

if TYPE_CHECKING:
    from lxml import etree

    from crawlers.platforms.hits import Hit

_DIGITS = re.compile(r"^\d{1,25}$")


class XPlatform(PlatformDefaults, XClient):
    name = "x"
    label = "X"
    embed_render = EMBED_RENDER

    def parse_url(self, url: str) -> PostRef | None:
        found = parse_status_url(url)
        if not found or not found.get("id"):
            return None
        return PostRef("x", str(found["id"]), handle=found.get("handle"), url=url)

    def canonical_url(self, post_id: str, handle: str | None = None) -> str:
        return canonical_post_url(post_id, handle)

    def parse_key(self, text: str) -> str | None:
        text = text.strip()
        if _DIGITS.match(text):
            return text
        ref = self.parse_url(text) if "://" in text else None
        return ref.post_id if ref else None

    def find_embeds(self, doc: etree._Element) -> list[Hit]:
        return [*find_markup_embeds(doc), *find_json_state_embeds(doc)]

    def short_link_plan(self, url: str) -> FetchPlan | None:
        """t.co links, and pic.twitter.com / pic.x.com links (display text for the t.co link with the
        same code, FORMATS §4, so resolved through t.co)."""
        if is_pic_link(url):
            return tco_plan("https://t.co/" + urlsplit(url if "://" in url else "https://" + url).path.lstrip("/"))
        return tco_plan(url) if is_short_link(url) else None

    def short_link_target(self, status: int, headers: dict[str, str], body: bytes) -> str | None:
        return tco_outcome(status, headers, body)

    def browser_page(self, post_id: str, handle: str | None = None) -> BrowserPage | None:
        return x_browser_page(post_id, self.canonical_url(post_id, handle))


PLATFORM = XPlatform()
