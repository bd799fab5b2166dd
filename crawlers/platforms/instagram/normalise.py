"""Instagram answers → :class:`receipts.models.Post`: the oEmbed object and the captioned embed page.

oEmbed (``instagram_oembed``): ``title`` is the caption, ``author_name`` the username, ``thumbnail_url``
the picture (``thumbnail_width``/``height``); the ``html`` blockquote says "A post shared by Name
(@user) on <time datetime=…>" (older versions) and gives the display name and time when present.
Embed page (``/p/<code>/embed/captioned/``): ``.Caption`` holds ``a.CaptionUsername`` then the caption
(``<br>`` line breaks) then ``.CaptionComments``; ``img.EmbeddedMediaImage`` (``srcset`` up to 1080w)
is the picture or the video's poster; ``.UsernameText`` names the account when there is no caption; the
``data-media-type`` (``GraphImage`` / ``GraphVideo`` / ``GraphSidecar``) says what the post is. The
page carries no time.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from lxml import etree, html

from crawlers.platforms.instagram.urls import canonical_url
from crawlers.platforms.meta.page import best_src, first, has_class, parse_iso, visible_text
from crawlers.platforms.payload import as_str
from receipts.models import Author, Media, Post, post_key

PLATFORM = "instagram"
_SHARED_BY = re.compile(r"A post shared by\s+(?P<name>.*?)\s*\(@(?P<user>[A-Za-z0-9_.]{1,30})\)")
_USER = re.compile(r"^[A-Za-z0-9_.]{1,30}$")


class NotAPost(ValueError):
    """The answer holds no Instagram post."""


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _times(fetched_at: datetime | None) -> dict[str, datetime]:
    return {"first_seen_at": fetched_at, "last_checked_at": fetched_at} if fetched_at else {}


def from_oembed(data: dict[str, Any], post_id: str, *, fetched_at: datetime | None = None) -> Post:
    """An ``instagram_oembed`` object → a live Post (route ``oembed``)."""
    markup = as_str(data.get("html")) or ""
    name, when = None, None
    try:
        block = html.fragment_fromstring(markup, create_parent="div") if markup.strip() else None
    except (etree.ParserError, ValueError):
        block = None
    if block is not None:
        shared = _SHARED_BY.search(" ".join(block.text_content().split()))
        name = shared["name"].strip() or None if shared else None
        time_el = next(iter(block.iter("time")), None)
        when = parse_iso(time_el.get("datetime")) if time_el is not None else None
    handle = as_str(data.get("author_name"))
    if handle is None or not _USER.match(handle):
        raise NotAPost("oEmbed object without an author_name")
    media = []
    thumb = as_str(data.get("thumbnail_url"))
    if thumb and thumb.startswith("https://"):
        media.append(
            Media(
                type="photo",
                source_url=thumb,
                width=_int(data.get("thumbnail_width")),
                height=_int(data.get("thumbnail_height")),
            )
        )
    return Post(
        id=post_key(PLATFORM, post_id),
        platform=PLATFORM,
        post_id=post_id,
        url=canonical_url(post_id),
        author=Author(
            id=str(data["author_id"]) if _int(data.get("author_id")) else None, handle=handle, name=name
        ),
        text=as_str(data.get("title")) or "",
        created_at=when,
        status="live",
        route="oembed",
        media=media,
        raw={k: v for k, v in data.items() if isinstance(v, str | int | float | bool)},
        **_times(fetched_at),
    )


def from_embed_page(doc: etree._Element, post_id: str, *, fetched_at: datetime | None = None) -> Post:
    """The captioned embed page → a live Post (route ``embed_page``); NotAPost when it shows no post."""
    caption = first(doc, f"//*[{has_class('Caption')}]")
    image = first(doc, f"//img[{has_class('EmbeddedMediaImage')}]")
    user_el = first(doc, f"//*[{has_class('CaptionUsername')}]") if caption is not None else None
    if user_el is None:
        user_el = first(doc, f"//*[{has_class('UsernameText')}]")
    handle = visible_text(user_el) if user_el is not None else ""
    if not _USER.match(handle) or (caption is None and image is None):
        raise NotAPost("the embed page shows no post (no caption, picture or account name)")
    text = ""
    if caption is not None:
        text = visible_text(caption, skip_classes=("CaptionUsername", "CaptionComments"))
    holder = first(doc, "//*[@data-media-type]")
    kind = holder.get("data-media-type") if holder is not None else None
    media: list[Media] = []
    src = best_src(image) if image is not None else None
    if src:
        media.append(Media(type="photo", source_url=src, alt_text=(image.get("alt") or None)))
    reasons = []
    if kind == "GraphVideo":
        reasons.append("a video: the embed page shows its poster only")
    elif kind == "GraphSidecar":
        reasons.append("a carousel: the embed page shows its first item only")
    return Post(
        id=post_key(PLATFORM, post_id),
        platform=PLATFORM,
        post_id=post_id,
        url=canonical_url(post_id),
        author=Author(handle=handle),
        text=text,
        status="live",
        status_reason="; ".join(reasons) or None,
        route="embed_page",
        media=media,
        raw={"media_type": kind} if kind else None,
        **_times(fetched_at),
    )
