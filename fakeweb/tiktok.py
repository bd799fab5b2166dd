"""Fake TikTok: oEmbed, the ``/embed/v2/ID`` frame, ``embed.js`` and the cover on its CDN host.

- ``https://www.tiktok.com/oembed?url=<video URL>``: the real body of ``data/tiktok/oembed_<id>.json``
  for a live video, verbatim (any ``/@user/video/ID`` or ``/@/video/ID`` URL of it); otherwise TikTok's
  JSON error ``{"status_msg":"Something went wrong"}`` with HTTP 400 (an unknown id, ``deleted``, no or
  a malformed ``url``).
- ``https://www.tiktok.com/embed/v2/ID``: a frame with a ``<video>``, the caption and the author for a
  live video; one without a player otherwise.
- ``https://p19-pu-sign-useast8.tiktokcdn-us.com/obj/…``: the cover named by a body's ``thumbnail_url``
  (a generated JPEG of the stated size).

States (:data:`STATES`, per video id, set with ``FakeWeb.set_video_state("tiktok", id, state)``):
``live``, ``deleted`` (400, ``status_msg``), ``private`` (400, ``status_code`` 10101 + ``status_msg``),
``gone404`` (404), ``blocked403`` (403, an HTML wall), ``error500``, ``error503``, ``error429``
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
from fakeweb.respond import JSON_TYPE, Response, compact_json, html_response, json_response
from fakeweb.store import Store

DATA = Path(__file__).with_name("data") / "tiktok"
STATES = frozenset(
    {
        "live",
        "deleted",
        "private",
        "gone404",
        "blocked403",
        "error500",
        "error503",
        "error429",
        "malformed",
        "html",
    }
)
RETRY_AFTER = "30"
CDN_ORIGINS = ("https://p19-pu-sign-useast8.tiktokcdn-us.com",)
# TikTok's error bodies (see data/tiktok/SOURCES.md)
SOMETHING_WENT_WRONG = {"status_msg": "Something went wrong"}
SOMETHING_WENT_WRONG_10101 = {"status_code": 10101, "status_msg": "Something went wrong"}
MEDIA_HEADERS = [("Cache-Control", "max-age=86400"), ("Access-Control-Allow-Origin", "*")]

_ID = re.compile(r"[1-9][0-9]{0,19}")
_VIDEO_URL = re.compile(
    r"^https?://(?:(?:www|m)\.)?tiktok\.com/(?:@[A-Za-z0-9_.]*/video/|video/)(?P<id>[0-9]{1,20})/?(?:[?#].*)?$"
)
_EMBED = re.compile(r"^/embed/v2/(?P<id>[0-9]{1,20})/?$")


@cache
def bodies() -> dict[str, bytes]:
    """The real oEmbed bodies by video id (``oembed_<id>.json``), as stored."""
    return {
        path.stem.removeprefix("oembed_"): path.read_bytes() for path in sorted(DATA.glob("oembed_*.json"))
    }


def video_ids() -> list[str]:
    return sorted(bodies())


@cache
def covers() -> dict[str, tuple[str, int, int]]:
    """CDN path → (video id, width, height) for every body's ``thumbnail_url``."""
    out: dict[str, tuple[str, int, int]] = {}
    for video_id, body in bodies().items():
        data = json.loads(body)
        url = urlsplit(data["thumbnail_url"])
        out[url.path] = (video_id, int(data["thumbnail_width"]), int(data["thumbnail_height"]))
    return out


def state(store: Store, video_id: str) -> str:
    with store.lock:
        return store.states.get(f"tiktok:{video_id}", "live")


def set_state(store: Store, video_id: str, new_state: str) -> None:
    """Make every endpoint answer for *video_id* as *new_state*; an id without a body can only be made to fail."""
    if new_state not in STATES:
        raise ValueError(f"unknown TikTok state {new_state!r}; one of {sorted(STATES)}")
    if not _ID.fullmatch(video_id):
        raise ValueError(f"not a TikTok video id: {video_id!r}")
    if new_state == "live" and video_id not in bodies():
        raise KeyError(video_id)
    with store.lock:
        store.states[f"tiktok:{video_id}"] = new_state


def _failure(kind: str) -> Response | None:
    if kind == "deleted":
        return json_response(SOMETHING_WENT_WRONG, 400)
    if kind == "private":
        return json_response(SOMETHING_WENT_WRONG_10101, 400)
    if kind == "gone404":
        return json_response(SOMETHING_WENT_WRONG, 404)
    if kind == "blocked403":
        return html_response(
            "<HTML><HEAD><TITLE>Access Denied</TITLE></HEAD><BODY><H1>Access Denied</H1>"
            "You don't have permission to access this server.</BODY></HTML>",
            403,
        )
    if kind == "error500":
        return json_response(SOMETHING_WENT_WRONG, 500)
    if kind == "error503":
        return html_response(
            "<html><body><h1>503 Service Unavailable</h1></body></html>", 503, [("Retry-After", RETRY_AFTER)]
        )
    if kind == "error429":
        return json_response(SOMETHING_WENT_WRONG, 429, [("Retry-After", RETRY_AFTER)])
    if kind == "html":
        return html_response(
            '<!DOCTYPE html><html><head><title>TikTok</title></head><body><div class="verify-wrap"></div></body></html>'
        )
    return None


def oembed(store: Store, query: dict[str, str]) -> Response:
    """``/oembed?url=…``."""
    match = _VIDEO_URL.match(query.get("url", "").strip())
    if match is None:
        return json_response(SOMETHING_WENT_WRONG, 400)
    video_id = match["id"]
    failure = _failure(state(store, video_id))
    if failure is not None:
        return failure
    body = bodies().get(video_id)
    if body is None:
        return json_response(SOMETHING_WENT_WRONG, 400)
    if state(store, video_id) == "malformed":
        return Response(200, body[: len(body) // 2], JSON_TYPE)
    return Response(200, body, JSON_TYPE)


def embed_page(store: Store, path: str) -> Response:
    """``/embed/v2/ID``: the frame embed.js loads (HTTP 200 either way)."""
    match = _EMBED.match(path)
    if match is None:
        return json_response(SOMETHING_WENT_WRONG, 404)
    video_id = match["id"]
    body = bodies().get(video_id)
    head = '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>TikTok</title></head><body>'
    if body is None or state(store, video_id) in ("deleted", "private", "gone404"):
        return html_response(f'{head}<div id="root"><main></main></div></body></html>')
    data: dict[str, Any] = json.loads(body)
    user = html.escape(data.get("author_unique_id", ""))
    frame = (
        f'{head}<div id="root"><main>'
        f'<video src="" poster="{html.escape(data.get("thumbnail_url", ""))}" playsinline></video>'
        f'<a href="https://www.tiktok.com/@{user}?refer=embed">@{user}</a>'
        f"<p>{html.escape(data.get('title', ''))}</p></main></div></body></html>"
    )
    return html_response(frame)


def embed_js() -> Response:
    script = "/* fake TikTok embed.js: blockquote.tiktok-embed → iframe https://www.tiktok.com/embed/v2/<data-video-id> */"
    return Response(
        200, script.encode(), "application/javascript; charset=utf-8", [("Cache-Control", "max-age=3600")]
    )


def site(store: Store, path: str, query: dict[str, str]) -> Response:
    """Dispatch for www.tiktok.com."""
    if path.rstrip("/") == "/oembed":
        return oembed(store, query)
    if path.startswith("/embed/v2/"):
        return embed_page(store, path)
    if path == "/embed.js":
        return embed_js()
    return Response(404, compact_json(SOMETHING_WENT_WRONG), JSON_TYPE)


def cdn(path: str) -> Response:
    """A cover named by a body's ``thumbnail_url`` (the query, a signature, is not checked)."""
    known = covers().get(urlsplit(path).path)
    if known is None:
        return Response(404, b"", "text/plain")
    video_id, width, height = known
    data = image_bytes(f"tiktokcdn/{video_id}", (width, height), (width, height))
    return Response(200, data, "image/jpeg", list(MEDIA_HEADERS))
