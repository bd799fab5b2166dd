"""TikTok oEmbed JSON → :class:`receipts.models.Post`, and TikTok's error bodies.

The answer (``json/tiktok_oembed_response.json``) carries the caption as ``title``, ``author_name``,
``author_url``, ``author_unique_id`` (the username), ``embed_product_id`` (the video id), the
``thumbnail_*`` of the cover (a signed, expiring CDN URL) and the blockquote ``html``; no date,
counts or video file. The whole body is kept in ``Post.raw``. Errors are JSON without ``html``:
``{"status_msg": "Something went wrong"}``, sometimes with ``"status_code": 10101``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from crawlers.platforms.payload import as_str, bson_safe
from crawlers.platforms.tiktok.urls import canonical_url, handle_from_url, normalise_handle
from receipts.models import Author, Media, Post, post_key

PLATFORM = "tiktok"
OEMBED_REASON = "read from oEmbed: caption, author and cover only (no date, counts or video)"
_HTML_ID = re.compile(r'data-video-id="([0-9]+)"')


class NotAnOEmbed(ValueError):
    """The JSON is not TikTok's oEmbed answer for the video asked about."""


def error_message(data: Any) -> str | None:
    """``status_msg`` (with ``status_code`` when given) of a TikTok error body, else None."""
    if not isinstance(data, dict) or "html" in data:
        return None
    message = as_str(data.get("status_msg"))
    if message is None or not message.strip():
        return None
    code = data.get("status_code")
    if isinstance(code, int) and not isinstance(code, bool):
        return f"{message.strip()} (status_code {code})"
    return message.strip()


def _dimension(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    return value if isinstance(value, int) and 0 < value < 100_000 else None


def thumbnail(data: Mapping[str, Any]) -> Media | None:
    """The cover (``thumbnail_url``) as a photo of its stated size; the CDN URL expires (``x-expires``)."""
    url = as_str(data.get("thumbnail_url"))
    if url is None or not url.startswith(("https://", "http://")):
        return None
    return Media(
        type="photo",
        source_url=url,
        width=_dimension(data.get("thumbnail_width")),
        height=_dimension(data.get("thumbnail_height")),
    )


def normalise_oembed(data: Any, post_id: str) -> Post:
    """The oEmbed answer for video *post_id* as a live Post; :class:`NotAnOEmbed` when it is not one."""
    if not isinstance(data, dict):
        raise NotAnOEmbed("not a JSON object")
    if data.get("type") != "video" or not isinstance(data.get("html"), str):
        raise NotAnOEmbed("no video type or embed html")
    title = data.get("title")
    if not isinstance(title, str):
        raise NotAnOEmbed("no title")
    named = as_str(data.get("embed_product_id"))
    if named is None:
        found = _HTML_ID.findall(data["html"])
        named = found[0] if found else None
    if named is not None and named != post_id:
        raise NotAnOEmbed(f"the answer is for video {named}, asked for {post_id}")
    author_url = as_str(data.get("author_url"))
    handle = normalise_handle(as_str(data.get("author_unique_id"))) or handle_from_url(author_url)
    media = thumbnail(data)
    return Post(
        id=post_key(PLATFORM, post_id),
        platform=PLATFORM,
        post_id=post_id,
        url=canonical_url(post_id, handle),
        author=Author(handle=handle, name=as_str(data.get("author_name"))),
        text=title.strip(),
        status="live",
        status_reason=OEMBED_REASON,
        route="oembed",
        media=[media] if media else [],
        raw=bson_safe(data),
    )
