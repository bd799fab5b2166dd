"""Best-quality URL selection for X media: photos, avatars, mp4 variants and HLS playlists.

Selection follows FORMATS.md §5: photos ``name=orig`` then ``4096x4096`` then ``large`` (gallery-dl);
mp4 variants by resolution parsed from the URL, then bitrate (yt-dlp); HLS master playlists by
RESOLUTION then BANDWIDTH, with the highest-bitrate audio group.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

VIDEO_BASE = "https://video.twimg.com"
PHOTO_SIZES = ("orig", "4096x4096", "large")

_RES_RE = re.compile(r"/([0-9]+)x([0-9]+)/")
_LEGACY_SUFFIX = re.compile(r":(orig|large|medium|small|thumb|[0-9]+x[0-9]+)$")
_AVATAR_SIZE = re.compile(r"_(normal|bigger|mini|reasonably_small|[0-9]+x[0-9]+)(\.[A-Za-z0-9]+)?$")
_ATTR_RE = re.compile(r'([A-Z0-9-]+)=("[^"]*"|[^",]*)')


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


def _attributes(line: str) -> dict[str, str]:
    return {k: v.strip('"') for k, v in _ATTR_RE.findall(line.split(":", 1)[1] if ":" in line else "")}


def _resolve(uri: str, base_url: str) -> str | None:
    """*uri* made absolute; None when it is no URL at all (``//[`` is an invalid IPv6 host)."""
    try:
        url = urljoin(base_url or VIDEO_BASE + "/", uri)
        urlsplit(url).hostname  # noqa: B018 — raises on a malformed host
    except ValueError:
        return None
    return url


def parse_hls_master(text: str, base_url: str = VIDEO_BASE) -> dict[str, Any]:
    """Pick the best video rendition and audio group from an HLS master playlist.

    Returns ``{"video": {url, width, height, bandwidth, codecs, audio_group} | None,
    "audio": {url, group_id, bitrate} | None, "variants": [...all video renditions...],
    "audio_groups": [...]}``. Video: highest RESOLUTION, then BANDWIDTH. Audio: the group with the
    highest bitrate (X names groups ``audio-128000``; BANDWIDTH of streams using it breaks ties).
    Relative URIs are resolved against *base_url* (https://video.twimg.com).
    """
    variants: list[dict[str, Any]] = []
    audio_groups: list[dict[str, Any]] = []
    pending: dict[str, str] | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#EXT-X-MEDIA:"):
            attrs = _attributes(line)
            if attrs.get("TYPE") == "AUDIO" and attrs.get("URI") and _resolve(attrs["URI"], base_url):
                group = attrs.get("GROUP-ID", "")
                m = re.search(r"([0-9]{1,12})$", group)
                audio_groups.append({
                    "url": _resolve(attrs["URI"], base_url),
                    "group_id": group,
                    "bitrate": int(m.group(1)) if m else None,
                })
        elif line.startswith("#EXT-X-STREAM-INF:"):
            pending = _attributes(line)
        elif line.startswith("#"):
            continue
        elif pending is not None and _resolve(line, base_url) is None:
            pending = None
        elif pending is not None:
            width = height = None
            res = re.fullmatch(r"([0-9]{1,6})x([0-9]{1,6})", pending.get("RESOLUTION", ""))
            if res:
                width, height = int(res.group(1)), int(res.group(2))
            bandwidth = pending.get("BANDWIDTH", "")
            variants.append({
                "url": _resolve(line, base_url),
                "width": width,
                "height": height,
                "bandwidth": int(bandwidth) if re.fullmatch(r"[0-9]{1,15}", bandwidth) else None,
                "codecs": pending.get("CODECS"),
                "audio_group": pending.get("AUDIO"),
            })
            pending = None

    video = max(
        variants,
        key=lambda v: ((v["width"] or 0) * (v["height"] or 0), v["bandwidth"] or 0),
        default=None,
    )

    def group_rank(group: dict[str, Any]) -> tuple[int, int]:
        used = [v["bandwidth"] or 0 for v in variants if v["audio_group"] == group["group_id"]]
        return (group["bitrate"] or 0, max(used, default=0))

    audio = max(audio_groups, key=group_rank, default=None)
    return {"video": video, "audio": audio, "variants": variants, "audio_groups": audio_groups}


def parse_hls_media(text: str, base_url: str = VIDEO_BASE) -> list[str]:
    """Every URL a media playlist needs, in order: the EXT-X-MAP init segment, then the segments."""
    urls: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#EXT-X-MAP:"):
            uri = _attributes(line).get("URI")
            if uri and (url := _resolve(uri, base_url)):
                urls.append(url)
        elif not line.startswith("#") and (url := _resolve(line, base_url)):
            urls.append(url)
    return urls
