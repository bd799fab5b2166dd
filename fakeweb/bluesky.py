"""Bluesky on the fake web: the public AppView (XRPC), embed.bsky.app, bsky.app, cdn.bsky.app, video.bsky.app.

Posts are the postViews in ``data/bluesky/post_*.json``; ``catalog.json`` adds handles, a deleted and a
blocked post, and failure hooks by record key. A post's state lives in ``Store.states`` under its
AT-URI ("live", "deleted", "blocked", "error500", "error429"); ``FakeWeb.set_bluesky_state`` sets it.
Answers follow the real services: XRPC errors ``{"error", "message"}`` (a missing post is HTTP 400
``NotFound``), the embed service's oEmbed and its 404/403 texts (bluesky-social/social-app
``bskyweb/cmd/embedr``), the bsky.app SPA shell (200 even for deleted posts) with its post meta tags.
"""

from __future__ import annotations

import copy
import hashlib
import html
import json
import random
import re
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from fakeweb.media import CONTENT_TYPES, image_bytes
from fakeweb.respond import JSON_TYPE, Response, html_response, json_response, not_found
from fakeweb.store import Store

DATA_DIR = Path(__file__).resolve().parent / "data" / "bluesky"
STATES = frozenset({"live", "deleted", "blocked", "error500", "error429"})
COLLECTION = "app.bsky.feed.post"
_AT_URI = re.compile(r"at://(?P<auth>[^/?#]+)/(?P<coll>[^/?#]+)/(?P<rkey>[A-Za-z0-9._:~-]{1,512})")
_DID = re.compile(r"did:[a-z]+:[A-Za-z0-9._:%-]+")
_HANDLE = re.compile(r"(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z][a-zA-Z0-9-]{0,62}")
CACHE = [("Cache-Control", "public, max-age=86400"), ("Access-Control-Allow-Origin", "*")]
HLS_TYPE = "application/vnd.apple.mpegurl"
SEGMENT_SECONDS = 4
VIDEO_SECONDS = 8


# ---------------------------------------------------------------------------------------- data


@cache
def _views() -> dict[str, dict[str, Any]]:
    views = {}
    for path in sorted(DATA_DIR.glob("post_*.json")):
        view = json.loads(path.read_text(encoding="utf-8"))
        views[view["uri"]] = view
    return views


@cache
def catalog() -> dict[str, Any]:
    return json.loads((DATA_DIR / "catalog.json").read_text(encoding="utf-8"))


def view(uri: str) -> dict[str, Any]:
    """The stored post view of *uri* (DID-form AT-URI); KeyError when the fake AppView has none."""
    return _views()[uri]


def post_uris() -> list[str]:
    """Every post the fake AppView knows (live by default)."""
    return list(_views())


def resolve(authority: str) -> str | None:
    """A DID for a DID or a known handle (case-insensitive)."""
    if authority.startswith("did:"):
        return authority
    return catalog()["handles"].get(authority.lower())


def state(store: Store, uri: str) -> str:
    with store.lock:
        return store.states.get(uri, "live")


def set_state(store: Store, uri: str, new_state: str) -> None:
    """Make every Bluesky endpoint answer for the post *uri* (DID form) as *new_state*."""
    match = _AT_URI.fullmatch(uri)
    if new_state not in STATES:
        raise ValueError(f"unknown Bluesky state {new_state!r}; one of {sorted(STATES)}")
    if match is None or not match["auth"].startswith("did:") or match["coll"] != COLLECTION:
        raise ValueError(f"not a DID-form post AT-URI: {uri!r}")
    with store.lock:
        store.states[uri] = new_state


def _lookup(store: Store, uri: str) -> tuple[str, Any]:
    """(kind, payload) for a DID-form post URI: post, deleted, blocked, missing or a failure hook."""
    match = _AT_URI.fullmatch(uri)
    if match is None:
        return "missing", None
    hook = catalog()["failures"].get(match["rkey"])
    if hook:
        return hook, None
    current = state(store, uri)
    if current in ("error500", "error429"):
        return current, None
    if current == "deleted" or uri in catalog()["deleted"]:
        return "deleted", None
    if current == "blocked" or uri in catalog()["blocked"]:
        return "blocked", match["auth"]
    view = _views().get(uri)
    return ("post", copy.deepcopy(view)) if view is not None else ("missing", None)


def _opted_out(view: dict[str, Any]) -> bool:
    author = view.get("author", {})
    return any(
        label.get("val") == "!no-unauthenticated" and label.get("src") in (None, author.get("did"))
        for label in author.get("labels", [])
    )


# ---------------------------------------------------------------------------------------- XRPC


def _xrpc_error(
    status: int, name: str, message: str, headers: list[tuple[str, str]] | None = None
) -> Response:
    return json_response({"error": name, "message": message}, status, headers)


def _failure(kind: str) -> Response | None:
    if kind == "error500":
        return _xrpc_error(500, "InternalServerError", "Internal Server Error")
    if kind == "error429":
        return _xrpc_error(
            429,
            "RateLimitExceeded",
            "Rate Limit Exceeded",
            [
                ("ratelimit-limit", "3000"),
                ("ratelimit-remaining", "0"),
                ("ratelimit-reset", "1767225600"),
                ("ratelimit-policy", "3000;w=300"),
                ("Retry-After", "1"),
            ],
        )
    if kind == "garbage":
        return html_response("<html><body><h1>502 Bad Gateway</h1></body></html>", 200)
    if kind == "shape":
        return json_response({"thread": {"$type": "app.bsky.feed.defs#threadViewPostV2", "uri": "?"}})
    return None


def _canonical_uri(raw: str) -> tuple[str | None, str]:
    """(DID-form URI or None when the handle does not resolve, the URI as asked)."""
    match = _AT_URI.fullmatch(raw)
    if match is None:
        raise ValueError(raw)
    did = resolve(unquote(match["auth"]))
    return (f"at://{did}/{match['coll']}/{match['rkey']}" if did else None), raw


def get_post_thread(store: Store, query: dict[str, str]) -> Response:
    raw = query.get("uri")
    if not raw:
        return _xrpc_error(400, "InvalidRequest", 'Params must have the property "uri"')
    try:
        uri, asked = _canonical_uri(raw)
    except ValueError:
        return _xrpc_error(400, "InvalidRequest", "Error: uri must be a valid at-uri")
    if uri is None:
        return _xrpc_error(400, "NotFound", f"Post not found: {asked}")
    kind, payload = _lookup(store, uri)
    failed = _failure(kind)
    if failed is not None:
        return failed
    if kind in ("deleted", "missing"):
        return _xrpc_error(400, "NotFound", f"Post not found: {asked}")
    if kind == "blocked":
        thread = {
            "$type": "app.bsky.feed.defs#blockedPost",
            "uri": uri,
            "blocked": True,
            "author": {"did": payload, "viewer": {"blockedBy": True}},
        }
        return json_response({"thread": thread})
    return json_response(
        {"thread": {"$type": "app.bsky.feed.defs#threadViewPost", "post": payload, "replies": []}}
    )


def resolve_handle(query: dict[str, str]) -> Response:
    handle = query.get("handle", "")
    if not _HANDLE.fullmatch(handle):
        return _xrpc_error(400, "InvalidRequest", "Error: handle must be a valid handle")
    did = catalog()["handles"].get(handle.lower())
    if did is None:
        return _xrpc_error(400, "InvalidRequest", "Unable to resolve handle")
    return json_response({"did": did})


def api(store: Store, path: str, query: dict[str, str]) -> Response:
    """public.api.bsky.app"""
    if path == "/xrpc/app.bsky.feed.getPostThread":
        return get_post_thread(store, query)
    if path == "/xrpc/com.atproto.identity.resolveHandle":
        return resolve_handle(query)
    if path.startswith("/xrpc/"):
        return _xrpc_error(501, "MethodNotImplemented", "Method Not Implemented")
    return not_found()


# ---------------------------------------------------------------------------------------- embed.bsky.app


def _text(status: int, text: str) -> Response:
    return Response(status, text.encode(), "text/plain; charset=UTF-8")


def _sort_at(view: dict[str, Any]) -> str:
    created, indexed = view["record"].get("createdAt", ""), view.get("indexedAt", "")
    return created if created and created < indexed else indexed


def _author_name(view: dict[str, Any]) -> str:
    author = view["author"]
    name = author.get("displayName")
    return f"{name} (@{author['handle']})" if name else f"@{author['handle']}"


def snippet(view: dict[str, Any]) -> str:
    """The embed service's HTML snippet for a post (embedr ``snippet.go``)."""
    match = _AT_URI.fullmatch(view["uri"])
    assert match is not None
    auth, rkey = match["auth"], match["rkey"]
    langs = view["record"].get("langs") or []
    lang = f' lang="{html.escape(langs[0])}"' if langs else ""
    return (
        f'<blockquote class="bluesky-embed" data-bluesky-uri="{view["uri"]}" data-bluesky-cid="{view["cid"]}">'
        f"<p{lang}>{html.escape(view['record']['text'], quote=True)}</p>&mdash; "
        f'<a href="https://bsky.app/profile/{auth}?ref_src=embed">{html.escape(_author_name(view))}</a> '
        f'<a href="https://bsky.app/profile/{auth}/post/{rkey}?ref_src=embed">{_sort_at(view)}</a></blockquote>'
        '<script async src="https://embed.bsky.app/static/embed.js" charset="utf-8"></script>'
    )


def _oembed_target(raw: str) -> str | None:
    """The DID-form URI an oEmbed ``url`` names (an AT-URI or a bsky.app post URL), or None."""
    if raw.startswith("at://"):
        match = _AT_URI.fullmatch(raw)
        if match is None:
            return None
        did = resolve(match["auth"])
        return f"at://{did}/{match['coll']}/{match['rkey']}" if did else None
    parts = urlsplit(raw)
    segments = parts.path.split("/")
    if (
        parts.hostname != "bsky.app"
        or len(segments) != 5
        or segments[1] != "profile"
        or segments[3] != "post"
    ):
        return None
    did = resolve(unquote(segments[2]))
    return f"at://{did}/{COLLECTION}/{segments[4]}" if did else None


def oembed(store: Store, query: dict[str, str]) -> Response:
    if query.get("format", "json") != "json":
        return _text(501, "Unsupported oEmbed format: " + query["format"])
    width = 600
    if query.get("maxwidth"):
        if not query["maxwidth"].isdigit():
            return _text(400, "Invalid maxwidth (expected integer)")
        width = min(600, max(220, int(query["maxwidth"])))
    uri = _oembed_target(query.get("url", ""))
    if uri is None:
        return _text(
            400, "Expected 'url' to be bsky.app URL or AT-URI: only bsky.app post URLs currently supported"
        )
    kind, view = _lookup(store, uri)
    if kind == "garbage":
        return html_response("<html><body>upstream error</body></html>", 200)
    if kind == "blocked" or (kind == "post" and _opted_out(view)):
        return _text(403, "post is not publicly accessible")
    if kind != "post":  # embedr answers 404 for any failed AppView lookup
        return _text(404, "post not found")
    handle = view["author"]["handle"]
    return json_response(
        {
            "type": "rich",
            "version": "1.0",
            "author_name": _author_name(view),
            "author_url": f"https://bsky.app/profile/{handle}",
            "provider_url": "Bluesky Social",
            "cache_age": 86400,
            "width": width,
            "height": None,
            "html": snippet(view),
        }
    )


def _rich_text(record: dict[str, Any]) -> str:
    """The text as the embed renders it: facets as links (byte offsets), the rest escaped."""
    data = record.get("text", "").encode()
    spans = sorted(
        (f["index"]["byteStart"], f["index"]["byteEnd"], f["features"][0]) for f in record.get("facets", [])
    )
    out, cursor = [], 0
    for start, end, feature in spans:
        if start < cursor:
            continue
        out.append(html.escape(data[cursor:start].decode()))
        href = feature.get("uri") or (
            f"/profile/{feature['did']}" if "did" in feature else f"/tag/{feature.get('tag', '')}"
        )
        out.append(
            f'<a href="{html.escape(href)}" class="text-blue-400 hover:underline">'
            f"{html.escape(data[start:end].decode())}</a>"
        )
        cursor = end
    out.append(html.escape(data[cursor:].decode()))
    return "".join(out)


def _card(inner: str, href: str) -> str:
    return (
        '<div class="w-full bg-white text-black hover:bg-neutral-50 relative transition-colors max-w-[600px] '
        f'min-w-[300px] flex border rounded-xl"><a href="{href}"></a><div class="flex-1 px-4 pt-3 pb-2.5">'
        f"{inner}</div></div>"
    )


def embed_page(store: Store, path: str) -> Response:
    """``/embed/<did>/app.bsky.feed.post/<rkey>``: the frame, with ``#app`` as the page's script renders it."""
    segments = path.split("/")
    if len(segments) != 5 or segments[3] != COLLECTION:
        return not_found()
    did, rkey = unquote(segments[2]), segments[4]
    if not re.fullmatch(r"[A-Za-z0-9._:~-]{1,512}", rkey):
        return _text(400, f"Invalid RecordKey: {rkey}")
    if not _DID.fullmatch(did):
        return _text(400, f"Invalid DID: {did}")
    uri = f"at://{did}/{COLLECTION}/{rkey}"
    kind, view = _lookup(store, uri)
    href = f"/profile/{did}/post/{rkey}"
    if kind == "post" and _opted_out(view):
        app = _card(
            '<div class="w-full py-12 gap-4 flex flex-col items-center"><p class="max-w-80 text-center">'
            "The author of this post has requested their posts not be displayed on external sites.</p>"
            f'<a href="{href}">View on Bluesky</a></div>',
            href,
        )
    elif kind == "post":
        author, record = view["author"], view["record"]
        images = "".join(
            f'<img src="{html.escape(i["thumb"])}" alt="{html.escape(i.get("alt", ""))}" class="w-full rounded-lg">'
            for i in (view.get("embed") or {}).get("images", [])
        )
        app = _card(
            f'<div class="flex-1 flex-col flex gap-2" lang="{html.escape((record.get("langs") or [""])[0])}">'
            f'<div class="flex gap-2.5 items-center"><a href="/profile/{did}"><img src="{html.escape(author.get("avatar", ""))}"></a>'
            f'<div><a href="/profile/{did}"><p>{html.escape(author.get("displayName", ""))}</p></a>'
            f'<a href="/profile/{did}"><p>@{html.escape(author["handle"])}</p></a></div></div>'
            f'<p class="leading-6 whitespace-pre-wrap">{_rich_text(record)}</p>{images}'
            f'<a href="{href}"><time datetime="{view["indexedAt"]}" class="text-sm">{view["indexedAt"]}</time></a></div>',
            href,
        )
    else:
        app = _card(
            '<p class="my-16 text-center w-full">Post not found, it may have been deleted.</p>',
            "https://bsky.app/",
        )
    page = (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n  <meta charset="UTF-8">\n'
        '  <meta name="viewport" content="width=device-width, initial-scale=1.0">\n  <title>Bluesky Embed</title>\n'
        '  <link rel="preconnect" href="https://public.api.bsky.app">\n  <meta name="application-name" content="Bluesky">\n'
        f'  <meta name="generator" content="bskyweb">\n</head>\n<body>\n  <div id="app">{app}</div>\n</body>\n</html>\n'
    )
    return html_response(page)


EMBED_JS = """(function () {
  function scan(node) {
    var embeds = (node || document).querySelectorAll('[data-bluesky-uri]');
    for (var i = 0; i < embeds.length; i++) {
      var el = embeds[i], uri = el.getAttribute('data-bluesky-uri');
      if (!uri) continue;
      var id = String(Math.random()).slice(2);
      var iframe = document.createElement('iframe');
      iframe.setAttribute('data-bluesky-id', id);
      iframe.src = 'https://embed.bsky.app/embed/' + uri.slice(5) + '?id=' + id + '&colorMode=' +
        (el.getAttribute('data-bluesky-embed-color-mode') || 'auto');
      iframe.width = '100%'; iframe.style.border = 'none'; iframe.frameBorder = '0'; iframe.scrolling = 'no';
      var box = document.createElement('div');
      box.className = 'bluesky-embed'; box.style.maxWidth = '600px'; box.style.display = 'flex';
      box.appendChild(iframe);
      el.replaceWith(box);
    }
  }
  window.bluesky = window.bluesky || {scan: scan};
  if (document.readyState !== 'loading') scan(); else document.addEventListener('DOMContentLoaded', function () { scan(); });
})();
"""


def embed(store: Store, path: str, query: dict[str, str]) -> Response:
    """embed.bsky.app"""
    if path == "/oembed":
        return oembed(store, query)
    if path.startswith("/embed/"):
        return embed_page(store, path)
    if path == "/static/embed.js":
        return Response(200, EMBED_JS.encode(), "application/javascript; charset=utf-8", list(CACHE))
    return not_found()


# ---------------------------------------------------------------------------------------- bsky.app


def _meta(view: dict[str, Any], request_url: str) -> str:
    author, text = view["author"], html.escape(view["record"]["text"])
    title = (
        html.escape(_author_name(view)) if author.get("displayName") else f"@{html.escape(author['handle'])}"
    )
    images = [i["thumb"] for i in (view.get("embed") or {}).get("images", [])]
    lines = [
        '<meta property="og:type" content="article">',
        f'<meta property="profile:username" content="{html.escape(author["handle"])}">',
        f'<meta property="og:url" content="{html.escape(request_url)}">',
        f'<meta property="og:title" content="{title}">',
    ]
    if text:
        lines += [
            f'<meta name="description" content="{text}">',
            f'<meta property="og:description" content="{text}">',
        ]
    lines += [f'<meta property="og:image" content="{html.escape(url)}">' for url in images]
    lines += [
        f'<meta property="article:published_time" content="{view["indexedAt"]}">',
        '<link rel="alternate" type="application/json+oembed" '
        f'href="https://embed.bsky.app/oembed?format=json&amp;url={quote(view["uri"], safe="")}" />',
        f'<link rel="alternate" href="{view["uri"]}" />',
    ]
    return "\n  ".join(lines)


def app_page(store: Store, path: str, query_string: str) -> Response:
    """bsky.app: the SPA shell for every path (200 even when the post is gone), post meta when readable."""
    title, head, noscript = "Bluesky", "", ""
    match = re.fullmatch(r"/profile/([^/]+)/post/([^/]+)/?", path)
    if match:
        did = resolve(unquote(match[1]))
        kind, view = _lookup(store, f"at://{did}/{COLLECTION}/{match[2]}") if did else ("missing", None)
        url = f"https://bsky.app{path}" + (f"?{query_string}" if query_string else "")
        if kind == "post" and _opted_out(view):
            head = (
                '<meta property="og:description" content="This author has chosen to make their posts visible '
                'only to people who are signed in.">'
            )
            title = f"@{html.escape(view['author']['handle'])} on Bluesky"
        elif kind == "post":
            head, title = _meta(view, url), f"@{html.escape(view['author']['handle'])} on Bluesky"
            noscript = (
                f'<div id="bsky_post_summary"><h3>Post</h3><p id="bsky_handle">{html.escape(view["author"]["handle"])}'
                f'</p><p id="bsky_post_text">{html.escape(view["record"]["text"])}</p>'
                f'<p id="bsky_post_indexedat">{view["indexedAt"]}</p></div>'
            )
    page = (
        '<!DOCTYPE html>\n<html>\n<head>\n  <meta charset="UTF-8">\n'
        '  <meta name="viewport" content="width=device-width, initial-scale=1, minimum-scale=1, viewport-fit=cover">\n'
        f'  <title>{title}</title>\n  {head}\n</head>\n<body>\n  <noscript><h1 lang="en">JavaScript Required</h1>'
        f'<p lang="en">This is a heavily interactive web application, and JavaScript is required.</p>{noscript}'
        '</noscript>\n  <div id="root"></div>\n</body>\n</html>\n'
    )
    return html_response(page)


# ---------------------------------------------------------------------------------------- media


def _walk_urls(value: Any, prefix: str) -> list[str]:
    if isinstance(value, str):
        return [value] if value.startswith(prefix) else []
    if isinstance(value, dict):
        return [u for v in value.values() for u in _walk_urls(v, prefix)]
    if isinstance(value, list):
        return [u for v in value for u in _walk_urls(v, prefix)]
    return []


@cache
def _known_images() -> dict[tuple[str, str], tuple[int, int]]:
    """(did, cid) → original pixel size, for every cdn.bsky.app URL in the data (avatars 1000×1000)."""
    sizes: dict[str, tuple[int, int]] = {}
    for view in _views().values():
        for node in _walk_dicts(view):
            ratio = node.get("aspectRatio")
            for key in ("fullsize", "thumb", "thumbnail"):
                if isinstance(node.get(key), str) and isinstance(ratio, dict):
                    cid = node[key].rsplit("/", 1)[-1].split("@")[0]
                    sizes[cid] = (ratio["width"], ratio["height"])
    known = {}
    for view in _views().values():
        for url in _walk_urls(view, "https://cdn.bsky.app/img/"):
            parts = urlsplit(url).path.split("/")  # /img/<preset>/plain/<did>/<cid>@<fmt>
            if len(parts) == 6:
                did, cid = unquote(parts[4]), parts[5].split("@")[0]
                known[(did, cid)] = sizes.get(
                    cid, (1000, 1000) if parts[2].startswith("avatar") else (1200, 630)
                )
    return known


def _walk_dicts(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, dict):
        return [value, *(d for v in value.values() for d in _walk_dicts(v))]
    if isinstance(value, list):
        return [d for v in value for d in _walk_dicts(v)]
    return []


def _fit(width: int, height: int, box: int) -> tuple[int, int]:
    scale = min(1.0, box / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


_PRESETS = {
    "feed_fullsize": 2000,
    "feed_thumbnail": 1000,
    "avatar": 1000,
    "avatar_thumbnail": 128,
    "banner": 3000,
}


def cdn(path: str) -> Response:
    """cdn.bsky.app ``/img/<preset>/plain/<did>/<cid>@<jpeg|png|webp>``: a real image, fitted to the preset."""
    match = re.fullmatch(
        r"/img/(?P<preset>\w+)/plain/(?P<did>[^/]+)/(?P<cid>baf[a-z2-7]+)(?:@(?P<fmt>jpeg|png|webp))?", path
    )
    if match is None or match["preset"] not in _PRESETS:
        return not_found()
    did = unquote(match["did"])
    orig = _known_images().get((did, match["cid"]))
    if orig is None:
        return not_found()
    fmt = match["fmt"] or "jpeg"
    if match["preset"].startswith("avatar"):
        side = _PRESETS[match["preset"]]
        size = (side, side)
    else:
        size = _fit(*orig, _PRESETS[match["preset"]])
    data = image_bytes(f"bsky/{did}/{match['cid']}", orig, size, fmt, match["preset"].startswith("avatar"))
    return Response(200, data, CONTENT_TYPES[fmt], list(CACHE))


@cache
def _known_videos() -> dict[str, tuple[int, int]]:
    """``<did-encoded>/<cid>`` → aspect ratio of each video in the data."""
    out = {}
    for view in _views().values():
        for node in _walk_dicts(view):
            if node.get("$type") == "app.bsky.embed.video#view" and isinstance(node.get("playlist"), str):
                parts = urlsplit(node["playlist"]).path.split("/")  # /watch/<did>/<cid>/playlist.m3u8
                ratio = node.get("aspectRatio") or {"width": 1280, "height": 720}
                out[f"{unquote(parts[2])}/{parts[3]}"] = (ratio["width"], ratio["height"])
    return out


def _renditions(width: int, height: int) -> list[tuple[str, int, int, int]]:
    """(name, width, height, bandwidth): 360p and 720p, the short side scaled to that many lines."""
    out = []
    for lines, bandwidth in ((360, 688540), (720, 1921217)):
        scale = lines / min(width, height)
        out.append((f"{lines}p", round(width * scale / 2) * 2, round(height * scale / 2) * 2, bandwidth))
    return out


def ts_bytes(seed: str, packets: int = 48) -> bytes:
    """An MPEG-TS segment: 188-byte packets, each with the 0x47 sync byte."""
    rng = random.Random(hashlib.sha256(seed.encode()).digest())
    return b"".join(
        bytes([0x47, 0x41 if i == 0 else 0x01, 0x00, 0x10 | (i % 16)]) + rng.randbytes(184)
        for i in range(packets)
    )


def video(path: str) -> Response:
    """video.bsky.app ``/watch/<did>/<cid>/``: ``playlist.m3u8`` (master), ``<N>p/video.m3u8``, segments, thumbnail."""
    match = re.fullmatch(r"/watch/(?P<did>[^/]+)/(?P<cid>baf[a-z2-7]+)/(?P<rest>.+)", path)
    if match is None:
        return not_found()
    key = f"{unquote(match['did'])}/{match['cid']}"
    aspect = _known_videos().get(key)
    if aspect is None:
        return not_found()
    rest, renditions = match["rest"], _renditions(*aspect)
    if rest == "playlist.m3u8":
        lines = ["#EXTM3U", "#EXT-X-VERSION:3"]
        for name, w, h, bandwidth in renditions:
            lines += [
                f'#EXT-X-STREAM-INF:PROGRAM-ID=0,BANDWIDTH={bandwidth},CODECS="avc1.64001f,mp4a.40.2",'
                f"RESOLUTION={w}x{h}",
                f"{name}/video.m3u8",
            ]
        return Response(200, ("\n".join(lines) + "\n").encode(), HLS_TYPE, list(CACHE))
    if rest == "thumbnail.jpg":
        size = _fit(*aspect, 1280)
        return Response(200, image_bytes(f"bsky-video/{key}", size, size), "image/jpeg", list(CACHE))
    names = {name for name, *_ in renditions}
    media = re.fullmatch(r"(\d+p)/video\.m3u8", rest)
    if media and media[1] in names:
        lines = [
            "#EXTM3U",
            "#EXT-X-VERSION:3",
            "#EXT-X-PLAYLIST-TYPE:VOD",
            "#EXT-X-MEDIA-SEQUENCE:0",
            f"#EXT-X-TARGETDURATION:{SEGMENT_SECONDS}",
        ]
        for i in range(VIDEO_SECONDS // SEGMENT_SECONDS):
            lines += [f"#EXTINF:{SEGMENT_SECONDS:.3f},", f"video{i}.ts"]
        lines.append("#EXT-X-ENDLIST")
        return Response(200, ("\n".join(lines) + "\n").encode(), HLS_TYPE, list(CACHE))
    segment = re.fullmatch(r"(\d+p)/video(\d+)\.ts", rest)
    if segment and segment[1] in names and int(segment[2]) < VIDEO_SECONDS // SEGMENT_SECONDS:
        return Response(200, ts_bytes(f"{key}/{rest}"), "video/mp2t", list(CACHE))
    return not_found()


__all__ = [
    "DATA_DIR",
    "JSON_TYPE",
    "STATES",
    "api",
    "app_page",
    "catalog",
    "cdn",
    "embed",
    "post_uris",
    "resolve",
    "set_state",
    "snippet",
    "state",
    "video",
]
