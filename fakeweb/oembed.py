"""``publish.twitter.com/oembed`` / ``publish.x.com/oembed`` and the embed markup it returns (FORMATS §1.1, §3)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from html import escape
from urllib.parse import urlsplit

from fakeweb.catalog import Body, display_date
from fakeweb.respond import JSON_TYPE, Response, html_response, too_many_requests, unavailable
from fakeweb.store import FLAKY_FAILURES, Store

STATUS_URL = re.compile(
    r"^https?://(?:(?:www|mobile|m)\.)?(?P<host>twitter|x)\.com/(?:#!/)?"
    r"(?:(?P<user>\w{1,50})/status(?:es)?|i/web/status|i/status)/(?P<id>\d{1,25})(?:[/?#]|$)"
)
REF = "?ref_src=twsrc%5Etfw"


def html_text(text: str) -> str:
    """Escape like X's embeds: ``&#39;``, ``&quot;``, ``&amp;``; newlines become ``<br>``."""
    return escape(text, quote=True).replace("&#x27;", "&#39;").replace("\n", "<br>")


def paragraph_html(body: Body, host: str = "twitter.com") -> str:
    """The inner HTML of the embed's ``<p>``: text with mention/hashtag/url links and the pic link at the end."""
    text = body["text"]
    entities = body.get("entities", {})
    media = entities.get("media") or []
    end = media[0]["indices"][0] if media else len(text)
    spans: list[tuple[int, int, str]] = []
    for mention in entities.get("user_mentions", []):
        s, e = mention["indices"]
        name = mention["screen_name"]
        spans.append((s, e, f'<a href="https://{host}/{name}{REF}">@{html_text(name)}</a>'))
    for tag in entities.get("hashtags", []):
        s, e = tag["indices"]
        spans.append((s, e, f'<a href="https://{host}/hashtag/{tag["text"]}?src=hash&amp;ref_src=twsrc%5Etfw">'
                            f'#{html_text(tag["text"])}</a>'))
    for url in entities.get("urls", []):
        s, e = url["indices"]
        spans.append((s, e, f'<a href="{url["url"]}">{url["url"]}</a>'))
    out, pos = [], 0
    for s, e, markup in sorted(spans):
        if s < pos or e > end:
            continue
        out.append(html_text(text[pos:s]))
        out.append(markup)
        pos = e
    out.append(html_text(text[pos:end].rstrip(" ")))
    if media:
        code = media[0]["url"].rsplit("/", 1)[1]
        out.append(f' <a href="{media[0]["url"]}">pic.twitter.com/{code}</a>')
    return "".join(out)


def embed_blockquote(body: Body, host: str = "twitter.com", attrs: str = "") -> str:
    """``<blockquote class="twitter-tweet">…</blockquote>`` as publish.twitter.com generates it."""
    user = body["user"]
    handle = user["screen_name"]
    return (
        f'<blockquote class="twitter-tweet"{attrs}><p lang="{body.get("lang", "en")}" dir="ltr">'
        f"{paragraph_html(body, host)}</p>&mdash; {html_text(user['name'])} (@{handle}) "
        f'<a href="https://{host}/{handle}/status/{body["id_str"]}{REF}">{display_date(body)}</a></blockquote>'
    )


def _twitter_json(value: dict) -> bytes:
    """Classic Twitter encoder: ``\\u003C``/``\\u003E``, ``\\/``; BMP text literal, astral characters as
    upper-case surrogate pairs (``\\uD83E\\uDDF5``), as in the real 2024 body."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    text = text.replace("<", "\\u003C").replace(">", "\\u003E").replace("/", "\\/")

    def pair(match: re.Match[str]) -> str:
        code = ord(match[0]) - 0x10000
        return f"\\u{0xD800 + (code >> 10):04X}\\u{0xDC00 + (code & 0x3FF):04X}"

    return re.sub("[\U00010000-\U0010FFFF]", pair, text).encode()


def oembed(store: Store, query: Mapping[str, str], request_path: str) -> Response:
    url = query.get("url", "")
    if not url:
        return Response(400, b'{"errors":[{"code":357,"message":"url: queryParam is required"}]}', JSON_TYPE)
    match = STATUS_URL.match(url)
    found = store.lookup(match["id"]) if match else None
    if match is None or found is None:
        return html_response("", 404)
    state, body = found
    if state == "flaky503":
        state = "error503" if store.hit("oembed", match["id"]) <= FLAKY_FAILURES else "live"
    if state in ("deleted", "notfound", "suspended", "login_required"):
        return html_response("", 404)
    if state == "protected":
        payload = {"error": "Sorry, you are not authorized to see this status.", "request": request_path}
        return Response(403, _twitter_json(payload), JSON_TYPE)
    if state == "error429":
        return too_many_requests()
    if state in ("error503", "browser_only"):
        return unavailable()

    x_era = match["host"] == "x"
    host = "x.com" if x_era else "twitter.com"
    handle = body["user"]["screen_name"]
    try:
        width = min(550, max(220, int(query.get("maxwidth", "550"))))
    except ValueError:
        width = 550
    attrs = ""
    truthy = ("1", "true", "on")
    if query.get("maxwidth") or query.get("dnt", "").lower() in truthy:
        attrs += f' data-width="{width}"'
    for param, attr, value in (("hide_media", "data-cards", "hidden"), ("hide_thread", "data-conversation", "none")):
        if query.get(param, "").lower() in truthy:
            attrs += f' {attr}="{value}"'
    if query.get("theme") == "dark":
        attrs += ' data-theme="dark"'
    if query.get("align") in ("left", "right", "center"):
        attrs += f' data-align="{query["align"]}"'
    if query.get("lang"):
        attrs += f' data-lang="{escape(query["lang"])}"'
    if query.get("dnt", "").lower() in truthy:
        attrs += ' data-dnt="true"'
    html = embed_blockquote(body, host, attrs)
    if query.get("omit_script", "").lower() not in truthy:
        script_host = "platform.x.com" if x_era else "platform.twitter.com"
        html += f'\n<script async src="https://{script_host}/widgets.js" charset="utf-8"></script>\n\n'
    payload = {
        "url": f"https://{host}/{handle}/status/{body['id_str']}",
        "author_name": body["user"]["name"],
        "author_url": f"https://{host}/{handle}",
        "html": html,
        "width": width,
        "height": None,
        "type": "rich",
        "cache_age": "3153600000",
        "provider_name": "X" if x_era else "Twitter",
        "provider_url": f"https://{host}",
        "version": "1.0",
    }
    raw = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode() if x_era else _twitter_json(payload)
    return Response(200, raw, JSON_TYPE, [("Cache-Control", "must-revalidate, max-age=3153600000")])


def parse_status_url(url: str) -> tuple[str | None, str] | None:
    """(handle or None, id) for an X status URL."""
    match = STATUS_URL.match(url)
    if not match:
        return None
    return match["user"], match["id"]


def is_x_host(url: str) -> bool:
    return (urlsplit(url).hostname or "").endswith("x.com")
