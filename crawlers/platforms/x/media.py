"""Best-quality URL selection for X media: photos, avatars, mp4 variants and HLS playlists.

Selection follows FORMATS.md §5: photos ``name=orig`` then ``4096x4096`` then ``large`` (gallery-dl);
mp4 variants by resolution parsed from the URL, then bitrate (yt-dlp); HLS master playlists by
RESOLUTION then BANDWIDTH, with the highest-bitrate audio group.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from crawlers.platforms import hls

VIDEO_BASE = "https://video.twimg.com"
PHOTO_SIZES = ("orig", "4096x4096", "large")

_RES_RE = re.compile(r"/([0-9]+)x([0-9]+)/")
_LEGACY_SUFFIX = re.compile(r":(orig|large|medium|small|thumb|[0-9]+x[0-9]+)$")
_AVATAR_SIZE = re.compile(r"_(normal|bigger|mini|reasonably_small|[0-9]+x[0-9]+)(\.[A-Za-z0-9]+)?$")


def _photo_base(url: str) -> tuple[str, str | None]:
    """Split a pbs.twimg.com image URL into (URL without format/name/suffix, format)."""
    url = _LEGACY_SUFFIX.sub("", url.strip())
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    fmt = next((v for k, v in query if k == "format"), None)
    rest = [(k, v) for k, v in query if k not in ("format", "name")]
    path = parts.path
    m = re.search(r"\.([A-Za-z0-9]{2,5})$", path)
    if m and fmt is None:
        fmt = m.group(1).lower()
        path = path[: m.start()]
    elif m:
        path = path[: m.start()]
    return urlunsplit((parts.scheme, parts.netloc, path, urlencode(rest), "")), fmt


def photo_url(media_url: str, name: str) -> str:
    """``https://pbs.twimg.com/media/KEY.jpg`` → ``…/media/KEY?format=jpg&name={name}``."""
    base, fmt = _photo_base(media_url)
    query = [("format", fmt or "jpg"), ("name", name)]
    sep = "&" if "?" in base else "?"
    return base + sep + urlencode(query)


def best_photo_urls(media_url_https: str) -> list[str]:
    """Candidate URLs for the best copy of a photo, best first: orig, 4096x4096, large.

    Accepts ``…/KEY.jpg``, ``…/KEY.jpg:large`` (legacy suffix) and ``…/KEY?format=jpg&name=small``.
    """
    return [photo_url(media_url_https, name) for name in PHOTO_SIZES]


def avatar_400(url: str) -> str:
    """``…/profile_images/ID/KEY_normal.jpg`` → ``…/KEY_400x400.jpg`` (URL unchanged when not an avatar)."""
    parts = urlsplit(url)
    m = _AVATAR_SIZE.search(parts.path)
    if not m:
        return url
    path = parts.path[: m.start()] + "_400x400" + (m.group(2) or "")
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, parts.fragment))


def resolution_from_url(url: str) -> tuple[int, int] | None:
    """Width and height from ``/{W}x{H}/`` in a video.twimg.com URL."""
    m = _RES_RE.search(url)
    return (int(m.group(1)), int(m.group(2))) if m else None


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"[0-9]{1,19}", value.strip()):
        return int(value.strip())
    return None


def best_video_variant(variants: Iterable[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The best mp4 variant: highest resolution (pixels, from the URL), then highest bitrate.

    Variants are dicts with ``url``, ``content_type`` (``video/mp4`` / ``application/x-mpegURL``)
    and optional ``bitrate``. Returns None when there is no mp4 variant.
    """
    best: Mapping[str, Any] | None = None
    best_key: tuple[int, int] = (-1, -1)
    for variant in variants:
        if not isinstance(variant, Mapping):
            continue
        url = variant.get("url") or variant.get("src")
        ctype = str(variant.get("content_type") or variant.get("type") or "")
        if not isinstance(url, str) or not url:
            continue
        if "mpegurl" in ctype.lower() or ".m3u8" in urlsplit(url).path:
            continue
        res = resolution_from_url(url)
        key = (res[0] * res[1] if res else 0, _as_int(variant.get("bitrate")) or 0)
        if key > best_key:
            best, best_key = variant, key
    return best


def parse_hls_master(text: str, base_url: str = VIDEO_BASE) -> dict[str, Any]:
    """:func:`crawlers.platforms.hls.parse_hls_master`, relative URIs against video.twimg.com."""
    return hls.parse_hls_master(text, base_url)


def parse_hls_media(text: str, base_url: str = VIDEO_BASE) -> list[str]:
    """:func:`crawlers.platforms.hls.parse_hls_media`, relative URIs against video.twimg.com."""
    return hls.parse_hls_media(text, base_url)
