"""The X platform client: which routes to fetch for a post and what each response means."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from urllib.parse import parse_qs, urljoin, urlsplit

from crawlers.platforms.base import FetchOutcome, FetchPlan
from crawlers.platforms.x.oembed import classify_oembed, oembed_url
from crawlers.platforms.x.syndication import classify_response, syndication_url
from crawlers.platforms.x.urls import canonical_post_url

# yt-dlp sends this UA to the syndication endpoint (FORMATS.md §2).
SYNDICATION_HEADERS = {"User-Agent": "Googlebot"}
# A non-browser UA makes t.co answer with a 301 instead of an HTML/JS redirect (FORMATS.md §4).
TCO_HEADERS = {"User-Agent": "curl/8.5.0"}

_LOCATION_REPLACE = re.compile(r"""location\.replace\(\s*(["'])(?P<url>(?:\\.|(?!\1).)*)\1\s*\)""", re.S)
_META_REFRESH = re.compile(
    r"""<meta[^>]+http-equiv\s*=\s*["']?refresh["']?[^>]*content\s*=\s*["'][^"']*?url\s*=\s*(?P<url>[^"'>]+)""",
    re.I | re.S,
)
_UNSAFE_PREFIX = re.compile(r"^https?://(?:www\.)?(?:twitter|x)\.com/safety/unsafe_link_warning\?", re.I)


class XClient:
    """:class:`~crawlers.platforms.base.PlatformClient` for X: syndication first, oEmbed as fallback."""

    name = "x"

    def routes(self, post_id: str, handle: str | None = None) -> list[FetchPlan]:
        return [
            FetchPlan("syndication", syndication_url(post_id), dict(SYNDICATION_HEADERS)),
            FetchPlan("oembed", oembed_url(canonical_post_url(post_id, handle))),
        ]

    def interpret(
        self, plan: FetchPlan, post_id: str, status: int, headers: dict[str, str], body: bytes
    ) -> FetchOutcome:
        if plan.route == "syndication":
            outcome = classify_response(status, headers, body)
            if outcome.post is not None and outcome.post.post_id != post_id:
                return FetchOutcome(
                    kind="error", error=f"syndication returned post {outcome.post.post_id}, asked for {post_id}"
                )
            return outcome
        if plan.route == "oembed":
            return classify_oembed(status, headers, body, post_id=post_id)
        return FetchOutcome(kind="error", error=f"route {plan.route!r} is not handled by the X client")


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def _strip_interstitial(url: str) -> str:
    """``https://twitter.com/safety/unsafe_link_warning?unsafe_link=TARGET`` → TARGET."""
    if _UNSAFE_PREFIX.match(url):
        target = parse_qs(urlsplit(url).query).get("unsafe_link")
        if target and target[0]:
            return target[0]
    return url


def _js_unescape(value: str) -> str:
    """Undo JavaScript string escapes (``\\/``, ``\\uXXXX``, ``\\xXX``) in a script literal."""

    def repl(m: re.Match[str]) -> str:
        code = m.group(1) or m.group(2)
        return chr(int(code, 16)) if code else m.group(3)

    return re.sub(r"\\(?:u([0-9a-fA-F]{4})|x([0-9a-fA-F]{2})|(.))", repl, value, flags=re.S)


def tco_plan(url: str) -> FetchPlan:
    """Fetch plan for a t.co link: a non-browser UA so t.co answers with a plain 301."""
    return FetchPlan("tco", url, dict(TCO_HEADERS))


def tco_outcome(status: int, headers: Mapping[str, str], body: bytes) -> str | None:
    """The target of a t.co short link from one response, or None when it does not say.

    301/302/303/307/308 → ``Location``; 200 → the ``location.replace("…")`` script target (``\\/``
    escapes undone) or the ``<meta http-equiv="refresh">`` URL. X's unsafe-link interstitial is
    unwrapped to the real target.
    """
    target: str | None = None
    if status in (301, 302, 303, 307, 308):
        location = _header(headers, "location")
        if location and location.strip():
            target = urljoin("https://t.co/", location.strip())
    elif status == 200 and body:
        text = body[:65536].decode("utf-8", "replace")
        script = _LOCATION_REPLACE.search(text)
        if script:
            target = _js_unescape(script.group("url"))
        else:
            meta = _META_REFRESH.search(text)
            if meta:
                target = html.unescape(meta.group("url").strip())
    if not target or not target.lower().startswith(("http://", "https://")):
        return None
    return _strip_interstitial(target)
