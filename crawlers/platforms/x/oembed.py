"""publish.twitter.com / publish.x.com oEmbed: URL, parser and response classes (FORMATS.md §3).

oEmbed is the fallback route after syndication: its HTML carries the text, author and a
day-precision date. The exact time comes from the snowflake ID when there is one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit

import lxml.html
from lxml import etree

from crawlers.platforms.base import FetchOutcome
from crawlers.platforms.payload import PostFormatError, bson_safe
from crawlers.platforms.x.snowflake import snowflake_time
from crawlers.platforms.x.urls import canonical_post_url, parse_status_url
from receipts.models import Author, Post, post_key

__all__ = ["DAY_PRECISION_REASON", "classify_oembed", "oembed_url", "parse_oembed", "snowflake_time"]

OEMBED_ENDPOINT = "https://publish.twitter.com/oembed"
DAY_PRECISION_REASON = "created_at has day precision (oEmbed date, no snowflake time)"
_HANDLE_RE = re.compile(r"[A-Za-z0-9_]{1,50}")


def oembed_url(post_url: str) -> str:
    """``https://publish.twitter.com/oembed?url=…&omit_script=1&dnt=true``."""
    return f"{OEMBED_ENDPOINT}?url={quote(post_url, safe='')}&omit_script=1&dnt=true"


def _paragraph_text(p: Any) -> str:
    """Text of the ``<p>``: ``<br>`` → newline, links as their shown text, entities decoded."""
    for br in p.iter("br"):
        br.tail = "\n" + (br.tail or "")
    return "".join(p.itertext())


def _parse_date(text: str) -> datetime | None:
    for fmt in ("%B %d, %Y", "%b %d, %Y"):
        try:
            return datetime.strptime(text.strip(), fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    return None


def _handle_from_url(url: str | None) -> str | None:
    if not url:
        return None
    path = urlsplit(url).path.strip("/")
    return path if _HANDLE_RE.fullmatch(path) else None


def parse_oembed(body: bytes | str | Mapping[str, Any], post_id: str) -> Post:
    """An oEmbed JSON body → :class:`Post` (route ``oembed``); :class:`PostFormatError` if unusable.

    ``created_at``: the snowflake time when *post_id* is a snowflake; otherwise the date printed in the
    embed at 00:00 UTC, with ``status_reason`` = :data:`DAY_PRECISION_REASON`. The printed date and
    the HTML stay available in ``raw`` (the oEmbed JSON). Media are not listed: the HTML only has
    ``pic.twitter.com`` links.
    """
    if isinstance(body, Mapping):
        data: Any = dict(body)
    else:
        try:
            data = json.loads(body.decode("utf-8") if isinstance(body, bytes) else body)
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise PostFormatError("oEmbed body is not JSON") from None
    if not isinstance(data, dict) or not isinstance(data.get("html"), str) or not data["html"].strip():
        raise PostFormatError("oEmbed body without html")
    try:
        root = lxml.html.fragment_fromstring(data["html"], create_parent="div")
    except (etree.LxmlError, ValueError) as exc:
        raise PostFormatError(f"oEmbed html does not parse: {exc}") from None
    quote_el = next(iter(root.iter("blockquote")), None)
    if quote_el is None:
        raise PostFormatError("oEmbed html without blockquote")
    paragraph = next(iter(quote_el.iter("p")), None)
    in_paragraph = set(paragraph.iter("a")) if paragraph is not None else set()
    links = [a for a in quote_el.iter("a") if a not in in_paragraph]
    date_link = links[-1] if links else None

    ids = {
        parsed["id"]
        for url in (date_link.get("href") if date_link is not None else None, data.get("url"))
        if isinstance(url, str) and (parsed := parse_status_url(url)) and parsed["id"]
    }
    if ids and post_id not in ids:
        raise PostFormatError(f"oEmbed is for {sorted(ids)}, not {post_id}")

    author_url = data.get("author_url") if isinstance(data.get("author_url"), str) else None
    handle = _handle_from_url(author_url)
    name = data.get("author_name") if isinstance(data.get("author_name"), str) else None
    text = _paragraph_text(paragraph) if paragraph is not None else None
    lang = paragraph.get("lang") if paragraph is not None else None

    created_at = snowflake_time(post_id)
    reason = None
    if created_at is None and date_link is not None:
        created_at = _parse_date(date_link.text_content())
        reason = DAY_PRECISION_REASON if created_at else None

    return Post(
        id=post_key("x", post_id),
        post_id=post_id,
        url=canonical_post_url(post_id, handle),
        author=Author(handle=handle, name=name or None),
        text=text,
        lang=lang or None,
        created_at=created_at,
        status="live",
        status_reason=reason,
        route="oembed",
        raw=bson_safe(data),
    )


def classify_oembed(
    status: int, headers: Mapping[str, str], body: bytes, *, post_id: str | None = None
) -> FetchOutcome:
    """What one oEmbed response says. Used only after syndication failed, so 404 counts.

    200 JSON → ``post``; 404 → ``gone``/deleted; 403 → ``gone``/unavailable (protected); anything
    else (429, 5xx, unparseable body, an embed of another post) → ``error``. Without *post_id* the ID
    is taken from the body's ``url``.
    """
    if status == 404:
        return FetchOutcome(kind="gone", status="deleted", reason="not found (oEmbed HTTP 404)")
    if status == 403:
        return FetchOutcome(kind="gone", status="unavailable", reason="protected (oEmbed HTTP 403)")
    if status != 200:
        return FetchOutcome(kind="error", error=f"oEmbed HTTP {status}")
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return FetchOutcome(kind="error", error="oEmbed body is not JSON")
    if post_id is None:
        parsed = parse_status_url(data["url"]) if isinstance(data, dict) and isinstance(data.get("url"), str) else None
        if not parsed or not parsed["id"]:
            return FetchOutcome(kind="error", error="oEmbed body without a status url")
        post_id = parsed["id"]
    try:
        post = parse_oembed(data if isinstance(data, dict) else body, post_id)
    except PostFormatError as exc:
        return FetchOutcome(kind="error", error=f"unusable oEmbed body: {exc}")
    return FetchOutcome(kind="post", post=post)
