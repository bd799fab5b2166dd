"""Embeds whose markup was stripped or replaced, on any platform: what is left is the post's URL.

- consent placeholders that keep only the post URL in a data attribute (``data-resourceurl``,
  ``data-url``, ``data-src``, ``data-embed-url``, ``data-consent-src`` …) beside a "load content" button;
- Iframely/Embedly wrappers (``data-iframely-url``, ``cdn.iframe.ly``/``embedly`` frames with the post
  in ``url=``), ``data-embedded-url`` and other wrapper attributes;
- live-blog entries (``div.tweet[data-url]``) and empty blockquotes that carry the URL in an attribute;
- rendered iframes whose only trace of the post is its URL or ``id=`` in the frame URL.

Links (``<a href>``) are not placeholders: an anchor is a link unless the platform's own markup makes
it an embed. Elements inside an embed another detector found are skipped.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, unquote, urlsplit

from lxml import etree

from crawlers.platforms.hits import Hit
from crawlers.platforms.markup import class_tokens, element_lines, tag_of
from crawlers.platforms.registry import post_ref

from .links import status_of

__all__ = ["PostAnchor", "find_placeholder_embeds", "inside", "post_anchors", "post_of"]

PostAnchor = tuple[etree._Element, tuple[str, str, str | None]]

_URL_ATTRS = frozenset({"src", "url", "source", "href"})
_NOT_HOLDERS = frozenset({"link", "meta", "base", "area", "script", "img", "source", "video", "audio", "picture",
                          "style", "track"})
# an anchor a widget script turns into an embed (Embedly cards, Iframely links)
_WIDGET_ANCHOR_CLASSES = frozenset({"embedly-card", "iframely-embed", "iframely-link", "embed-card"})
# a cheap first look before any platform parses the URL (most links on a page are the site's own): the
# registered platforms' domain names and X's mirrors, or a Mastodon status path on any host.
# tests/crawlers/discovery/test_placeholders.py checks every platform's post URLs pass it.
_POST_DOMAINS = frozenset({
    "twitter", "x", "t", "fxtwitter", "vxtwitter", "fixupx", "fixvx", "twittpr", "nitter", "xcancel", "bsky",
    "instagram", "instagr", "threads", "facebook", "fb", "tiktok", "youtube", "youtube-nocookie", "youtu"})


def _maybe_post(url: str) -> bool:
    if "/@" in url or "/statuses/" in url or "nitter." in url:
        return True
    rest = url.partition("//")[2]
    host = rest.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0].rsplit("@", 1)[-1].split(":", 1)[0]
    labels = host.lower().rsplit(".", 2)
    return len(labels) >= 2 and labels[-2] in _POST_DOMAINS


_WRAPPED_IN_PATH = re.compile(r"/(https?:/{1,2}.+)$")
_WRAPPER_PARAMS = ("url", "src", "u", "href", "link", "resource")
_BUTTONS = ("button", "input")


def post_of(url: str) -> tuple[str, str, str | None] | None:
    """``(platform, post_id, handle)`` for a post URL of any registered platform (X mirrors included)."""
    url = url.strip()
    if not url.startswith(("http:", "https:", "//", "HTTP")) or len(url) > 4000 or not _maybe_post(url):
        return None  # a relative link, or a host no platform owns, is never a post
    found = status_of(url)
    if found and found.get("id"):
        return "x", str(found["id"]), found.get("handle")
    ref = post_ref("https:" + url if url.startswith("//") else url)
    return (ref.platform, ref.post_id, ref.handle) if ref else None


def post_anchors(doc: etree._Element) -> list[PostAnchor]:
    """Every ``<a href>`` to a post of any platform, with the post, in document order (read once)."""
    found: list[PostAnchor] = []
    for a in doc.iter("a"):
        post = post_of(a.get("href") or "")
        if post is not None:
            found.append((a, post))
    return found


def _wrapped(url: str) -> str | None:
    """The post URL a wrapper URL (Iframely, Embedly, twitframe, an embed page) carries in its query."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    query = parse_qs(parts.query)
    for name in _WRAPPER_PARAMS:
        for value in query.get(name, ()):
            value = unquote(value) if "%" in value else value
            if value.startswith(("http:", "https:", "//")):
                return value
    inner = _WRAPPED_IN_PATH.search(parts.path)  # oembed.link/https://twitter.com/…, archive-style wrappers
    if inner:
        return re.sub(r"^(https?:)/(?!/)", r"\1//", inner.group(1))
    return None


def _attribute_post(el: etree._Element) -> tuple[tuple[str, str, str | None], str, str] | None:
    anchor = tag_of(el) == "a"
    for name, value in el.attrib.items():
        if not (name.startswith("data-") or name in _URL_ATTRS):
            continue
        if anchor and name == "href" and not _WIDGET_ANCHOR_CLASSES.intersection(class_tokens(el)):
            continue  # a plain link stays a link
        value = value.strip()
        if not value.startswith(("http:", "https:", "//")):
            continue
        found = post_of(value)
        url = value
        if found is None:
            inner = _wrapped(value)
            found = post_of(inner) if inner else None
            url = inner or value
        if found is not None:
            return found, url, name
    return None


def inside(el: etree._Element, *claimed: set[etree._Element]) -> bool:
    """*el* or one of its ancestors is in one of the *claimed* sets (part of an embed already read)."""
    return any(node in found for node in (el, *el.iterancestors()) for found in claimed)


def find_placeholder_embeds(doc: etree._Element, claimed: set[etree._Element]) -> list[Hit]:
    """Embeds known only by a post URL in an attribute, outside (and not around) *claimed* elements."""
    hits: list[Hit] = []
    taken: set[etree._Element] = set()
    for el in doc.iter(etree.Element):  # an XPath over all attributes merges node sets quadratically in libxml2
        if len(el.attrib) == 0 or (el.tag == "a" and len(el.attrib) == 1):
            continue  # most elements; a bare link stays a link
        if not isinstance(el.tag, str) or el.tag.lower() in _NOT_HOLDERS:
            continue  # a picture's or a script's URL is not an embed (screenshots are read elsewhere)
        found = _attribute_post(el)
        if found is None or inside(el, claimed, taken):
            continue
        (platform, post_id, handle), url, attr = found
        if any(c in claimed for c in el.iterdescendants()):
            continue  # a wrapper around an embed another detector read
        holder = _holder(el)
        hit = Hit(kind="embed", platform=platform, post_id=post_id, handle=handle, url=url, element=holder,
                  variant=f"{tag_of(el)}[{attr}]")
        if tag_of(holder) == "blockquote":
            hit.displayed_text = element_lines(holder) or None
        hit.displayed_text = hit.displayed_text or _fallback_picture_text(holder)
        hits.append(hit)
        taken.add(holder)
    return hits


def _fallback_picture_text(el: etree._Element) -> str | None:
    """The alt text of the no-script picture a placeholder keeps beside itself (what a reader without the
    embed sees)."""
    for node in (*el.iterdescendants(), *_next_siblings(el, 2)):
        if tag_of(node) == "noscript" or node.get("data-receipts-unwrapped") == "noscript":
            for img in node.iter("img"):
                alt = " ".join((img.get("alt") or "").split())
                if len(alt.split()) >= 3:
                    return alt
    return None


def _next_siblings(el: etree._Element, limit: int) -> list[etree._Element]:
    out: list[etree._Element] = []
    node = el.getnext()
    while node is not None and len(out) < limit:
        if isinstance(node.tag, str):
            out.append(node)
        node = node.getnext()
    return out


def _holder(el: etree._Element) -> etree._Element:
    """The placeholder box: a consent button's container rather than the button itself."""
    if tag_of(el) in _BUTTONS and el.getparent() is not None:
        return el.getparent()
    return el
