"""TikTok URL shapes: which URLs name a video, the stored post id (the numeric video id), oEmbed.

Accepted (``www.``/``m.`` or none): ``tiktok.com/@user/video/ID``, ``tiktok.com/video/ID``,
``tiktok.com/embed/v2/ID``, ``tiktok.com/embed/ID`` (the first embed player) and
``tiktok.com/player/v1/ID``. Short links (``vm.tiktok.com/ZM…``, ``tiktok.com/t/…``) carry no id
until followed and are not parsed here; ``/@user/photo/ID`` (photo posts) is no video.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from crawlers.platforms.weburl import split_web_url

OEMBED_ENDPOINT = "https://www.tiktok.com/oembed"
HOSTS = frozenset({"tiktok.com", "www.tiktok.com", "m.tiktok.com"})

# TikTok ids are unsigned 64-bit integers (19 digits since 2018); no leading zero
_ID = re.compile(r"[1-9][0-9]{0,19}", re.ASCII)
_HANDLE = re.compile(r"[A-Za-z0-9_.]{1,24}", re.ASCII)
_PATHS = (
    re.compile(r"^/@(?P<user>[^/]*)/video/(?P<id>[^/]+)/?$"),
    re.compile(r"^/video/(?P<id>[^/]+)/?$"),
    re.compile(r"^/embed/v2/(?P<id>[^/]+)/?$"),
    re.compile(r"^/embed/(?P<id>[^/]+)/?$"),
    re.compile(r"^/player/v1/(?P<id>[^/]+)/?$"),
)
_PROFILE = re.compile(r"^/@(?P<user>[^/]+)/?$")


def is_video_id(text: str | None) -> bool:
    return isinstance(text, str) and bool(_ID.fullmatch(text)) and int(text) < 2**64


def normalise_handle(text: str | None) -> str | None:
    """``@Name`` / ``Name`` → ``Name`` when it is a TikTok username (letters, digits, ``_`` and ``.``), else None."""
    if not isinstance(text, str):
        return None
    text = text.strip().removeprefix("@")
    return text if _HANDLE.fullmatch(text) and not text.endswith(".") else None


def _split(url: str) -> tuple[str, str] | None:
    split = split_web_url(url)
    return (split[0], split[1].path) if split is not None and split[0] in HOSTS else None


def parse_video_url(url: str) -> dict[str, str | None] | None:
    """``{"id", "handle", "kind"}`` when *url* names a TikTok video (kind: video, embed, player), else None."""
    split = _split(url)
    if split is None:
        return None
    path = split[1]
    for index, pattern in enumerate(_PATHS):
        match = pattern.match(path)
        if match is None:
            continue
        if not is_video_id(match["id"]):
            return None
        groups = match.groupdict()
        kind = ("video", "video", "embed", "embed", "player")[index]
        return {"id": match["id"], "handle": normalise_handle(groups.get("user")), "kind": kind}
    return None


def handle_from_url(url: str | None) -> str | None:
    """The username of a profile URL (``https://www.tiktok.com/@user``, query ignored), else None."""
    split = _split(url or "")
    match = _PROFILE.match(split[1]) if split else None
    return normalise_handle(match["user"]) if match else None


def parse_key(text: str) -> str | None:
    """A typed id (digits, or any accepted URL) → the stored post id, or None."""
    if not isinstance(text, str):
        return None
    text = text.strip()
    if is_video_id(text):
        return text
    parsed = parse_video_url(text) if "/" in text else None
    return parsed["id"] if parsed else None


def _check(post_id: str) -> str:
    if not is_video_id(post_id):
        raise ValueError(f"not a TikTok video id: {post_id!r}")
    return post_id


def canonical_url(post_id: str, handle: str | None = None) -> str:
    """``https://www.tiktok.com/@user/video/ID``; ``…/@/video/ID`` without a handle (TikTok serves both)."""
    user = normalise_handle(handle) or ""
    return f"https://www.tiktok.com/@{user}/video/{_check(post_id)}"


def embed_url(post_id: str) -> str:
    """``https://www.tiktok.com/embed/v2/ID``: the frame embed.js renders (the browser's page)."""
    return f"https://www.tiktok.com/embed/v2/{_check(post_id)}"


def oembed_url(post_id: str, handle: str | None = None) -> str:
    """``https://www.tiktok.com/oembed?url=<video URL>``."""
    return f"{OEMBED_ENDPOINT}?url={quote(canonical_url(post_id, handle), safe='')}"
