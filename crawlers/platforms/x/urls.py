"""X/Twitter URL shapes: which URLs name a post, and which are only short links or share links."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, unquote, urlsplit

X_HOSTS = frozenset({
    "twitter.com", "www.twitter.com", "mobile.twitter.com", "m.twitter.com",
    "x.com", "www.x.com", "mobile.x.com", "m.x.com",
})
SHORT_HOSTS = frozenset({"t.co"})
PIC_HOSTS = frozenset({"pic.twitter.com", "pic.x.com"})

# /{user}/status/{id}, /{user}/statuses/{id}, /i/web/status/{id}, /i/status/{id}, the video player's
# /i/videos/tweet/{id}; optional /photo/N, /video/N
_STATUS_PATH = re.compile(
    r"^/(?:(?P<user>[A-Za-z0-9_]{1,50})/status(?:es)?|i/web/status|i/status|i/videos/tweet|statuses)/(?P<id>\d{1,25})"
    r"(?:/(?P<media>photo|video)/(?P<index>\d+))?/?(?:$|[/?#])",
    re.ASCII,  # \d must not accept non-ASCII digits such as "١٢٣"
)
_RESERVED_USERS = frozenset({"i", "intent", "share", "hashtag", "search", "home", "explore", "settings"})


def _split(url: str) -> tuple[str, str, str]:
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return "", "", ""
    host = (parts.hostname or "").lower()
    path = parts.path or "/"
    # legacy hashbang URLs: https://twitter.com/#!/user/status/ID
    if parts.fragment.startswith("!/"):
        path = parts.fragment[1:]
    return host, path, parts.query


def parse_status_url(url: str) -> dict[str, str | None] | None:
    """Return ``{"id", "handle", "media", "index"}`` when *url* is an X post URL, else None."""
    if not url:
        return None
    url = url.strip()
    if url.startswith("//"):
        url = "https:" + url
    host, path, _query = _split(url)
    if host not in X_HOSTS:
        return None
    m = _STATUS_PATH.match(path)
    if not m:
        return None
    user = m.group("user")
    if user and user.lower() in _RESERVED_USERS:
        user = None
    post_id = m.group("id").lstrip("0") or "0"
    if not post_id.isdigit() or len(post_id) > 20:
        return None
    return {"id": post_id, "handle": user, "media": m.group("media"), "index": m.group("index")}


def status_id_from_url(url: str) -> str | None:
    parsed = parse_status_url(url)
    return parsed["id"] if parsed else None


def is_short_link(url: str) -> bool:
    host, path, _ = _split(url if "://" in url else "https://" + url)
    return host in SHORT_HOSTS and len(path) > 1


def is_pic_link(url: str) -> bool:
    host, path, _ = _split(url if "://" in url else "https://" + url)
    return host in PIC_HOSTS and len(path) > 1


def is_x_host(url: str) -> bool:
    host, _, _ = _split(url)
    return host in X_HOSTS


def embed_iframe_id(url: str) -> str | None:
    """ID from a widgets.js iframe src (``platform.twitter.com/embed/Tweet.html?…&id=ID``) or embedly URL."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    qs = parse_qs(parts.query)
    if host.startswith("platform.") and ("twitter.com" in host or "x.com" in host):
        ids = qs.get("id") or qs.get("tweetId")
        if ids and ids[0].isascii() and ids[0].isdigit():
            return ids[0]
    if "embedly.com" in host:
        target = (qs.get("url") or qs.get("src") or [""])[0]
        return status_id_from_url(unquote(target))
    return None


def canonical_post_url(post_id: str, handle: str | None = None) -> str:
    return f"https://x.com/{handle or 'i/web'}/status/{post_id}"
