"""Threads embeds in article markup (FORMATS.md §7; real snippet in other_platforms/).

``<blockquote class="text-post-media" data-text-post-permalink="https://www.threads.net/@user/post/<code>"
data-text-post-version="0" id="ig-tp-<code>">`` holding a link with "Post by @user" and "View on
Threads" (no text of the post), then ``<script async src="https://www.threads.net/embed.js">``
(``www.threads.com`` since 2025). ``embed.js`` turns it into an iframe on ``/@user/post/<code>/embed``.
"""

from __future__ import annotations

import re

from lxml import etree

from crawlers.platforms.hits import Hit
from crawlers.platforms.markup import claim_embeds
from crawlers.platforms.meta.page import has_class
from crawlers.platforms.threads.urls import canonical_url, parse_post_url

_CANDIDATES = etree.XPath(
    f"//blockquote[{has_class('text-post-media')} or @data-text-post-permalink]"
    " | //iframe[contains(@src, 'threads.') or contains(@data-src, 'threads.')]"
)
_POST_BY = re.compile(r"Post by @(?P<user>[A-Za-z0-9_.]{1,30})")


def _hit(el: etree._Element) -> Hit | None:
    if el.tag == "blockquote":
        parsed = parse_post_url(el.get("data-text-post-permalink") or "")
        if parsed is None:
            parsed = next((p for a in el.iter("a") if (p := parse_post_url(a.get("href") or ""))), None)
        variant = "threads-blockquote"
    else:
        parsed = parse_post_url(el.get("src") or el.get("data-src") or "")
        if parsed is not None and not parsed["embed"]:
            parsed = None
        variant = "threads-iframe"
    if parsed is None:
        return None
    shown = _POST_BY.search(" ".join("".join(el.itertext()).split()))
    handle = shown["user"] if shown else parsed["handle"]
    return Hit(
        kind="embed",
        platform="threads",
        post_id=parsed["post_id"],
        element=el,
        handle=handle,
        url=canonical_url(parsed["post_id"], handle),
        variant=variant,
    )


def find_embeds(doc: etree._Element) -> list[Hit]:
    """Every Threads embed in *doc*, in document order; nothing inside a found embed is another."""
    return claim_embeds(_CANDIDATES(doc), _hit)
