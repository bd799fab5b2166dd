"""Instagram URL shapes: a post is its shortcode (``instagram:Bw-eOMwAiNU``), whatever path named it.

Claimed: ``instagram.com`` (``www.``, ``m.``) and ``instagr.am`` with ``/p/<code>``, ``/reel/<code>``,
``/reels/<code>``, ``/tv/<code>``, ``/<user>/p/<code>`` (and ``/<user>/reel/<code>``), optional ``/embed``,
``/embed/captioned``, trailing slash and any query (``utm_source=ig_embed``, ``igsh`` …). One shortcode
is one post whichever of ``p``/``reel``/``tv`` named it, so the key is the code alone.
"""

from __future__ import annotations

import re

from crawlers.platforms.weburl import key_or_url, split_web_url

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
    split = split_web_url(url)
    if split is None or split[0] not in HOSTS:
        return None
    parts = split[1]
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
    return key_or_url(text, parse_post_url, _KEY)


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
