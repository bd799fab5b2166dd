"""YouTube oEmbed JSON → :class:`receipts.models.Post`.

The answer (``json/youtube_oembed_response.json``) carries ``title``, ``author_name``, ``author_url``
(``https://www.youtube.com/@Handle``, older channels ``/channel/UC…`` or ``/user/name``), the
``thumbnail_*`` of the ``hqdefault.jpg`` still and the player ``html``; no description, date,
counts or video file. The whole body is kept in ``Post.raw``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from crawlers.platforms.payload import as_str, bson_safe
from crawlers.platforms.youtube.urls import canonical_url, channel_from_url
from receipts.models import Author, Media, Post, post_key

PLATFORM = "youtube"
OEMBED_REASON = "read from oEmbed: title, channel and thumbnail only (no description, date or video)"
_EMBED_ID = re.compile(r"/embed/([A-Za-z0-9_-]{11})")


class NotAnOEmbed(ValueError):
    """The JSON is not YouTube's oEmbed answer for the video asked about."""


def _dimension(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    return value if isinstance(value, int) and 0 < value < 100_000 else None


def thumbnail(data: Mapping[str, Any]) -> Media | None:
    """The oEmbed ``thumbnail_url`` as a photo (its stated size; JPEG for ``.jpg``)."""
    url = as_str(data.get("thumbnail_url"))
    if url is None or not url.startswith(("https://", "http://")):
        return None
    path = url.split("?", 1)[0].lower()
    content_type = (
        "image/jpeg"
        if path.endswith((".jpg", ".jpeg"))
        else ("image/webp" if path.endswith(".webp") else None)
    )
    return Media(
        type="photo",
        source_url=url,
        width=_dimension(data.get("thumbnail_width")),
        height=_dimension(data.get("thumbnail_height")),
        content_type=content_type,
    )


def normalise_oembed(data: Any, post_id: str) -> Post:
    """The oEmbed answer for video *post_id* as a live Post; :class:`NotAnOEmbed` when it is not one."""
    if not isinstance(data, dict):
        raise NotAnOEmbed("not a JSON object")
    if data.get("type") != "video" or not isinstance(data.get("html"), str):
        raise NotAnOEmbed("no video type or player html")
    title = data.get("title")
    if not isinstance(title, str):
        raise NotAnOEmbed("no title")
    named = _EMBED_ID.findall(data["html"])
    if named and named[0] != post_id:
        raise NotAnOEmbed(f"the player is for video {named[0]}, asked for {post_id}")
    handle, channel_id = channel_from_url(as_str(data.get("author_url")))
    media = thumbnail(data)
    return Post(
        id=post_key(PLATFORM, post_id),
        platform=PLATFORM,
        post_id=post_id,
        url=canonical_url(post_id),
        author=Author(id=channel_id, handle=handle, name=as_str(data.get("author_name"))),
        text=title,
        status="live",
        status_reason=OEMBED_REASON,
        route="oembed",
        media=[media] if media else [],
        raw=bson_safe(data),
    )
