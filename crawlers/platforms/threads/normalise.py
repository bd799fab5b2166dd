"""Threads answers → :class:`receipts.models.Post`: the oEmbed object and the embed page.

oEmbed (``graph.threads.net/v1.0/oembed``) gives ``html`` (the ``text-post-media`` blockquote: "Post by
@user", no text) and ``provider_name``: the post exists, its text is not in it. The embed page is read
through its OpenGraph tags, as Threads' post pages carry them: ``og:title`` "Name (@user) on Threads",
``og:description`` the text, ``og:image`` the first picture (no saved copy of the embed page's own
markup was found; see fakeweb/data/threads/SOURCES.md).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from lxml import etree, html

from crawlers.platforms.meta.page import meta_content
from crawlers.platforms.payload import as_str
from crawlers.platforms.threads.urls import canonical_url, parse_post_url
from receipts.models import Author, Media, Post, post_key

PLATFORM = "threads"
_TITLE = re.compile(r"^(?P<name>.*?)\s*\(@(?P<user>[A-Za-z0-9_.]{1,30})\) on Threads\b")
_POST_BY = re.compile(r"Post by @(?P<user>[A-Za-z0-9_.]{1,30})")


class NotAPost(ValueError):
    """The answer holds no Threads post."""


def _times(fetched_at: datetime | None) -> dict[str, datetime]:
    return {"first_seen_at": fetched_at, "last_checked_at": fetched_at} if fetched_at else {}


def from_oembed(data: dict[str, Any], post_id: str, *, fetched_at: datetime | None = None) -> Post:
    """A Threads oEmbed object → a live Post with the author only (the snippet has no text)."""
    markup = as_str(data.get("html")) or ""
    try:
        block = html.fragment_fromstring(markup, create_parent="div") if markup.strip() else None
    except (etree.ParserError, ValueError):
        block = None
    if block is None:
        raise NotAPost("oEmbed html is empty")
    permalink = next(
        (p for el in block.iter() if (p := parse_post_url(el.get("data-text-post-permalink") or ""))), None
    )
    if permalink is None or permalink["post_id"] != post_id:
        raise NotAPost("oEmbed html names no blockquote for this post")
    shown = _POST_BY.search(" ".join(block.text_content().split()))
    handle = shown["user"] if shown else permalink["handle"]
    return Post(
        id=post_key(PLATFORM, post_id),
        platform=PLATFORM,
        post_id=post_id,
        url=canonical_url(post_id, handle),
        author=Author(handle=handle, name=as_str(data.get("author_name"))),
        status="live",
        status_reason="oEmbed only: no text or media",
        route="oembed",
        raw={k: v for k, v in data.items() if isinstance(v, str | int | float | bool)},
        **_times(fetched_at),
    )


def from_embed_page(doc: etree._Element, post_id: str, *, fetched_at: datetime | None = None) -> Post:
    """The embed page's OpenGraph tags → a live Post (route ``embed_page``); NotAPost without them."""
    title = meta_content(doc, "og:title") or ""
    match = _TITLE.match(title)
    if match is None:
        raise NotAPost("the embed page names no author (no 'Name (@user) on Threads' og:title)")
    image = meta_content(doc, "og:image")
    media = [Media(type="photo", source_url=image)] if image and image.startswith("https://") else []
    return Post(
        id=post_key(PLATFORM, post_id),
        platform=PLATFORM,
        post_id=post_id,
        url=canonical_url(post_id, match["user"]),
        author=Author(handle=match["user"], name=match["name"].strip() or None),
        text=meta_content(doc, "og:description") or "",
        status="live",
        route="embed_page",
        media=media,
        **_times(fetched_at),
    )
