"""What an X post's link texts stand for, for the quote checks (``Post.links``).

An embed or an article shows a post's links as t.co links, display URLs or expanded URLs, and its
media as a ``pic.twitter.com/…`` (now ``pic.x.com/…``) placeholder; the syndication body's entities
say which is which (FORMATS.md §4).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from crawlers.platforms.payload import as_dict, as_list
from receipts.quotes.normalize import canonical_url

PIC_HOSTS = ("pic.twitter.com", "pic.x.com")


def link_map(raw: Mapping[str, Any] | None) -> dict[str, str | None]:
    """t.co and display URLs → the expanded URL; media links (t.co and both pic hosts) → None."""
    out: dict[str, str | None] = {}
    if not isinstance(raw, Mapping):
        return out
    entities = as_dict(raw.get("entities"))
    for entity in as_list(entities.get("urls")):
        if isinstance(entity, Mapping) and isinstance(entity.get("expanded_url"), str):
            for key in ("url", "display_url"):
                if isinstance(entity.get(key), str):
                    out[canonical_url(entity[key])] = entity["expanded_url"]
    for source in (as_list(entities.get("media")), as_list(raw.get("mediaDetails"))):
        for entity in source:
            if not isinstance(entity, Mapping):
                continue
            if isinstance(entity.get("url"), str):
                out[canonical_url(entity["url"])] = None
            display = entity.get("display_url")
            if isinstance(display, str):
                code = urlsplit("https://" + canonical_url(display)).path
                for host in PIC_HOSTS:
                    out[canonical_url(host + code)] = None
    return out
