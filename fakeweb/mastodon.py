"""Fake Mastodon: two instances, their media host, and a blog that only looks like one.

- ``https://mastodon.social``: ``/api/v1/statuses/<id>`` (the bodies in ``data/mastodon/mastodon.social``),
  ``…/<id>/history``, ``/api/oembed``, the ``/@user/<id>`` page, ``/users/<user>/statuses/<id>`` (301 to
  it), the ``/@user/<id>/embed`` page (the DOM Mastodon's embed app renders, served static) and ``/embed.js``.
- ``https://journa.host``: an instance in authorized-fetch mode, its API answers 401 to anonymous reads;
  pages, embeds and oEmbed still answer.
- ``https://files.mastodon.social`` (and journa.host's ``/system/…``): every media file a body names,
  generated (JPEG/PNG of the documented size, a valid MP4, MP3 bytes).
- ``https://blog.example``: ``/@user/123`` is an ordinary blog page; its ``/api/v1/statuses/*`` answer an
  HTML 404 (``/123``), a 200 HTML page (``/200``) and 200 JSON that is no Status (``/201``).

Hooks on mastodon.social (ids in :data:`HOOK_IDS`): deleted (404 ``Record not found``), 500, 429 with
Retry-After, 403, 410, and a 200 whose JSON is cut short.
"""

from __future__ import annotations

import html
import json
import random
import re
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from fakeweb.media import image_bytes, mp4_bytes
from fakeweb.respond import JSON_TYPE, Response, compact_json, html_response, json_response

DATA = Path(__file__).with_name("data") / "mastodon"
INSTANCES = {"masto_social": "mastodon.social", "journa": "journa.host"}
AUTHORIZED_FETCH = frozenset({"journa.host"})
FILES_HOST = "files.mastodon.social"

DELETED_ID = "113456789012345691"
HOOK_IDS = {
    "deleted": DELETED_ID,
    "server_error": "500500500500500500",
    "rate_limited": "429429429429429429",
    "forbidden": "403403403403403403",
    "gone": "410410410410410410",
    "garbage": "999999999999999999",
}
RETRY_AFTER = "120"
# config/locales/en.yml errors.*; the API's JSON errors as Mastodon's controllers write them
ERROR_TEXTS = {
    403: "You don't have permission to view this page.",
    404: "The page you are looking for isn't here.",
    410: "The page you were looking for doesn't exist here anymore.",
    500: "We're sorry, but something went wrong on our end.",
}
RECORD_NOT_FOUND = {"error": "Record not found"}
AUTH_REQUIRED = {"error": "This API requires an authenticated user"}
NOT_ALLOWED = {"error": "This action is not allowed"}
TOO_MANY = {"error": "Too many requests"}

_STATUS_API = re.compile(r"^/api/v1/statuses/(?P<id>[^/]+)(?P<history>/history)?/?$")
_PAGE = re.compile(r"^/@(?P<acct>[A-Za-z0-9_.\-]+(?:@[A-Za-z0-9.\-]+)?)/(?P<id>[0-9]+)(?P<embed>/embed)?/?$")
_USERS_PAGE = re.compile(r"^/users/(?P<user>[A-Za-z0-9_.\-]+)/statuses/(?P<id>[0-9]+)/?$")


# ------------------------------------------------------------------------------------ data


@cache
def statuses(host: str) -> dict[str, dict[str, Any]]:
    """The Status bodies an instance serves, by status id."""
    folder = DATA / host
    out: dict[str, dict[str, Any]] = {}
    for path in sorted(folder.glob("*.json")):
        if path.name.endswith(".history.json"):
            continue
        out[path.stem] = json.loads(path.read_text(encoding="utf-8"))
    return out


def history(host: str, status_id: str) -> list[dict[str, Any]] | None:
    """The StatusEdit list for a status: its file, else the one current revision (what Mastodon returns)."""
    path = DATA / host / f"{status_id}.history.json"
    if path.exists():
        return json.loads(path.read_text(encoding="utf-8"))
    status = statuses(host).get(status_id)
    if status is None:
        return None
    keys = ("content", "spoiler_text", "sensitive", "account", "media_attachments", "emojis")
    edit = {k: status.get(k) for k in keys}
    edit["created_at"] = status.get("edited_at") or status["created_at"]
    return [edit]


def _acct_matches(status: dict[str, Any], acct: str, host: str) -> bool:
    account = status.get("account") or {}
    own = str(account.get("acct") or "")
    if "@" in acct:
        user, _, domain = acct.partition("@")
        return own.lower() == acct.lower() or (domain.lower() == host and own.lower() == user.lower())
    return own.lower() == acct.lower()


# ------------------------------------------------------------------------------------ pages


def error_page(status: int) -> Response:
    """Mastodon's error layout (``.dialog`` with the locale's message)."""
    text = html.escape(ERROR_TEXTS.get(status, ERROR_TEXTS[500]))
    page = (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta content="width=device-width, initial-scale=1" name="viewport">\n<title>{text} - Mastodon</title>\n'
        '</head>\n<body class="error">\n<div class="dialog">\n<div class="dialog__illustration">'
        '<img alt="Mastodon" src="/oops.png"></div>\n'
        f'<div class="dialog__message">\n<h1>{text}</h1>\n</div>\n</div>\n</body>\n</html>\n'
    )
    return html_response(page, status)


def _plain(content: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", content))).strip()


def status_page(host: str, status: dict[str, Any]) -> Response:
    """The ``/@user/<id>`` page: OpenGraph tags, the alternates, the web app's holder."""
    account = status["account"]
    name = html.escape(account.get("display_name") or account["username"])
    desc = html.escape(_plain(status.get("content") or "")[:300], quote=True)
    url = f"https://{host}/@{account['acct']}/{status['id']}"
    oembed = f"https://{host}/api/oembed?format=json&url={quote(url, safe='')}"
    page = (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{name}: &quot;{desc[:60]}&quot; - Mastodon</title>\n"
        f'<meta content="{html.escape(url)}" property="og:url">\n<meta content="article" property="og:type">\n'
        f'<meta content="{name} (@{html.escape(account["acct"])})" property="og:title">\n'
        f'<meta content="{desc}" property="og:description">\n'
        f'<link href="{html.escape(status.get("uri") or url)}" rel="alternate" type="application/activity+json">\n'
        f'<link href="{html.escape(oembed)}" rel="alternate" type="application/json+oembed">\n'
        '</head>\n<body class="app-body theme-default">\n<div class="app-holder" data-props="{&quot;locale&quot;:'
        '&quot;en&quot;}" id="mastodon">\n<noscript>To use the Mastodon web application, please enable JavaScript. '
        "Alternatively, try one of the native apps for Mastodon for your platform.</noscript>\n</div>\n</body>\n</html>\n"
    )
    return html_response(page)


def embed_page(host: str, status: dict[str, Any]) -> Response:
    """The embed page as Mastodon ≥4.3's embed app leaves it: ``.embed > .detailed-status``."""
    account = status["account"]
    url = html.escape(status.get("url") or f"https://{host}/@{account['acct']}/{status['id']}")
    spoiler = status.get("spoiler_text") or ""
    cw = (
        f'<div class="content-warning"><p>{html.escape(spoiler)}</p><button class="link-button">Show more</button></div>'
        if spoiler
        else ""
    )
    media = "".join(
        f'<div class="media-gallery__item"><a class="media-gallery__item-thumbnail" href="{html.escape(m["url"])}">'
        f'<img src="{html.escape(m.get("preview_url") or m["url"])}" alt="{html.escape(m.get("description") or "")}"></a></div>'
        for m in status.get("media_attachments") or []
        if m.get("url")
    )
    gallery = f'<div class="media-gallery">{media}</div>' if media else ""
    page = (
        '<!DOCTYPE html>\n<html lang="en" class="embed">\n<head>\n<meta charset="utf-8">\n'
        '<title>Mastodon</title>\n</head>\n<body class="embed">\n'
        f'<div id="mastodon-status" data-props="{html.escape(json.dumps({"id": status["id"], "locale": "en"}))}">'
        '<div class="embed"><div class="detailed-status">'
        f'<a class="detailed-status__display-name" href="{html.escape(account["url"])}">'
        f'<div class="detailed-status__display-avatar"><img class="account__avatar" src="{html.escape(account["avatar"])}" alt=""></div>'
        f'<span class="display-name"><bdi><strong class="display-name__html">{html.escape(account.get("display_name") or "")}</strong></bdi>'
        f'<span class="display-name__account">@{html.escape(account["acct"])}</span></span></a>'
        f'{cw}<div class="status__content"><div class="status__content__text status__content__text--visible translate">'
        f"{status.get('content') or ''}</div></div>"
        f"{gallery}"
        f'<div class="detailed-status__meta"><a class="detailed-status__datetime" href="{url}">'
        f'<time datetime="{html.escape(status["created_at"])}">{html.escape(status["created_at"][:10])}</time></a></div>'
        f'</div><a class="embed__overlay" href="{url}" target="_blank" rel="noopener" aria-label=""></a></div></div>\n'
        "</body>\n</html>\n"
    )
    return html_response(page)


EMBED_JS = (
    "(function(){'use strict';var allowedPrefixes=(document.currentScript&&document.currentScript.tagName.toUpperCase()"
    "==='SCRIPT'&&document.currentScript.dataset.allowedPrefixes)?document.currentScript.dataset.allowedPrefixes.split(' '):[];"
    "/* fake embed.js: turns blockquote.mastodon-embed into iframe.mastodon-embed */"
    "document.querySelectorAll('blockquote.mastodon-embed[data-embed-url]').forEach(function(c){var u=c.getAttribute('data-embed-url');"
    "if(allowedPrefixes.length&&!allowedPrefixes.some(function(p){return u.indexOf(p)===0;}))return;"
    "var i=document.createElement('iframe');i.src=u;i.className='mastodon-embed';i.style.border='0';i.width='400';"
    "c.parentNode.replaceChild(i,c);});})();\n"
)


# ------------------------------------------------------------------------------------ API


def _api_status(host: str, status_id: str, want_history: bool) -> Response:
    if host in AUTHORIZED_FETCH:
        return json_response(AUTH_REQUIRED, 401)
    if status_id == HOOK_IDS["server_error"]:
        return error_page(500)
    if status_id == HOOK_IDS["rate_limited"]:
        return json_response(
            TOO_MANY,
            429,
            [
                ("Retry-After", RETRY_AFTER),
                ("X-RateLimit-Limit", "300"),
                ("X-RateLimit-Remaining", "0"),
                ("X-RateLimit-Reset", "2024-11-12T18:35:00.000Z"),
            ],
        )
    if status_id == HOOK_IDS["forbidden"]:
        return json_response(NOT_ALLOWED, 403)
    if status_id == HOOK_IDS["gone"]:
        return error_page(410)
    if status_id == HOOK_IDS["garbage"]:
        return Response(200, b'{"id":"999999999999999999","created_at":"2024-11-1', JSON_TYPE)
    status = statuses(host).get(status_id)
    if status is None:
        return json_response(RECORD_NOT_FOUND, 404)
    if want_history:
        return Response(200, compact_json(history(host, status_id)), JSON_TYPE)
    return Response(200, compact_json(status), JSON_TYPE)


def _oembed(host: str, query: dict[str, str]) -> Response:
    target = urlsplit(query.get("url", ""))
    match = _PAGE.match(target.path) or _USERS_PAGE.match(target.path)
    status = statuses(host).get(match["id"]) if match and (target.hostname or "") == host else None
    if status is None:
        return json_response(RECORD_NOT_FOUND, 404)
    account = status["account"]
    embed = f"https://{host}/@{account['acct']}/{status['id']}/embed"
    width = int(query["maxwidth"]) if query.get("maxwidth", "").isdigit() else 400
    body = {
        "type": "rich",
        "version": "1.0",
        "title": f"New status by {account['username']}",
        "author_name": account.get("display_name") or account["username"],
        "author_url": account["url"],
        "provider_name": host,
        "provider_url": f"https://{host}/",
        "cache_age": 86400,
        "html": (
            f'<iframe src="{embed}" class="mastodon-embed" style="max-width: 100%; border: 0" width="{width}" '
            f'allowfullscreen="allowfullscreen"></iframe><script src="https://{host}/embed.js" async="async"></script>'
        ),
        "width": width,
        "height": None,
    }
    return json_response(body)


def instance(host: str, path: str, query: dict[str, str]) -> Response:
    """Everything one fake instance serves (``host`` is mastodon.social or journa.host)."""
    api = _STATUS_API.match(path)
    if api:
        return _api_status(host, api["id"], bool(api["history"]))
    if path.rstrip("/") == "/api/oembed":
        return _oembed(host, query)
    if path == "/embed.js":
        return Response(
            200,
            EMBED_JS.encode(),
            "application/javascript; charset=utf-8",
            [("Cache-Control", "public, max-age=604800")],
        )
    if path.startswith("/system/"):
        return media_file(host, path)
    users = _USERS_PAGE.match(path)
    if users:
        status = statuses(host).get(users["id"])
        if status is None or not _acct_matches(status, users["user"], host):
            return error_page(404)
        return Response(301, b"", None, [("Location", f"https://{host}/@{users['user']}/{users['id']}")])
    page = _PAGE.match(path)
    if page:
        status = statuses(host).get(page["id"])
        if status is None or not _acct_matches(status, page["acct"], host):
            return error_page(404)
        if page["embed"]:
            if "@" in str(status["account"].get("acct")):  # the embed controller only knows local accounts
                return error_page(404)
            return embed_page(host, status)
        return status_page(host, status)
    return error_page(404)


# ------------------------------------------------------------------------------------ media


def _walk_urls(value: Any, sink: dict[str, tuple[str, int, int, int]]) -> None:
    """Collect (kind, width, height, duration_ms) for every media URL in a body."""
    if isinstance(value, list):
        for item in value:
            _walk_urls(item, sink)
        return
    if not isinstance(value, dict):
        return
    if isinstance(value.get("type"), str) and "preview_url" in value:  # a MediaAttachment
        meta = value.get("meta") or {}
        original, small = meta.get("original") or {}, meta.get("small") or {}
        width, height = (
            original.get("width") or meta.get("width") or 0,
            original.get("height") or meta.get("height") or 0,
        )
        duration = int(float(original.get("duration") or meta.get("duration") or 0) * 1000)
        kind = value["type"]
        for key in ("url", "remote_url"):
            if value.get(key):
                sink[value[key]] = (kind, width or 640, height or 480, duration)
        if value.get("preview_url"):
            preview_kind = "audio" if kind == "audio" else "image"
            sink[value["preview_url"]] = (
                preview_kind,
                small.get("width") or 400,
                small.get("height") or 300,
                duration,
            )
    for key in ("avatar", "avatar_static", "header", "header_static", "url", "static_url", "image"):
        url = value.get(key)
        if isinstance(url, str) and (f"/{FILES_HOST}/" in url or "/system/" in url) and url not in sink:
            sink[url] = ("image", 400, 400, 0)
    for item in value.values():
        if isinstance(item, dict | list):
            _walk_urls(item, sink)


@cache
def media_index() -> dict[str, tuple[str, int, int, int]]:
    """Every media URL the fake bodies name → (kind, width, height, duration_ms)."""
    sink: dict[str, tuple[str, int, int, int]] = {}
    for host in INSTANCES.values():
        for status in statuses(host).values():
            _walk_urls(status, sink)
    return sink


def media_file(host: str, path: str) -> Response:
    """A media file at ``https://{host}{path}``, or 404 when no body names it."""
    spec = media_index().get(f"https://{host}{path}")
    if spec is None:
        return Response(404, b"<Error><Code>NoSuchKey</Code></Error>", "application/xml")
    kind, width, height, duration = spec
    ext = path.rsplit(".", 1)[-1].lower()
    headers = [
        ("Cache-Control", "public, max-age=315576000, immutable"),
        ("Access-Control-Allow-Origin", "*"),
    ]
    if ext == "mp4":
        return Response(200, mp4_bytes(path, width, height, max(duration, 1000), 24000), "video/mp4", headers)
    if ext == "mp3":
        data = b"ID3\x04\x00\x00\x00\x00\x00\x00" + random.Random(path).randbytes(6000)
        return Response(200, data, "audio/mpeg", headers)
    fmt = "png" if ext == "png" else "jpeg"
    data = image_bytes(path, (width, height), (width, height), fmt)
    return Response(200, data, "image/png" if fmt == "png" else "image/jpeg", headers)


# ------------------------------------------------------------------------------------ not Mastodon


BLOG_POST = (
    '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>Notes from @user - Blog Example</title></head>\n'
    "<body><article><h1>Post 123</h1><p>An ordinary blog whose author pages live under /@user/.</p></article>"
    "</body></html>\n"
)
BLOG_404 = (
    "<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head><body><h1>Not Found</h1>"
    "<p>The requested URL was not found on this server.</p></body></html>\n"
)


def blog(path: str) -> Response:
    """``https://blog.example``: a site with ``/@user/<digits>`` URLs that is not a Mastodon server."""
    if re.fullmatch(r"/@[A-Za-z0-9_]+/[0-9]+/?", path):
        return html_response(BLOG_POST)
    if path == "/api/v1/statuses/200":  # a catch-all front end: 200 HTML for any path
        return html_response(BLOG_POST)
    if path == "/api/v1/statuses/201":  # some other JSON API
        return json_response({"data": {"id": 201, "type": "post"}, "meta": {"version": 2}})
    return html_response(BLOG_404, 404)
