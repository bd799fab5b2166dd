"""Embeds in a page's inline JSON state, and whose content that state is.

Next.js ``__NEXT_DATA__``, Apollo/Redux/Nuxt stores, Arc XP ``Fusion.globalContent``/``contentCache`` and
WordPress REST JSON carry the article's embeds as markup strings or oEmbed-like objects, and often other
articles' too (next-article prefetch, recommendation rails). The JSON is decoded and walked; each embed is
tied to its nearest enclosing object that names a page of this site (``canonical_url``, ``url``, ``link``,
``permalink``, ``slug`` …):

- ``own``: that page is this article, so the embed is part of its body;
- ``foreign``: another article's, so page chrome (``in_body`` false);
- ``unknown``: no page named on the way up (a single-article store).

Scripts that are not JSON (JS object literals) are left to the platforms' own text scans.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from lxml import etree, html

from crawlers.platforms.hits import Hit
from crawlers.platforms.markup import tag_of
from crawlers.platforms.registry import PLATFORMS

from .placeholders import post_of

__all__ = ["StateEmbed", "find_state_embeds"]

Ownership = Literal["own", "foreign", "unknown"]

_MARKERS = ("twitter", "x.com", "bsky", "instagram", "threads.", "facebook", "tiktok", "youtu", "mastodon")
_JSON_TYPES = frozenset({"", "text/javascript", "application/javascript", "application/json", "module"})
_ASSIGN = re.compile(r"(?:^|[;\s,(])(?:window\.|self\.|globalThis\.)?[\w$.]+(?:\[[\"'][\w$.-]+[\"']\])?\s*=\s*(?=[{\[])")
_JSON_PARSE = re.compile(r"JSON\.parse\(\s*(\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*')\s*\)")
_EMBED_MARKUP = re.compile(r"<\s*(?:blockquote|iframe|amp-twitter)\b", re.IGNORECASE)
_PAGE_KEYS = ("canonical_url", "canonicalUrl", "canonical", "permalink", "website_url", "link", "url", "href",
              "uri", "path", "slug")
_EMBED_KEYS = frozenset({"raw_oembed", "oembed", "embed", "oembed_response", "embed_url", "embedUrl"})
_EMBED_TYPES = re.compile(r"twitter|tweet|x-post|oembed|embed|bluesky|instagram|threads|facebook|tiktok|youtube"
                          r"|mastodon|social", re.IGNORECASE)
_DECODER = json.JSONDecoder(strict=False)
_MAX_SCRIPT = 8_000_000
_MAX_NODES = 400_000


@dataclass
class StateEmbed:
    hit: Hit
    ownership: Ownership


def find_state_embeds(doc: etree._Element, page_url: str, canonical_url: str | None) -> list[StateEmbed]:
    """Embeds in the inline JSON of *doc*, each with whose content it is (see the module docstring)."""
    pages: set[str | None] = {_page_key(u) for u in (page_url, canonical_url) if u}
    for url in (page_url, canonical_url):
        pages |= page_slugs(url or "")
    host = _host(canonical_url or page_url)
    found: dict[tuple[str, str], StateEmbed] = {}
    for script in doc.iter("script"):
        text = script.text or ""
        if not text or len(text) > _MAX_SCRIPT or (script.get("type") or "").strip().lower() not in _JSON_TYPES:
            continue
        lowered = text[:_MAX_SCRIPT].lower()
        if not any(marker in lowered for marker in _MARKERS):
            continue
        for value in _json_values(text):
            for hit, owner in _walk(value, host):
                key = (hit.platform, hit.post_id or "")
                hit.element = script
                ownership: Ownership = "unknown" if owner is None else "own" if owner in pages else "foreign"
                kept = found.get(key)
                if kept is None or _richness(hit) > _richness(kept.hit):  # the markup beats a bare URL
                    if kept is not None and kept.ownership == "own":
                        ownership = "own"
                    found[key] = StateEmbed(hit, ownership)
                elif ownership == "own":
                    kept.ownership = "own"  # this article's, even if a rail repeats it
    return list(found.values())


def _richness(hit: Hit) -> int:
    return sum(v is not None for v in (hit.displayed_text, hit.display_name, hit.displayed_date, hit.handle))


def _json_values(text: str) -> Iterator[Any]:
    stripped = text.strip()
    if stripped[:1] in "{[":
        try:
            yield json.loads(stripped)
            return
        except (ValueError, RecursionError):
            pass
    for m in _ASSIGN.finditer(text):
        try:
            value, _end = _DECODER.raw_decode(text, m.end())
        except (ValueError, RecursionError):
            continue
        if isinstance(value, dict | list):
            yield value
    for m in _JSON_PARSE.finditer(text):
        literal = m.group(1)
        if literal.startswith("'"):
            literal = '"' + literal[1:-1].replace('\\"', '"').replace('"', '\\"') + '"'
        try:
            inner = json.loads(json.loads(literal, strict=False), strict=False)
        except (ValueError, TypeError, RecursionError):
            continue
        if isinstance(inner, dict | list):
            yield inner


def _walk(root: Any, host: str | None) -> Iterator[tuple[Hit, str | None]]:
    """Embeds in *root* with the page key of their nearest enclosing page object (or None)."""
    stack: list[tuple[Any, str | None, bool]] = [(root, None, False)]
    nodes = 0
    while stack and nodes < _MAX_NODES:
        node, owner, embedish = stack.pop()
        nodes += 1
        if isinstance(node, dict):
            owner = _owner(node, host) or owner
            here = embedish or _is_embed_object(node)
            for key, value in node.items():
                if isinstance(value, str):
                    yield from _from_string(value, owner, here or key in _EMBED_KEYS)
                else:
                    stack.append((value, owner, here or key in _EMBED_KEYS))
        elif isinstance(node, list):
            stack.extend((item, owner, embedish) for item in reversed(node))
        elif isinstance(node, str):
            yield from _from_string(node, owner, embedish)


def _from_string(value: str, owner: str | None, embedish: bool) -> Iterator[tuple[Hit, str | None]]:
    if "<" in value and _EMBED_MARKUP.search(value):
        for hit in _from_markup(value):
            yield hit, owner
    elif embedish and value.startswith(("http:", "https:", "//")):
        found = post_of(value)
        if found is not None:
            platform, post_id, handle = found
            yield Hit(kind="embed", platform=platform, post_id=post_id, handle=handle, url=value,
                      variant="json-state"), owner


def _from_markup(markup: str) -> list[Hit]:
    try:
        fragment = html.fragment_fromstring(markup, create_parent="div")
    except (etree.ParserError, ValueError, etree.XMLSyntaxError):
        return []
    hits: list[Hit] = []
    for platform in PLATFORMS.values():
        for hit in platform.find_embeds(fragment):
            if hit.post_id and tag_of(hit.element) != "script":
                hit.variant = "json-state"
                hits.append(hit)
    return hits


def _is_embed_object(node: dict[str, Any]) -> bool:
    for key in ("type", "subtype", "__typename", "provider_name", "providerNameSlug", "provider", "blockName",
                "_type", "embedType", "kind"):
        value = node.get(key)
        if isinstance(value, str) and _EMBED_TYPES.search(value):
            return True
    return False


def _owner(node: dict[str, Any], host: str | None) -> str | None:
    """The page key of *node* when it names a page of this site (not a post, not another site)."""
    for key in _PAGE_KEYS:
        value = node.get(key)
        if not isinstance(value, str) or not value.strip():
            continue
        value = value.strip()
        if key == "slug":
            if "/" not in value and " " not in value:
                return "slug:" + value.lower()
            continue
        if value.startswith("/") and not value.startswith("//"):
            return _page_key("https://" + (host or "") + value)
        if value.startswith(("http:", "https:")) and host and _host(value) == host:
            return _page_key(value)
    return None


def _host(url: str | None) -> str | None:
    try:
        found = (urlsplit(url or "").hostname or "").lower()
    except ValueError:
        return None
    return found.removeprefix("www.") or None


def _page_key(url: str) -> str | None:
    """A page's identity: host and path without trailing slash, index file, query or fragment."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    path = re.sub(r"/(?:index\.html?|amp)?$", "", parts.path or "") or "/"
    return f"{(parts.hostname or '').lower().removeprefix('www.')}{path.lower()}"


def page_slugs(url: str) -> set[str]:
    """``slug:<segment>`` keys for each path segment of *url* (a state object may name its page by slug)."""
    try:
        path = urlsplit(url).path
    except ValueError:
        return set()
    return {"slug:" + seg.lower().removesuffix(".html") for seg in path.split("/") if seg}
