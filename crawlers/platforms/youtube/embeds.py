"""YouTube embeds in article markup (FORMATS.md §7; real snippet: readability's embedded-videos page).

An ``<iframe>`` whose ``src`` (or a lazy loader's ``data-src`` / ``data-lazy-src``) is a player page,
``https://www.youtube.com/embed/ID[?feature=oembed|si=…]`` or ``youtube-nocookie.com/embed/ID``
(variant ``youtube-iframe``). The iframe's ``title`` is the video's title when the markup came from
oEmbed or the share dialog with a title; the share dialog's generic "YouTube video player" is no
title and is not kept.
"""

from __future__ import annotations

from lxml import etree

from crawlers.platforms.hits import Hit
from crawlers.platforms.youtube.urls import canonical_url, parse_video_url

SRC_ATTRIBUTES = ("src", "data-src", "data-lazy-src")
GENERIC_TITLES = frozenset({"youtube video player", "youtube video", "youtube", "video", "embedded content"})

_CANDIDATES = etree.XPath(
    "//iframe[contains(@src, 'youtube') or contains(@data-src, 'youtube') or contains(@data-lazy-src, 'youtube')]"
)


def _title(el: etree._Element) -> str | None:
    title = " ".join((el.get("title") or "").split())
    return title if title and title.lower() not in GENERIC_TITLES else None


def find_embeds(doc: etree._Element) -> list[Hit]:
    """Every YouTube player iframe in *doc*, in document order."""
    hits: list[Hit] = []
    for el in _CANDIDATES(doc):
        for attribute in SRC_ATTRIBUTES:
            parsed = parse_video_url(el.get(attribute) or "")
            if parsed is not None and parsed["kind"] in ("embed", "v"):
                hits.append(
                    Hit(
                        kind="embed",
                        platform="youtube",
                        post_id=parsed["id"],
                        element=el,
                        url=canonical_url(parsed["id"]),
                        variant="youtube-iframe",
                        displayed_text=_title(el),
                    )
                )
                break
    return hits
