"""Links to X posts: ``<a href>`` status URLs, t.co / pic.twitter.com short links, bare URLs in text.

Share/intent, profile and hashtag links are not posts (``parse_status_url`` rejects them).
Front-end mirrors (fxtwitter, vxtwitter, fixupx, nitter, xcancel) name the same X posts.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

from lxml import etree

from crawlers.platforms.hits import Hit
from crawlers.platforms.x.urls import is_pic_link, is_short_link, parse_status_url

from .body import SpanSet

_MIRRORS = frozenset({
    "fxtwitter.com", "www.fxtwitter.com", "vxtwitter.com", "www.vxtwitter.com", "fixupx.com", "fixvx.com",
    "twittpr.com", "nitter.net", "xcancel.com", "nitter.poast.org", "d.fxtwitter.com",
})
BARE_URL = re.compile(
    r"(?<![\w@./-])(?:https?://)?(?:(?:www|mobile|m)\.)?(?:twitter|x)\.com/[^\s<>\"'“”‘’)\]]+"
    r"|(?<![\w@./-])(?:https?://)?(?:t\.co|pic\.(?:twitter|x)\.com)/[A-Za-z0-9]+",
    re.IGNORECASE,
)


def status_of(href: str) -> dict[str, str | None] | None:
    href = href.strip()
    if href.startswith("//"):
        href = "https:" + href
    parsed = parse_status_url(href)
    if parsed or "://" not in href:
        return parsed
    try:
        parts = urlsplit(href)
    except ValueError:
        return None
    if (parts.hostname or "").lower() in _MIRRORS:
        return parse_status_url(urlunsplit(("https", "x.com", parts.path, parts.query, parts.fragment)))
    return None


def classify(href: str) -> tuple[str, dict[str, str | None] | None] | None:
    """``("link", parsed)`` for a post URL, ``("media_link", None)`` for t.co/pic links, else None."""
    href = href.strip()
    if not href or len(href) > 4000:
        return None
    parsed = status_of(href)
    if parsed:
        return "link", parsed
    full = href if "://" in href or href.startswith("//") else "https://" + href
    if full.startswith("//"):
        full = "https:" + full
    if is_short_link(full) or is_pic_link(full):
        return "media_link", None
    return None


def find_links(doc: etree._Element, claimed: set[etree._Element]) -> list[Hit]:
    """``<a href>`` references outside the claimed embed elements, in document order."""
    hits: list[Hit] = []
    for a in doc.iter("a"):
        href = a.get("href")
        if not href or ("twitter" not in href and "x.com" not in href and "t.co" not in href
                        and not any(m in href for m in _MIRRORS)):
            continue
        found = classify(href)
        if not found:
            continue
        node: etree._Element | None = a
        inside = False
        while node is not None:
            if node in claimed:
                inside = True
                break
            node = node.getparent()
        if inside:
            continue
        kind, parsed = found
        hit = Hit(kind="link" if kind == "link" else "media_link", url=href.strip(), element=a,
                  variant="a[href]")
        if parsed:
            hit.post_id = parsed["id"]
            hit.handle = parsed["handle"]
        hits.append(hit)
    return hits


def find_bare_urls(text: str, exclude: list[tuple[int, int]]) -> list[Hit]:
    """Status URLs written out in the body text (not inside a link or an embed)."""
    hits: list[Hit] = []
    if "twitter.com" not in text and "x.com" not in text and "t.co/" not in text:
        return hits
    excluded = SpanSet(exclude)
    for m in BARE_URL.finditer(text):
        start, end = m.span()
        if excluded.overlaps(start, end):
            continue
        token = m.group(0).rstrip(".,;:!?")
        end = start + len(token)
        found = classify(token)
        if not found or found[0] != "link":
            continue  # bare pic.twitter.com text is what a flattened embed shows, not a link
        parsed = found[1] or {}
        hits.append(Hit(kind="link", post_id=parsed.get("id"), handle=parsed.get("handle"),
                        url=token if "://" in token else "https://" + token, variant="bare-url",
                        offsets=(start, end)))
    return hits
