"""YouTube URL shapes: which URLs name a video, the stored post id (the 11-character video id), oEmbed.

Accepted (http or https, ``www.``/``m.``/``music.`` or none): ``youtube.com/watch?v=ID``,
``youtu.be/ID``, ``youtube.com/shorts/ID``, ``/live/ID``, ``/embed/ID``, ``/v/ID`` (the old Flash
player) and ``youtube-nocookie.com/embed/ID``. ``/embed/videoseries`` and ``/embed/live_stream``
are 11 characters long but name a playlist and a channel's stream, never a video, and are refused.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, quote

from crawlers.platforms.weburl import split_web_url

WATCH = "https://www.youtube.com/watch?v="
OEMBED_ENDPOINT = "https://www.youtube.com/oembed"
EMBED_PAGE = "https://www.youtube.com/embed/"

YOUTUBE_HOSTS = frozenset({"youtube.com", "www.youtube.com", "m.youtube.com", "music.youtube.com"})
NOCOOKIE_HOSTS = frozenset({"youtube-nocookie.com", "www.youtube-nocookie.com"})
SHORT_HOSTS = frozenset({"youtu.be", "www.youtu.be"})

_ID = re.compile(r"[A-Za-z0-9_-]{11}", re.ASCII)
# path words of exactly 11 characters that are not video ids
NOT_IDS = frozenset({"videoseries", "live_stream"})
_PATH_ID = re.compile(r"^/(?P<kind>shorts|live|embed|v|e)/(?P<id>[^/]+)/?$")
# the handle of a channel URL (``/@RickAstleyYT``); YouTube handles are 3-30 characters
_HANDLE_PATH = re.compile(r"^/@(?P<handle>[A-Za-z0-9_.\-]{3,30})/?$", re.ASCII)
_CHANNEL_PATH = re.compile(r"^/channel/(?P<id>UC[A-Za-z0-9_-]{22})/?$", re.ASCII)


def is_video_id(text: str | None) -> bool:
    return isinstance(text, str) and bool(_ID.fullmatch(text)) and text not in NOT_IDS


def _split(url: str) -> tuple[str, str, str] | None:
    """(host, path, query) of an http(s) URL without credentials or an odd port, else None."""
    split = split_web_url(url)
    return None if split is None else (split[0], split[1].path, split[1].query)


def parse_video_url(url: str) -> dict[str, str] | None:
    """``{"id", "kind"}`` when *url* names one YouTube video (kind: watch, short, shorts, live, embed, v), else None."""
    split = _split(url)
    if split is None:
        return None
    host, path, query = split
    if host in SHORT_HOSTS:
        video_id = path.strip("/")
        return {"id": video_id, "kind": "short"} if is_video_id(video_id) else None
    if host not in YOUTUBE_HOSTS and host not in NOCOOKIE_HOSTS:
        return None
    if host in YOUTUBE_HOSTS and path.rstrip("/") == "/watch":
        values = parse_qs(query).get("v") or []
        video_id = values[0].strip() if values else ""
        return {"id": video_id, "kind": "watch"} if is_video_id(video_id) else None
    match = _PATH_ID.match(path)
    if match is None:
        return None
    kind = "embed" if match["kind"] == "e" else match["kind"]
    if host in NOCOOKIE_HOSTS and kind not in ("embed", "v"):
        return None
    return {"id": match["id"], "kind": kind} if is_video_id(match["id"]) else None


def parse_key(text: str) -> str | None:
    """A typed id (the 11 characters, or any accepted URL) → the stored post id, or None."""
    if not isinstance(text, str):
        return None
    text = text.strip()
    if is_video_id(text):
        return text
    parsed = parse_video_url(text) if ("/" in text or "." in text) else None
    return parsed["id"] if parsed else None


def _check(post_id: str) -> str:
    if not is_video_id(post_id):
        raise ValueError(f"not a YouTube video id: {post_id!r}")
    return post_id


def canonical_url(post_id: str) -> str:
    """``https://www.youtube.com/watch?v=ID`` (what oEmbed is asked about and archives name)."""
    return WATCH + _check(post_id)


def embed_url(post_id: str) -> str:
    """``https://www.youtube.com/embed/ID``: the player page alone (the browser's page)."""
    return EMBED_PAGE + _check(post_id)


def oembed_url(post_id: str) -> str:
    """``https://www.youtube.com/oembed?url=<watch URL>&format=json``."""
    return f"{OEMBED_ENDPOINT}?url={quote(canonical_url(post_id), safe='')}&format=json"


def channel_from_url(url: str | None) -> tuple[str | None, str | None]:
    """(handle, channel id) named by an ``author_url``: ``/@Handle`` or ``/channel/UC…``; (None, None) otherwise."""
    split = _split(url or "")
    if split is None or split[0] not in YOUTUBE_HOSTS:
        return None, None
    if match := _HANDLE_PATH.match(split[1]):
        return match["handle"], None
    if match := _CHANNEL_PATH.match(split[1]):
        return None, match["id"]
    return None, None
