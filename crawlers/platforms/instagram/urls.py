"""Instagram URL shapes: a post is its shortcode (``instagram:Bw-eOMwAiNU``), whatever path named it.

Claimed: ``instagram.com`` (``www.``, ``m.``) and ``instagr.am`` with ``/p/<code>``, ``/reel/<code>``,
``/reels/<code>``, ``/tv/<code>``, ``/<user>/p/<code>`` (and ``/<user>/reel/<code>``), optional ``/embed``,
``/embed/captioned``, trailing slash and any query (``utm_source=ig_embed``, ``igsh`` …). One shortcode
is one post whichever of ``p``/``reel``/``tv`` named it, so the key is the code alone.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

HOSTS = frozenset({"instagram.com", "www.instagram.com", "m.instagram.com", "instagr.am", "www.instagr.am"})
_CODE = r"[A-Za-z0-9_-]{5,64}"
_USER = r"[A-Za-z0-9_.]{1,30}"
_PATH = re.compile(
    rf"^/(?:(?P<user>{_USER})/)?(?P<kind>p|reel|reels|tv)/(?P<code>{_CODE})"
    r"(?P<embed>/embed(?:/captioned)?)?/?$",
    re.ASCII,
)
_KEY = re.compile(rf"^{_CODE}$", re.ASCII)
_RESERVED_USERS = frozenset({"p", "reel", "reels", "tv", "explore", "stories", "accounts"})


def parse_post_url(url: str) -> dict[str, str | None] | None:
    """``{"post_id", "handle", "kind", "embed"}`` for an Instagram post URL, else None."""
    if not isinstance(url, str) or not url.strip():
        return None
    url = url.strip()
    if url.startswith("//"):
        url = "https:" + url
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    host = (parts.hostname or "").lower().rstrip(".")
    if parts.scheme.lower() not in ("http", "https") or host not in HOSTS or port not in (None, 80, 443):
        return None
    match = _PATH.match(parts.path)
    if match is None or (match["user"] or "").lower() in _RESERVED_USERS:
        return None
    return {
        "post_id": match["code"],
        "handle": match["user"],
        "kind": match["kind"],
        "embed": "1" if match["embed"] else None,
    }


def parse_key(text: str) -> str | None:
    """A typed shortcode or post URL → the shortcode, or None."""
    if not isinstance(text, str):
        return None
    text = text.strip()
    if "/" in text:
        parsed = parse_post_url(text)
        return parsed["post_id"] if parsed else None
    return text if _KEY.match(text) else None


def check(post_id: str) -> str:
    """*post_id* when it is a shortcode; ValueError otherwise."""
    if not isinstance(post_id, str) or not _KEY.match(post_id):
        raise ValueError(f"not an Instagram shortcode: {post_id!r}")
    return post_id


def canonical_url(post_id: str, handle: str | None = None) -> str:
    """``https://www.instagram.com/p/<code>/`` (Instagram serves reels and IGTV there too)."""
    return f"https://www.instagram.com/p/{check(post_id)}/"


def embed_url(post_id: str) -> str:
    """The public captioned embed page (what ``embed.js`` loads into its iframe)."""
    return f"https://www.instagram.com/p/{check(post_id)}/embed/captioned/"
