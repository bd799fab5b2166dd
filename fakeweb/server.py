"""The fake web server: one stdlib ``ThreadingHTTPServer`` behind every origin in ``RECEIPTS_ORIGIN_MAP``.

Each real origin is a path prefix on this server (``origin_map()``). Bodies and headers always carry
real-world URLs, never the loopback address, because archived records keep original URLs.
"""

from __future__ import annotations

import hashlib
import json
import re
import socket
import struct
import threading
import time
from email.utils import formatdate, parsedate_to_datetime
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from fakeweb import bluesky, mastodon, meta, news, oembed, syndication, tiktok, widgets, xapi, xpages, youtube
from fakeweb.catalog import (
    NO_ORIG_KEY,
    PNG_AS_JPEG_KEY,
    USERS,
    catalog_urls,
    photo_dimensions,
    same_bytes_alias,
    tco_map,
    video_specs,
)
from fakeweb.cloak import cloaked
from fakeweb.hostile import TCO_SELF_LOOP, hostile
from fakeweb.media import (
    CONTENT_TYPES,
    avatar_size,
    image_bytes,
    parse_pbs_path,
    serve_video,
    size_for,
)
from fakeweb.respond import Response, html_response, json_response, not_found
from fakeweb.store import Page, Store

PREFIXES: dict[str, tuple[str, ...]] = {
    "syn": ("https://cdn.syndication.twimg.com",),
    "oembed": ("https://publish.twitter.com", "https://publish.x.com"),
    "tco": ("https://t.co",),
    "pbs": ("https://pbs.twimg.com",),
    "video": ("https://video.twimg.com",),
    "x": ("https://x.com", "https://twitter.com", "https://www.twitter.com", "https://mobile.twitter.com",
          "https://www.x.com", "https://mobile.x.com"),
    "xapi": ("https://api.x.com", "https://api.twitter.com"),
    "wayback": ("https://web.archive.org",),
    "platform": ("https://platform.twitter.com", "https://platform.x.com"),
    "news": ("https://newrepublic.com", "https://www.newrepublic.com"),
    "newsimg": ("https://images.newrepublic.com", "http://images.newrepublic.com"),
    "abs": ("https://abs.twimg.com", "https://abs-0.twimg.com"),
    "site": ("https://news.example",),
    "masto_social": ("https://mastodon.social",),
    "journa": ("https://journa.host",),
    "masto_files": ("https://files.mastodon.social",),
    "blog": ("https://blog.example",),
    "bsky_api": ("https://public.api.bsky.app", "https://api.bsky.app"),
    "bsky_embed": ("https://embed.bsky.app",),
    "bsky_app": ("https://bsky.app", "https://www.bsky.app"),
    "bsky_cdn": ("https://cdn.bsky.app",),
    "bsky_video": ("https://video.bsky.app",),
    "yt": ("https://www.youtube.com", "https://youtube.com", "https://m.youtube.com", "https://www.youtube-nocookie.com"),
    "ytimg": ("https://i.ytimg.com",),
    "tiktok": ("https://www.tiktok.com", "https://tiktok.com", "https://m.tiktok.com"),
    "tiktokcdn": tiktok.CDN_ORIGINS,
    "ig": ("https://www.instagram.com", "https://instagram.com"),
    "threads": ("https://www.threads.net", "https://threads.net", "https://www.threads.com", "https://threads.com"),
    "fb": ("https://www.facebook.com", "https://facebook.com", "https://m.facebook.com"),
    "graph": ("https://graph.facebook.com", "https://graph.threads.net"),
    "meta_cdn": ("https://scontent.cdninstagram.com", "https://scontent.xx.fbcdn.net"),
}
SERVER_NAMES = {"x": "cloudflare envoy", "pbs": "ECAcc (lhd/4A8D)", "video": "ECAcc (lhd/4A8D)", "news": "nginx",
                "newsimg": "nginx", "abs": "ECAcc (lhd/4A8D)",
                "site": "nginx", "wayback": "nginx", "platform": "ECS (lhd/4A8D)"}
MEDIA_CACHE = [("Cache-Control", "max-age=604800, must-revalidate"), ("Access-Control-Allow-Origin", "*"),
               ("Timing-Allow-Origin", "*"), ("Last-Modified", "Thu, 13 Feb 2025 22:53:10 GMT")]
_STATUS_PATH = re.compile(r"^/(?:(?P<user>\w{1,50})/status(?:es)?|i/web/status|i/status)/(?P<id>\d{1,25})(?:/|$)")


class FakeWeb:
    """Offline stand-in for X's endpoints and the demo news site (see the package docstring)."""

    def __init__(self, port: int = 0, host: str = "127.0.0.1") -> None:
        self.store = Store()
        self._server = ThreadingHTTPServer((host, port), _Handler)
        self._server.daemon_threads = True
        self._server.fakeweb = self  # type: ignore[attr-defined]
        self.host = host
        self.port: int = self._server.server_address[1]
        self.base_url = f"http://{host}:{self.port}"
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------------------------ lifecycle

    def start(self) -> FakeWeb:
        if self._thread is None:
            self._thread = threading.Thread(target=self._server.serve_forever, name="fakeweb", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def __enter__(self) -> FakeWeb:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------------------------ controls

    def origin_map(self) -> dict[str, str]:
        """The value for ``RECEIPTS_ORIGIN_MAP`` (origin → base URL on this server)."""
        return {origin: f"{self.base_url}/{prefix}" for prefix, origins in PREFIXES.items() for origin in origins}

    def set_post_state(self, post_id: str, state: str, **changes: Any) -> None:
        """Change how every endpoint answers for a post; ``text=`` edits it (a new ID joins ``edit_tweet_ids``)."""
        self.store.set_state(post_id, state, **changes)

    def add_page(self, path: str, body: str | bytes, content_type: str = "text/html; charset=utf-8", status: int = 200,
                 headers: dict | None = None) -> str:
        """Serve ``body`` at ``https://news.example{path}``; returns that original URL."""
        if not path.startswith("/"):
            path = "/" + path
        raw = body.encode() if isinstance(body, str) else body
        with self.store.lock:
            self.store.pages[path] = Page(raw, content_type, status, dict(headers or {}), float(int(time.time())))
        return f"https://news.example{path}"

    def set_bluesky_state(self, uri: str, state: str) -> None:
        """Make every Bluesky endpoint answer for the post *uri* (DID-form AT-URI) as *state* (``bluesky.STATES``)."""
        bluesky.set_state(self.store, uri, state)

    def set_video_state(self, platform: str, video_id: str, state: str) -> None:
        """Make every endpoint of *platform* ("youtube", "tiktok") answer for *video_id* as *state* (its ``STATES``)."""
        setters = {"youtube": youtube.set_state, "tiktok": tiktok.set_state}
        if platform not in setters:
            raise ValueError(f"no video states for {platform!r}; one of {sorted(setters)}")
        setters[platform](self.store, video_id, state)

    def set_rate_limited(self, on: bool) -> None:
        """Make the X API answer 429 (with the rate-limit headers) until switched off."""
        self.store.rate_limited = on

    def set_now(self, epoch: float | None) -> None:
        """Pin the X API's clock (recent search covers the 7 days before it); None = real time."""
        self.store.now = epoch

    def requests_log(self) -> list[dict]:
        """Every request so far (admin calls excluded): method, path as received, headers (lower-case), status."""
        with self.store.lock:
            return [dict(entry) for entry in self.store.log]

    def reset(self) -> None:
        self.store.reset()

    # ------------------------------------------------------------------------------------ dispatch

    def handle(self, method: str, raw_path: str, headers: dict[str, str], body: bytes) -> Response:
        split = urlsplit(raw_path)
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        prefix, _, rest = split.path.lstrip("/").partition("/")
        rest = "/" + rest
        if prefix == "_admin":
            return self._admin(method, rest, body)
        if method not in ("GET", "HEAD"):
            return Response(405, b"", None, [("Allow", "GET, HEAD")])
        store = self.store
        ua = headers.get("user-agent", "")
        if prefix == "syn":
            return syndication.tweet_result(store, query) if rest == "/tweet-result" else not_found()
        if prefix == "oembed":
            if rest.rstrip("/") not in ("/oembed", "/oembed.json", ""):
                return not_found()
            return oembed.oembed(store, query, "/oembed" + (f"?{split.query}" if split.query else ""))
        if prefix == "tco":
            return _tco(rest.strip("/"), ua)
        if prefix == "pbs":
            return _if_modified_since(_pbs(rest, query), headers)
        if prefix == "video":
            return _if_modified_since(_video(rest), headers)
        if prefix == "x":
            match = _STATUS_PATH.match(rest)
            if match is None:
                return xpages.status_page(store, "0", ua, f"https://x.com{rest}")
            page_url = f"https://x.com{rest}" + (f"?{split.query}" if split.query else "")
            return xpages.status_page(store, match["id"], ua, page_url)
        if prefix == "xapi":
            return xapi.dispatch(store, rest, query, headers)
        if prefix == "wayback":
            return xapi.cdx(store, query) if rest == "/cdx/search/cdx" else not_found()
        if prefix == "platform":
            if rest == "/widgets.js":
                return widgets.widgets_js()
            if rest in ("/embed/Tweet.html", "/embed/index.html"):
                return widgets.tweet_html(store, query.get("id", ""))
            return not_found()
        if prefix == "news":
            served = news.serve(rest)
            return _conditional(served[0], served[1], headers) if served else not_found()
        if prefix == "newsimg":
            data = image_bytes("newsimg" + rest, (768, 512), (768, 512))
            return Response(200, data, "image/jpeg", list(MEDIA_CACHE))
        if prefix == "abs":
            match = re.fullmatch(r"/emoji/v2/svg/([0-9a-f-]+)\.svg", rest)
            if match is None:
                return not_found()
            svg = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 36 36"><circle cx="18" cy="18" r="18" '
                   f'fill="#FFCC4D"/><title>{match[1]}</title></svg>')
            return Response(200, svg.encode(), "image/svg+xml", list(MEDIA_CACHE))
        if prefix == "bsky_api":
            return bluesky.api(store, rest, query)
        if prefix == "bsky_embed":
            return bluesky.embed(store, rest, query)
        if prefix == "bsky_app":
            return bluesky.app_page(store, rest, split.query)
        if prefix == "bsky_cdn":
            return bluesky.cdn(rest)
        if prefix == "bsky_video":
            return bluesky.video(rest)
        if prefix == "yt":
            return youtube.site(store, rest, query)
        if prefix == "ytimg":
            return youtube.thumbnail(rest)
        if prefix == "tiktok":
            return tiktok.site(store, rest, query)
        if prefix == "tiktokcdn":
            return tiktok.cdn(rest)
        if prefix in meta.PREFIXES:
            return meta.dispatch(store, prefix, rest, query, headers)
        if prefix == "site" and rest == "/_cloak":
            return cloaked(query, ua)
        if prefix == "site" and rest.startswith("/_hostile/"):
            return hostile(rest[len("/_hostile"):], query)
        if prefix == "site":
            return self._site(rest, split.query, headers)
        if prefix == "masto_social":
            return mastodon.instance("mastodon.social", rest, query)
        if prefix == "journa":
            return mastodon.instance("journa.host", rest, query)
        if prefix == "masto_files":
            return mastodon.media_file(mastodon.FILES_HOST, rest)
        if prefix == "blog":
            return mastodon.blog(rest)
        if prefix == "" and rest == "/":
            return json_response(self.origin_map())
        return not_found()

    def _site(self, path: str, query: str, headers: dict[str, str]) -> Response:
        with self.store.lock:
            page = self.store.pages.get(f"{path}?{query}" if query else path) or self.store.pages.get(path)
        if page is None:
            return not_found()
        extra = list(page.headers.items())
        response = Response(page.status, page.body, page.content_type, extra)
        if page.status != 200:
            return response
        return _conditional(response, page.last_modified, headers)

    def _admin(self, method: str, path: str, body: bytes) -> Response:
        try:
            data = json.loads(body or b"{}")
        except json.JSONDecodeError:
            return json_response({"error": "body is not JSON"}, 400)
        match = re.fullmatch(r"/posts/(\d+)", path)
        try:
            if method == "POST" and match:
                changes = {k: v for k, v in data.items() if k != "state"}
                self.set_post_state(match[1], data.get("state", "live"), **changes)
                return json_response({"ok": True})
            if method == "POST" and path == "/pages":
                url = self.add_page(data["path"], data.get("body", ""), data.get("content_type", "text/html; charset=utf-8"),
                                    int(data.get("status", 200)), data.get("headers"))
                return json_response({"ok": True, "url": url})
            if method == "GET" and path == "/log":
                return json_response(self.requests_log())
            if method == "POST" and path == "/reset":
                self.reset()
                return json_response({"ok": True})
            if method == "POST" and path == "/rate_limited":
                self.set_rate_limited(bool(data.get("on", True)))
                return json_response({"ok": True})
            if method == "POST" and path == "/now":
                self.set_now(data.get("now"))
                return json_response({"ok": True})
            if method == "GET" and path == "/origin_map":
                return json_response(self.origin_map())
        except KeyError as exc:
            return json_response({"error": f"unknown: {exc}"}, 404)
        except (ValueError, TypeError) as exc:
            return json_response({"error": str(exc)}, 400)
        return json_response({"error": "no such admin endpoint"}, 404)


# ---------------------------------------------------------------------------------------- t.co


def _tco(code: str, user_agent: str) -> Response:
    target = tco_map().get(code) or (f"https://t.co/{TCO_SELF_LOOP}" if code == TCO_SELF_LOOP else None)
    if target is None:
        return not_found()
    if "mozilla" not in user_agent.lower():
        return Response(301, b"", None, [("Location", target), ("Cache-Control", "private,max-age=300")])
    js = target.replace("\\", "\\\\").replace('"', '\\"').replace("/", "\\/")
    page = (f'<head><meta name="referrer" content="always"><noscript><META http-equiv="refresh" content="0;URL={target}">'
            f"</noscript><title>{target}</title></head><script>window.opener = null; location.replace(\"{js}\")</script>")
    return html_response(page, 200, [("Cache-Control", "private,max-age=300")])


# ---------------------------------------------------------------------------------------- pbs / video


@cache
def _known_pbs() -> dict[str, tuple[int, int, dict[str, tuple[int, int]] | None]]:
    known = dict(photo_dimensions())
    for user in USERS.values():
        known.setdefault(f"/profile_images/{user.avatar}", (400, 400, None))
    for url in catalog_urls("https://pbs.twimg.com/profile_images/"):
        path = url.split("pbs.twimg.com", 1)[1].rsplit(".", 1)[0].rsplit("_", 1)[0]
        known.setdefault(path, (400, 400, None))
    return known


def _pbs(path: str, query: dict[str, str]) -> Response:
    lookup, name, fmt, avatar = parse_pbs_path(path, query)
    known = _known_pbs()
    if lookup not in known:
        return not_found()
    width, height, sizes = known[lookup]
    key = lookup.rsplit("/", 1)[1]
    if avatar:
        size = avatar_size(name)
    elif sizes and name in sizes and name != "thumb":
        size = sizes[name]
    else:
        size = size_for(name, width, height)
    if size is None or (key == NO_ORIG_KEY and name == "orig"):
        return not_found()
    seed = lookup[: -len(key)] + same_bytes_alias().get(key, key)
    if key == PNG_AS_JPEG_KEY:
        data, content_type = image_bytes(seed, (width, height), size, "png", name == "thumb"), "image/jpeg"
    else:
        data, content_type = image_bytes(seed, (width, height), size, fmt, name == "thumb"), CONTENT_TYPES[fmt]
    return Response(200, data, content_type, list(MEDIA_CACHE))


@cache
def _gif_keys() -> set[str]:
    return {url.rsplit("/", 1)[1].split(".")[0] for url in catalog_urls("https://video.twimg.com/tweet_video/")}


def _video(path: str) -> Response:
    served = serve_video(path, video_specs(), _gif_keys())
    if served is None:
        return not_found()
    data, content_type = served
    return Response(200, data, content_type, [*MEDIA_CACHE, ("Accept-Ranges", "bytes")])


# ---------------------------------------------------------------------------------------- HTTP details


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha1(body).hexdigest()[:20] + '"'


def _conditional(response: Response, last_modified: float, headers: dict[str, str]) -> Response:
    """Add ETag/Last-Modified and answer 304 to a matching If-None-Match / If-Modified-Since."""
    etag = response.header("ETag") or _etag(response.body)
    modified = response.header("Last-Modified") or formatdate(last_modified, usegmt=True)
    response.headers = [h for h in response.headers if h[0].lower() not in ("etag", "last-modified")]
    response.headers += [("ETag", etag), ("Last-Modified", modified)]
    inm = headers.get("if-none-match")
    if inm is not None:
        tags = {t.strip().removeprefix("W/") for t in inm.split(",")}
        if "*" in tags or etag.removeprefix("W/") in tags:
            return Response(304, b"", None, response.headers)
        return response
    ims = headers.get("if-modified-since")
    if ims:
        try:
            since = parsedate_to_datetime(ims).timestamp()
        except (TypeError, ValueError):
            return response
        if parsedate_to_datetime(modified).timestamp() <= since:
            return Response(304, b"", None, response.headers)
    return response


def _if_modified_since(response: Response, headers: dict[str, str]) -> Response:
    """A media CDN's revalidation: it sends ``Last-Modified`` (no ETag), so a 200 whose ``Last-Modified`` is
    not after ``If-Modified-Since`` becomes a bodiless 304 with the same headers."""
    ims, modified = headers.get("if-modified-since"), response.header("Last-Modified")
    if response.status != 200 or not ims or not modified:
        return response
    try:
        unchanged = parsedate_to_datetime(modified).timestamp() <= parsedate_to_datetime(ims).timestamp()
    except (TypeError, ValueError):
        return response
    return Response(304, b"", None, response.headers) if unchanged else response


def _apply_range(response: Response, header: str) -> Response:
    match = re.fullmatch(r"bytes=(\d*)-(\d*)", header.strip())
    size = len(response.body)
    if not match or (not match[1] and not match[2]):
        return response
    if match[1]:
        start = int(match[1])
        end = min(int(match[2]), size - 1) if match[2] else size - 1
    else:
        start, end = max(0, size - int(match[2])), size - 1
    if start >= size or start > end:
        return Response(416, b"", None, [("Content-Range", f"bytes */{size}")])
    part = Response(206, response.body[start:end + 1], response.content_type, list(response.headers))
    part.headers.append(("Content-Range", f"bytes {start}-{end}/{size}"))
    return part


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - signature of the base class
        pass

    def do_GET(self) -> None:
        self._serve("GET")

    def do_HEAD(self) -> None:
        self._serve("HEAD")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def _serve(self, method: str) -> None:
        web: FakeWeb = self.server.fakeweb  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            response = web.handle(method, self.path, headers, body)
        except Exception as exc:  # a bug in the fake must not hang the client
            response = Response(500, f"fakeweb error: {exc!r}".encode(), "text/plain; charset=utf-8")
        if response.status == 200 and "range" in headers and self.path.startswith(("/video/", "/pbs/")):
            response = _apply_range(response, headers["range"])
        prefix = self.path.lstrip("/").split("/", 1)[0].split("?", 1)[0]
        if prefix != "_admin":  # logged before anything goes out, so a client never sees an unlogged answer
            with web.store.lock:
                web.store.log.append({"method": method, "path": self.path, "headers": headers,
                                      "status": response.status, "time": time.time()})
        if response.behavior == "reset":  # RST instead of an answer
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            return
        self.send_response_only(response.status)
        self.send_header("Date", formatdate(usegmt=True))
        self.send_header("Server", SERVER_NAMES.get(prefix, "tsa_b"))
        if response.content_type:
            self.send_header("Content-Type", response.content_type)
        for name, value in response.headers:
            self.send_header(name, value)
        if response.status != 304:
            self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if method != "HEAD" and response.status not in (204, 304):
            if response.behavior == "trickle":  # one byte a second
                try:
                    for i in range(len(response.body)):
                        self.wfile.write(response.body[i:i + 1])
                        self.wfile.flush()
                        time.sleep(1)
                except OSError:
                    pass
                self.close_connection = True
                return
            self.wfile.write(response.body)

