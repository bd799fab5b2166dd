"""Embeds that exist only in a page's inline JSON state (Arc XP/Fusion ``raw_oembed``, Next.js data…).

Script text is not HTML, so two cheap scans are used, each only on scripts that mention Twitter:
``"raw_oembed": {…}`` objects are decoded with ``json.JSONDecoder.raw_decode``; any JSON string
literal holding ``twitter-tweet`` markup is decoded and parsed as an HTML fragment.
"""

from __future__ import annotations

import json
import re
from typing import Any

from lxml import etree, html

from crawlers.platforms.hits import Hit
from crawlers.platforms.markup import tag_of
from crawlers.platforms.x.embeds import parse_tweet_container
from crawlers.platforms.x.urls import parse_status_url

_RAW_OEMBED = re.compile(r'"raw_oembed"\s*:\s*(?=\{)')
_MARKUP_STRING = re.compile(r'"((?:[^"\\\n]|\\.){0,20000}?twitter-(?:tweet|video)(?:[^"\\\n]|\\.){0,200000}?)"')
_URL_FIELD = re.compile(r'"url"\s*:\s*"((?:https?:)?(?:\\?/){2}(?:www\.|mobile\.)?(?:twitter|x)\.com[^"]{1,300})"')
_DECODER = json.JSONDecoder(strict=False)
_MAX_OBJECTS = 2000
_MAX_OBJECT_CHARS = 64_000


def _decode_string(body: str) -> str | None:
    try:
        value = json.loads(f'"{body}"', strict=False)
    except ValueError:
        return None
    return value if isinstance(value, str) else None


def _from_markup(markup: str) -> list[Hit]:
    try:
        fragment = html.fragment_fromstring(markup, create_parent="div")
    except (etree.ParserError, ValueError, etree.XMLSyntaxError):
        return []
    hits = []
    for el in fragment.iter("blockquote"):
        hit = parse_tweet_container(el)
        if hit.post_id:
            hits.append(hit)
    return hits


def _from_oembed(obj: Any) -> list[Hit]:
    if not isinstance(obj, dict):
        return []
    hits = _from_markup(obj["html"]) if isinstance(obj.get("html"), str) else []
    url = obj.get("url")
    parsed = parse_status_url(url) if isinstance(url, str) else None
    if parsed and not any(h.post_id == parsed["id"] for h in hits):
        name = obj.get("author_name")
        hits.append(Hit(kind="embed", post_id=parsed["id"], url=url, handle=parsed["handle"],
                        display_name=name if isinstance(name, str) else None))
    return hits


def find_json_state_embeds(doc: etree._Element) -> list[Hit]:
    hits: list[Hit] = []
    seen: set[str] = set()
    for script in doc.iter("script"):
        text = script.text
        if not text or ("twitter" not in text and "x.com" not in text):
            continue
        if (script.get("type") or "").lower() == "application/ld+json":
            continue
        found: list[Hit] = []
        if "raw_oembed" in text:
            for count, m in enumerate(_RAW_OEMBED.finditer(text)):
                if count >= _MAX_OBJECTS:
                    break
                try:  # a real oEmbed object is a few KB; the slice bounds the cost of broken JSON
                    obj, _end = _DECODER.raw_decode(text[m.end(): m.end() + _MAX_OBJECT_CHARS])
                except (ValueError, RecursionError):
                    obj = None
                if obj is not None:
                    found.extend(_from_oembed(obj))
                else:  # not strict JSON (JS object literal): take the first twitter URL nearby
                    url_match = _URL_FIELD.search(text, m.end(), m.end() + 5000)
                    if url_match:
                        url = url_match.group(1).replace("\\/", "/")
                        parsed = parse_status_url(url)
                        if parsed:
                            found.append(Hit(kind="embed", post_id=parsed["id"], url=url,
                                             handle=parsed["handle"]))
        if "twitter-tweet" in text or "twitter-video" in text:
            for m in _MARKUP_STRING.finditer(text):
                markup = _decode_string(m.group(1))
                if markup and "<" in markup:
                    found.extend(_from_markup(markup))
        for hit in found:
            if hit.post_id in seen:
                continue
            seen.add(hit.post_id or "")
            hit.element = script
            hit.variant = "json-state"
            hits.append(hit)
    return [h for h in hits if tag_of(h.element)]
