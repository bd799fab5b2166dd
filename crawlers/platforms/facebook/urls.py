"""Facebook URL shapes. A post is keyed by the path of its URL in one normal form (``facebook:/nasa/posts/1015…``).

Facebook ids are not global (a story id means nothing without its page; ``pfbid…`` ids are opaque), so
the key is the stable path the post is served at, normalised so that every URL form of one post gives one
key:

- ``/<page>/posts/<id>`` → ``/<page>/posts/<id>`` (the page name lower-cased: Facebook usernames are
  case-insensitive; numeric ids and ``pfbid…`` ids kept as they are);
- ``/permalink.php?story_fbid=<id>&id=<page id>`` and ``/story.php?…`` → ``/<page id>/posts/<id>``
  (Facebook serves that path for the same story);
- ``/<page>/videos/<id>`` and ``/<page>/videos/<slug>/<id>`` → ``/<page>/videos/<id>``;
- ``/photo/?fbid=<id>`` and ``/photo.php?fbid=<id>`` → ``/photo/?fbid=<id>`` (no page in the URL);
- ``/plugins/post.php?href=<encoded URL>`` and ``/plugins/video.php?href=…`` → the key of the ``href``.

Hosts: ``facebook.com`` with ``www.``, ``m.``, ``web.``, ``mbasic.`` or none; any query besides the ids
(``ref=embed_post``, ``__tn__``) is dropped.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, quote

from crawlers.platforms.weburl import split_web_url

HOSTS = frozenset(
    {"facebook.com", "www.facebook.com", "m.facebook.com", "web.facebook.com", "mbasic.facebook.com"}
)
_PAGE = r"[A-Za-z0-9.\-]{1,80}"
_STORY = r"(?:[0-9]{1,25}|pfbid0[A-Za-z0-9]{20,80})"
_POSTS = re.compile(rf"^/(?P<page>{_PAGE})/posts/(?P<id>{_STORY})/?$", re.ASCII)
_VIDEOS = re.compile(rf"^/(?P<page>{_PAGE})/videos/(?:[^/]{{1,200}}/)?(?P<id>[0-9]{{1,25}})/?$", re.ASCII)
_KEYS = (
    re.compile(rf"^/(?P<page>{_PAGE})/posts/(?P<id>{_STORY})$", re.ASCII),
    re.compile(rf"^/(?P<page>{_PAGE})/videos/(?P<id>[0-9]{{1,25}})$", re.ASCII),
    re.compile(r"^/photo/\?fbid=(?P<id>[0-9]{1,25})$", re.ASCII),
)
_RESERVED = frozenset(
    {"plugins", "permalink.php", "story.php", "photo", "photo.php", "watch", "groups", "events"}
)
_DIGITS = re.compile(r"^[0-9]{1,25}$")


def _page(name: str) -> str | None:
    return None if name.lower() in _RESERVED else (name if name.isdigit() else name.lower())


def parse_post_url(url: str) -> dict[str, str | None] | None:
    """``{"post_id", "handle", "kind", "embed"}`` for a Facebook post URL, else None."""
    split = split_web_url(url)
    if split is None or split[0] not in HOSTS:
        return None
    parts = split[1]
    query = parse_qs(parts.query)
    path = parts.path
    if path.rstrip("/") in ("/plugins/post.php", "/plugins/video.php"):
        inner = parse_post_url((query.get("href") or [""])[0])
        return {**inner, "embed": "1"} if inner and not inner["embed"] else None
    if path.rstrip("/") in ("/permalink.php", "/story.php"):
        story, page = (query.get("story_fbid") or [""])[0], (query.get("id") or [""])[0]
        if _DIGITS.match(page) and re.fullmatch(_STORY, story):
            return {"post_id": f"/{page}/posts/{story}", "handle": None, "kind": "post", "embed": None}
        return None
    if path.rstrip("/") in ("/photo", "/photo.php"):
        fbid = (query.get("fbid") or [""])[0]
        return (
            {"post_id": f"/photo/?fbid={fbid}", "handle": None, "kind": "photo", "embed": None}
            if _DIGITS.match(fbid)
            else None
        )
    for pattern, kind in ((_POSTS, "posts"), (_VIDEOS, "videos")):
        match = pattern.match(path)
        if match and (page := _page(match["page"])):
            handle = None if page.isdigit() else page
            return {
                "post_id": f"/{page}/{kind}/{match['id']}",
                "handle": handle,
                "kind": kind[:-1],
                "embed": None,
            }
    return None


def check(post_id: str) -> str:
    """*post_id* when it is a key in normal form; ValueError otherwise."""
    if isinstance(post_id, str) and any(p.match(post_id) for p in _KEYS):
        page = post_id.split("/")[1]
        if post_id.startswith("/photo/") or page == _page(page):
            return post_id
    raise ValueError(f"not a Facebook post key: {post_id!r}")


def parse_key(text: str) -> str | None:
    """A typed key (``/page/posts/id`` …) or post URL → the key in normal form, or None."""
    if not isinstance(text, str):
        return None
    text = text.strip()
    if "://" in text or text.startswith("//"):
        parsed = parse_post_url(text)
        return parsed["post_id"] if parsed else None
    parsed = parse_post_url("https://www.facebook.com" + text) if text.startswith("/") else None
    return parsed["post_id"] if parsed else None


def canonical_url(post_id: str, handle: str | None = None) -> str:
    return "https://www.facebook.com" + check(post_id)


def is_video(post_id: str) -> bool:
    return "/videos/" in check(post_id)


def embed_url(post_id: str) -> str:
    """The Embedded Posts plugin page (it renders video posts too)."""
    return f"https://www.facebook.com/plugins/post.php?href={quote(canonical_url(post_id), safe='')}"
