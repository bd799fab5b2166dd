"""Facebook embeds in article markup (FORMATS.md §7; real snippets in other_platforms/).

- XFBML: ``<div class="fb-post" data-href="https://www.facebook.com/<page>/posts/<id>/">`` (also
  ``fb-video``) holding ``<blockquote cite=…><p>TEXT</p>Posted by <a>Name</a> on <a>date</a></blockquote>``.
- The plugin iframe: ``<iframe src="https://www.facebook.com/plugins/post.php?href=<encoded URL>&width=…">``
  (``plugins/video.php`` for videos).
"""

from __future__ import annotations

import re

from lxml import etree

from crawlers.platforms.facebook.urls import canonical_url, parse_post_url
from crawlers.platforms.hits import Hit
from crawlers.platforms.markup import claim_embeds
from crawlers.platforms.meta.page import has_class, visible_text

_CANDIDATES = etree.XPath(
    f"//div[{has_class('fb-post')} or {has_class('fb-video')}]"
    " | //iframe[contains(@src, 'facebook.com/plugins/') or contains(@data-src, 'facebook.com/plugins/')]"
)
_POSTED_BY = re.compile(r"^Posted by\s+(?P<name>.+?)\s+on\s+(?P<date>.+)$", re.S)


def _xfbml(el: etree._Element) -> Hit | None:
    parsed = parse_post_url(el.get("data-href") or "")
    if parsed is None:
        return None
    name = date = text = None
    quote = next(iter(el.iter("blockquote")), None)
    if quote is not None:
        paragraphs = [visible_text(p) for p in quote.iter("p")]
        for words in paragraphs:
            match = _POSTED_BY.match(words)
            if match:
                name, date = match["name"].strip(), match["date"].strip()
        text = "\n\n".join(w for w in paragraphs if w and not _POSTED_BY.match(w)) or None
    return Hit(
        kind="embed",
        platform="facebook",
        post_id=parsed["post_id"],
        element=el,
        handle=parsed["handle"],
        display_name=name,
        displayed_text=text,
        displayed_date=date,
        url=canonical_url(parsed["post_id"]),
        variant="facebook-xfbml",
    )


def _iframe(el: etree._Element) -> Hit | None:
    parsed = parse_post_url(el.get("src") or el.get("data-src") or "")
    if parsed is None or not parsed["embed"]:
        return None
    return Hit(
        kind="embed",
        platform="facebook",
        post_id=parsed["post_id"],
        element=el,
        handle=parsed["handle"],
        url=canonical_url(parsed["post_id"]),
        variant="facebook-iframe",
    )


def find_embeds(doc: etree._Element) -> list[Hit]:
    """Every Facebook post embed in *doc*, in document order; nothing inside a found embed is another."""
    return claim_embeds(_CANDIDATES(doc), lambda el: _xfbml(el) if el.tag == "div" else _iframe(el))
