"""Facebook answers → :class:`receipts.models.Post`: the oEmbed object and the Embedded Posts plugin page.

oEmbed (``oembed_post`` / ``oembed_video``): ``author_name``, ``author_url``, and ``html`` holding the
XFBML ``div.fb-post > blockquote`` with the text in ``<p>`` and "Posted by <a>Name</a> on <a>date</a>"
(a day, kept as ``raw["displayed_date"]``, not a time).
Plugin page (``/plugins/post.php?href=``, a saved copy in fakeweb/data/facebook/SOURCES.md):
``._2iem a`` is the author's page link and name, ``abbr[data-utime]`` the time (epoch seconds),
``[data-testid=post_message]`` the text (``.text_exposed_hide`` is the "..." of a folded text),
``._2l7q img`` the picture, ``img._s0`` the avatar. A removed or hidden post shows
``p._1q3v`` "This Facebook post is no longer available. It may have been removed or the privacy
settings of the post may have changed."
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from lxml import etree, html

from crawlers.platforms.facebook.urls import canonical_url
from crawlers.platforms.meta.page import first, from_epoch, has_class, visible_text
from crawlers.platforms.payload import as_str
from receipts.models import Author, Media, Post, post_key

PLATFORM = "facebook"
_POSTED_BY = re.compile(r"^Posted by\s+(?P<name>.+?)\s+on\s+(?P<date>.+)$", re.S)


class NotAPost(ValueError):
    """The answer holds no Facebook post."""


def _times(fetched_at: datetime | None) -> dict[str, datetime]:
    return {"first_seen_at": fetched_at, "last_checked_at": fetched_at} if fetched_at else {}


def _handle(href: str | None) -> str | None:
    """``https://www.facebook.com/mannynewsletter?ref=embed_post`` → ``mannynewsletter``."""
    if not href:
        return None
    path = urlsplit(href).path.strip("/")
    return path.lower() if re.fullmatch(r"[A-Za-z0-9.\-]{1,80}", path) and not path.endswith(".php") else None


def from_oembed(data: dict[str, Any], post_id: str, *, fetched_at: datetime | None = None) -> Post:
    """An ``oembed_post`` / ``oembed_video`` object → a live Post (route ``oembed``)."""
    markup = as_str(data.get("html")) or ""
    try:
        block = html.fragment_fromstring(markup, create_parent="div") if markup.strip() else None
    except (etree.ParserError, ValueError):
        block = None
    quote = next(iter(block.iter("blockquote")), None) if block is not None else None
    if quote is None:
        raise NotAPost("oEmbed html holds no blockquote")
    paragraphs = [visible_text(p) for p in quote.iter("p")]
    posted = next((m for w in paragraphs if (m := _POSTED_BY.match(w))), None)
    text = "\n\n".join(w for w in paragraphs if w and not _POSTED_BY.match(w))
    raw = {k: v for k, v in data.items() if isinstance(v, str | int | float | bool)}
    if posted:
        raw["displayed_date"] = posted["date"].strip()
    return Post(
        id=post_key(PLATFORM, post_id),
        platform=PLATFORM,
        post_id=post_id,
        url=canonical_url(post_id),
        author=Author(
            handle=_handle(as_str(data.get("author_url"))),
            name=as_str(data.get("author_name")) or (posted["name"].strip() if posted else None),
        ),
        text=text,
        status="live",
        route="oembed",
        raw=raw,
        **_times(fetched_at),
    )


def unavailable_notice(doc: etree._Element) -> str | None:
    """The plugin's "no longer available" notice, or None."""
    notice = first(doc, f"//p[{has_class('_1q3v')}]")
    words = visible_text(notice) if notice is not None else ""
    return words or None


def from_plugin_page(doc: etree._Element, post_id: str, *, fetched_at: datetime | None = None) -> Post:
    """The Embedded Posts plugin page → a live Post (route ``embed_page``); NotAPost when it shows none."""
    author_link = first(doc, f"//*[{has_class('_2iem')}]//a")
    message = first(doc, "//*[@data-testid='post_message']")
    if author_link is None or (message is None and first(doc, "//abbr[@data-utime]") is None):
        raise NotAPost("the plugin page shows no post (no author link, text or time)")
    stamp = first(doc, "//abbr[@data-utime]")
    avatar = first(doc, f"//img[{has_class('_s0')}]")
    picture = first(doc, f"//*[{has_class('_2l7q')}]//img")
    media: list[Media] = []
    if picture is not None and (src := picture.get("src", "")).startswith("https://"):
        width, height = picture.get("width", ""), picture.get("height", "")
        media.append(
            Media(
                type="photo",
                source_url=src,
                width=int(width) if width.isdigit() else None,
                height=int(height) if height.isdigit() else None,
                alt_text=picture.get("alt") or None,
            )
        )
    avatar_url = (
        avatar.get("src") if avatar is not None and avatar.get("src", "").startswith("https://") else None
    )
    if avatar_url:
        media.append(Media(type="avatar", source_url=avatar_url))
    return Post(
        id=post_key(PLATFORM, post_id),
        platform=PLATFORM,
        post_id=post_id,
        url=canonical_url(post_id),
        author=Author(
            handle=_handle(author_link.get("href")),
            name=visible_text(author_link) or None,
            avatar_url=avatar_url,
        ),
        text=visible_text(message, skip_classes=("text_exposed_hide",)) if message is not None else "",
        created_at=from_epoch(stamp.get("data-utime")) if stamp is not None else None,
        status="live",
        route="embed_page",
        media=media,
        raw={"displayed_date": stamp.get("data-tooltip-content")} if stamp is not None else None,
        **_times(fetched_at),
    )
