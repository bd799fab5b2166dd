"""Threads URL shapes: a post is its shortcode (``threads:C-GMXpGM4KR``); the ``@user`` is its handle.

Claimed: ``threads.net`` and ``threads.com`` (``www.`` or not; Threads moved to .com in 2025 and
redirects the old host) with ``/@user/post/<code>`` (optional ``/embed``, ``/media``, trailing slash,
query such as ``xmt=``) and the short ``/t/<code>``.
"""

from __future__ import annotations

import re

from crawlers.platforms.weburl import key_or_url, split_web_url

HOSTS = frozenset({"threads.net", "www.threads.net", "threads.com", "www.threads.com"})
_CODE = r"[A-Za-z0-9_-]{5,64}"
_PATHS = (
    re.compile(
        rf"^/@(?P<user>[A-Za-z0-9_.]{{1,30}})/post/(?P<code>{_CODE})(?P<embed>/embed|/media)?/?$", re.ASCII
    ),
    re.compile(rf"^/t/(?P<code>{_CODE})(?P<embed>/embed)?/?$", re.ASCII),
)
_KEY = re.compile(rf"^{_CODE}$", re.ASCII)


def parse_post_url(url: str) -> dict[str, str | None] | None:
    """``{"post_id", "handle", "embed"}`` for a Threads post URL, else None."""
    split = split_web_url(url)
    if split is None or split[0] not in HOSTS:
        return None
    parts = split[1]
    for pattern in _PATHS:
        match = pattern.match(parts.path)
        if match:
            groups = match.groupdict()
            return {
                "post_id": match["code"],
                "handle": groups.get("user"),
                "embed": "1" if groups.get("embed") == "/embed" else None,
            }
    return None


def parse_key(text: str) -> str | None:
    """A typed shortcode or post URL → the shortcode, or None."""
    return key_or_url(text, parse_post_url, _KEY)


def check(post_id: str) -> str:
    if not isinstance(post_id, str) or not _KEY.match(post_id):
        raise ValueError(f"not a Threads shortcode: {post_id!r}")
    return post_id


def _user(handle: str | None) -> str | None:
    user = (handle or "").strip().lstrip("@")
    return user if re.fullmatch(r"[A-Za-z0-9_.]{1,30}", user) else None


def canonical_url(post_id: str, handle: str | None = None) -> str:
    """``https://www.threads.net/@user/post/<code>`` (``/t/<code>`` without a handle)."""
    user = _user(handle)
    code = check(post_id)
    return f"https://www.threads.net/@{user}/post/{code}" if user else f"https://www.threads.net/t/{code}"


def embed_url(post_id: str, handle: str | None) -> str | None:
    """The post's embed page (what ``embed.js`` loads); None without a handle (the page needs ``/@user``)."""
    user = _user(handle)
    return f"https://www.threads.net/@{user}/post/{check(post_id)}/embed" if user else None
