"""HLS playlists (RFC 8216), as X and Bluesky serve their videos: the best rendition of a master
playlist, and every URI of a media playlist. Parsing never raises."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urljoin, urlsplit

_ATTR_RE = re.compile(r'([A-Z0-9-]+)=("[^"]*"|[^",]*)')


def _attributes(line: str) -> dict[str, str]:
    return {k: v.strip('"') for k, v in _ATTR_RE.findall(line.split(":", 1)[1] if ":" in line else "")}


def _resolve(uri: str, base_url: str) -> str | None:
    """*uri* made absolute; None when it is no URL at all (``//[`` is an invalid IPv6 host)."""
    try:
        url = urljoin(base_url, uri)
        urlsplit(url).hostname  # noqa: B018 — raises on a malformed host
    except ValueError:
        return None
    return url


def parse_hls_master(text: str, base_url: str) -> dict[str, Any]:
    """Pick the best video rendition and audio group from an HLS master playlist.

    Returns ``{"video": {url, width, height, bandwidth, codecs, audio_group} | None,
    "audio": {url, group_id, bitrate} | None, "variants": [...all video renditions...],
    "audio_groups": [...]}``. Video: highest RESOLUTION, then BANDWIDTH. Audio: the group with the
    highest bitrate (X names groups ``audio-128000``; BANDWIDTH of streams using it breaks ties).
    Relative URIs are resolved against *base_url*.
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


def parse_hls_media(text: str, base_url: str) -> list[str]:
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
