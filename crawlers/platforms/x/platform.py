"""X behind the :class:`~crawlers.platforms.base.Platform` interface (the registry's ``x`` entry).

Fetching is :class:`~crawlers.platforms.x.client.XClient`'s (syndication, then oEmbed). X's embed and
link detectors still run inside ``crawlers/discovery`` (they predate the interface and cover a dozen
real embed variants), so :meth:`XPlatform.find_embeds` finds nothing more; the browser route and the
status page logic are the browser package's (``crawlers/browser/xpage.py``).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from crawlers.platforms.base import BrowserPage, PostRef
from crawlers.platforms.x.client import XClient
from crawlers.platforms.x.urls import canonical_post_url, parse_status_url

if TYPE_CHECKING:
    from lxml import etree

    from crawlers.platforms.hits import Hit

_DIGITS = re.compile(r"^\d{1,25}$")


class XPlatform(XClient):
    name = "x"
    label = "X"

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
        return []  # X embeds: crawlers/discovery/embeds.py

    def browser_page(self, post_id: str, handle: str | None = None) -> BrowserPage | None:
        return None  # X pages: crawlers/browser/xpage.py


PLATFORM = XPlatform()
