"""Instagram embeds in article markup (FORMATS.md §7; real snippet in other_platforms/).

- ``<blockquote class="instagram-media" data-instgrm-permalink="https://www.instagram.com/p/<code>/…"
  data-instgrm-version="12|14">`` holding the caption link and "A post shared by <a>Name</a> (@user) on
  <time datetime=…>…</time>", then ``<script async src="//www.instagram.com/embed.js">``.
- What ``embed.js`` renders (and some CMSs paste): ``<iframe class="instagram-media …"
  src="https://www.instagram.com/p/<code>/embed/captioned/?…">``; any iframe whose src is an
  Instagram ``/embed`` page counts.
"""

from __future__ import annotations

import re

from lxml import etree

from crawlers.platforms.hits import Hit
from crawlers.platforms.instagram.urls import canonical_url, parse_post_url
from crawlers.platforms.markup import claim_embeds
from crawlers.platforms.meta.page import has_class, visible_text

_CANDIDATES = etree.XPath(
    f"//blockquote[{has_class('instagram-media')} or @data-instgrm-permalink]"
    " | //iframe[contains(@src, 'instagram.com/') or contains(@data-src, 'instagram.com/')]"
)
_SHARED_BY = re.compile(
    r"(?:A post shared by|Ein Beitrag geteilt von)\s+(?P<name>.*?)\s*\(@(?P<user>[A-Za-z0-9_.]{1,30})\)"
)


def _blockquote(el: etree._Element) -> Hit | None:
    parsed = parse_post_url(el.get("data-instgrm-permalink") or "")
    if parsed is None:
        for a in el.iter("a"):
            parsed = parse_post_url(a.get("href") or "")
            if parsed is not None:
                break
    if parsed is None:
        return None
    text = " ".join("".join(el.itertext()).split())
    shared = _SHARED_BY.search(text)
    caption = None
    for p in el.iter("p"):
        links = [a for a in p.iter("a") if parse_post_url(a.get("href") or "")]
        words = visible_text(p)
        if links and words and "shared by" not in words and words != "View this post on Instagram":
            caption = words
            break
    time_el = next(iter(el.iter("time")), None)
    handle = shared["user"] if shared else parsed["handle"]
    return Hit(
        kind="embed",
        platform="instagram",
        post_id=parsed["post_id"],
        element=el,
        handle=handle,
        display_name=shared["name"].strip() or None if shared else None,
        displayed_text=caption,
        displayed_date=(time_el.get("datetime") or visible_text(time_el)) if time_el is not None else None,
        url=canonical_url(parsed["post_id"]),
        variant="instagram-blockquote",
    )


def _iframe(el: etree._Element) -> Hit | None:
    parsed = parse_post_url(el.get("src") or el.get("data-src") or "")
    if parsed is None or not parsed["embed"]:
        return None
    return Hit(
        kind="embed",
        platform="instagram",
        post_id=parsed["post_id"],
        element=el,
        handle=parsed["handle"],
        url=canonical_url(parsed["post_id"]),
        variant="instagram-iframe",
    )


def find_embeds(doc: etree._Element) -> list[Hit]:
    """Every Instagram embed in *doc*, in document order; nothing inside a found embed is another."""
    return claim_embeds(_CANDIDATES(doc), lambda el: _blockquote(el) if el.tag == "blockquote" else _iframe(el))
