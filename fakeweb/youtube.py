"""Fake YouTube: oEmbed, the ``/embed/ID`` player page and ``i.ytimg.com`` thumbnails.

- ``https://www.youtube.com/oembed?url=<video URL>&format=json`` (also ``youtube.com``, ``m.youtube.com``):
  the real body of ``data/youtube/oembed_<id>.json`` for a live video, verbatim; YouTube's bare-text
  errors otherwise: ``404 Not Found`` (an unknown id, or ``deleted``), ``401 Unauthorized`` (``private``:
  private or embedding disabled), ``400 Bad Request`` (no ``url``, not a video URL, a ``format``
  other than json).
- ``https://www.youtube.com/embed/ID`` (also ``www.youtube-nocookie.com``): a player page, ``#movie_player``
  with the title and the thumbnail for a live video, the player's error screen otherwise.
- ``https://i.ytimg.com/vi/ID/<size>.jpg``: a generated JPEG of the size's dimensions (known ids only).

States (:data:`STATES`, per video id, set with ``FakeWeb.set_video_state("youtube", id, state)``):
``live``, ``deleted``, ``private``, ``forbidden`` (403), ``error500``, ``error503``, ``error429``
(Retry-After), ``malformed`` (200, the JSON cut short), ``html`` (200, an HTML page instead of JSON).
"""

from __future__ import annotations

import html
import json
import re
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fakeweb.media import image_bytes
from fakeweb.respond import JSON_TYPE, Response, html_response
from fakeweb.store import Store

DATA = Path(__file__).with_name("data") / "youtube"
STATES = frozenset(
    {"live", "deleted", "private", "forbidden", "error500", "error503", "error429", "malformed", "html"}
)
RETRY_AFTER = "30"
TEXT_TYPE = "text/html; charset=utf-8"  # YouTube sends its bare error words as text/html
# i.ytimg.com stills: name → (width, height)
THUMBNAILS = {
    "default": (120, 90),
    "mqdefault": (320, 180),
    "hqdefault": (480, 360),
    "sddefault": (640, 480),
    "maxresdefault": (1280, 720),
}
MEDIA_HEADERS = [("Cache-Control", "public, max-age=7200"), ("Access-Control-Allow-Origin", "*")]

_ID = re.compile(r"[A-Za-z0-9_-]{11}")
_VIDEO_URL = re.compile(
    r"^https?://(?:(?:www|m|music)\.)?(?:youtube\.com/(?:watch\?(?:.*&)?v=|shorts/|live/|embed/|v/)|youtu\.be/)"
    r"(?P<id>[A-Za-z0-9_-]{11})(?:[?&#/].*)?$"
)
_EMBED = re.compile(r"^/embed/(?P<id>[A-Za-z0-9_-]{11})/?$")
_THUMB = re.compile(r"^/vi(?:_webp)?/(?P<id>[A-Za-z0-9_-]{11})/(?P<name>[a-z]+)\.(?:jpg|webp)$")


@cache
def bodies() -> dict[str, bytes]:
    """The real oEmbed bodies by video id (``oembed_<id>.json``), as stored."""
    return {
        path.stem.removeprefix("oembed_"): path.read_bytes() for path in sorted(DATA.glob("oembed_*.json"))
    }


def video_ids() -> list[str]:
    return sorted(bodies())


def state(store: Store, video_id: str) -> str:
    with store.lock:
        return store.states.get(f"youtube:{video_id}", "live")


def set_state(store: Store, video_id: str, new_state: str) -> None:
    """Make every endpoint answer for *video_id* as *new_state*; an id without a body can only be made to fail."""
    if new_state not in STATES:
        raise ValueError(f"unknown YouTube state {new_state!r}; one of {sorted(STATES)}")
    if not _ID.fullmatch(video_id):
        raise ValueError(f"not a YouTube video id: {video_id!r}")
    if new_state == "live" and video_id not in bodies():
        raise KeyError(video_id)
    with store.lock:
        store.states[f"youtube:{video_id}"] = new_state


def _text(status: int, text: str, headers: list[tuple[str, str]] | None = None) -> Response:
    return Response(status, text.encode(), TEXT_TYPE, list(headers or []))


def _failure(kind: str) -> Response | None:
    if kind == "deleted":
        return _text(404, "Not Found")
    if kind == "private":
        return _text(401, "Unauthorized")
    if kind == "forbidden":
        return _text(403, "Forbidden")
    if kind == "error500":
        return _text(500, "Internal Server Error")
    if kind == "error503":
        return _text(503, "Service Unavailable", [("Retry-After", RETRY_AFTER)])
    if kind == "error429":
        return html_response(
            "<html><head><title>Sorry...</title></head><body><h1>Too Many Requests</h1></body></html>",
            429,
            [("Retry-After", RETRY_AFTER)],
        )
    if kind == "html":
        return html_response("<!DOCTYPE html><html><head><title>YouTube</title></head><body></body></html>")
    return None


def oembed(store: Store, query: dict[str, str]) -> Response:
    """``/oembed?url=…&format=json``."""
    if query.get("format", "json") != "json":
        return _text(400, "Bad Request")
    match = _VIDEO_URL.match(query.get("url", "").strip())
    if match is None:
        return _text(400, "Bad Request")
    video_id = match["id"]
    failure = _failure(state(store, video_id))
    if failure is not None:
        return failure
    body = bodies().get(video_id)
    if body is None:
        return _text(404, "Not Found")
    if state(store, video_id) == "malformed":
        return Response(200, body[: len(body) // 2], JSON_TYPE)
    return Response(200, body, JSON_TYPE)


def _page(title: str, inner: str) -> str:
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title></head>'
        f'<body><div id="player">{inner}</div></body></html>'
    )


def embed_page(store: Store, path: str) -> Response:
    """``/embed/ID``: the player for a live video, the error screen for the rest (HTTP 200, as YouTube)."""
    match = _EMBED.match(path)
    if match is None:
        return _text(404, "Not Found")
    video_id = match["id"]
    kind = state(store, video_id)
    body = bodies().get(video_id)
    if body is None or kind in ("deleted", "private", "forbidden"):
        reason = {
            "private": "This video is private",
            "forbidden": "This video is private",
            "deleted": "This video has been removed by the uploader",
        }.get(kind)  # an id YouTube never had: "Video unavailable" alone
        sub = f'<div class="ytp-error-content-wrap-subreason"><span>{reason}</span></div>' if reason else ""
        screen = (
            '<div class="ytp-error" role="alert"><div class="ytp-error-content-wrap">'
            f'<div class="ytp-error-content-wrap-reason"><span>Video unavailable</span></div>{sub}</div></div>'
        )
        return html_response(_page("YouTube", screen))
    data: dict[str, Any] = json.loads(body)
    title = html.escape(data.get("title", ""))
    author = html.escape(data.get("author_name", ""))
    thumb = html.escape(data.get("thumbnail_url", ""))
    player = (
        '<div id="movie_player" class="html5-video-player">'
        f'<div class="ytp-title"><a class="ytp-title-link" href="https://www.youtube.com/watch?v={video_id}">{title}</a>'
        f'<span class="ytp-title-channel-name">{author}</span></div>'
        f'<video class="video-stream html5-main-video" poster="{thumb}"></video></div>'
    )
    return html_response(_page(f"{data.get('title', '')} - YouTube", player))


def site(store: Store, path: str, query: dict[str, str]) -> Response:
    """Dispatch for www.youtube.com / youtube.com / m.youtube.com / www.youtube-nocookie.com."""
    if path.rstrip("/") == "/oembed":
        return oembed(store, query)
    if path.startswith("/embed/"):
        return embed_page(store, path)
    return _text(404, "Not Found")


def thumbnail(path: str) -> Response:
    """``i.ytimg.com/vi/ID/hqdefault.jpg`` … for the ids with a body."""
    match = _THUMB.match(urlsplit(path).path)
    if match is None or match["id"] not in bodies() or match["name"] not in THUMBNAILS:
        return _text(404, "Not Found")
    size = THUMBNAILS[match["name"]]
    fmt = "webp" if path.startswith("/vi_webp/") else "jpeg"
    data = image_bytes(f"ytimg/{match['id']}", (1280, 720), size, fmt)
    return Response(200, data, f"image/{fmt}", list(MEDIA_HEADERS))
