"""Memento (RFC 7089) TimeMaps: ``GET /timemap/link/{url}`` lists every capture of an archived URL.

The URL may be an article (crawled or canonical URL), a post (any URL form its platform knows: an
x.com status, a bsky.app post, a Mastodon status …) or any URL Receipts fetched. Each memento is
``/api/v1/captures/{id}/body`` (the stored bytes, served inert).
"""

from __future__ import annotations

from email.utils import format_datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from receipts.api.auth import require_read
from receipts.api.common import ApiError
from receipts.api.params import any_query
from receipts.api.timeouts import DeadlineRoute
from receipts.db.archive import Archive
from receipts.db.dates import as_utc
from receipts.db.reads import article_capture_ids, memento_captures
from receipts.queries import MAX_URL

router = APIRouter(route_class=DeadlineRoute, tags=["memento"], dependencies=[Depends(require_read)])

LINK_FORMAT = "application/link-format"


def captures_for_url(archive: Archive, url: str) -> list[dict[str, Any]]:
    """Every capture of *url*, oldest first: the article's or post's captures, else by requested URL."""
    from crawlers.platforms.registry import post_ref

    ids = set(article_capture_ids(archive, url))
    query: list[dict[str, Any]] = [{"requested_url": url}]
    ref = post_ref(url)
    if ref is not None:
        query.append({"target_id": f"{ref.platform}:{ref.post_id}"})
    if ids:
        query.append({"_id": {"$in": sorted(ids)}})
    docs = {}
    for clause in query:
        for doc in memento_captures(archive, clause):
            docs[doc["_id"]] = doc
    return sorted((d for d in docs.values() if d.get("body_sha256")),
                  key=lambda d: (as_utc(d.get("fetched_at")) or as_utc("1970-01-01 00:00:00"), d["_id"]))


def _link_url(url: str) -> str:
    return url.replace(">", "%3E").replace("<", "%3C").replace(" ", "%20")


def timemap(base: str, url: str, captures: list[dict[str, Any]]) -> str:
    dates = [as_utc(c.get("fetched_at")) for c in captures]
    known = [d for d in dates if d is not None]
    self_attrs = ""
    if known:
        self_attrs = (f'; from="{format_datetime(min(known), usegmt=True)}"'
                      f'; until="{format_datetime(max(known), usegmt=True)}"')
    lines = [f'<{_link_url(url)}>; rel="original"',
             f'<{base}/timemap/link/{_link_url(url)}>; rel="self"; type="{LINK_FORMAT}"{self_attrs}']
    for i, (cap, moment) in enumerate(zip(captures, dates, strict=True)):
        rel = "memento"
        if i == 0:
            rel = "first memento" if len(captures) > 1 else "first last memento"
        elif i == len(captures) - 1:
            rel = "last memento"
        stamp = f'; datetime="{format_datetime(moment, usegmt=True)}"' if moment else ""
        lines.append(f'<{base}/api/v1/captures/{cap["_id"]}/body>; rel="{rel}"{stamp}')
    return ",\n".join(lines) + "\n"


@router.get("/timemap/link/{url:path}", response_class=Response,
            responses={200: {"content": {LINK_FORMAT: {}}, "description": "An RFC 7089 TimeMap."}})
@any_query  # /timemap/link/https://a.example/x?id=1: the query string belongs to the URL
def get_timemap(url: str, request: Request) -> Response:
    """The TimeMap of *url* (give it unencoded or percent-encoded); 404 when nothing was captured."""
    from urllib.parse import unquote

    if "://" not in url:
        url = unquote(url)
    if request.url.query:  # /timemap/link/https://a.example/x?id=1 keeps its query string
        url = f"{url}?{request.url.query}"
    if url.startswith(("http:/", "https:/")) and not url.startswith(("http://", "https://")):
        url = url.replace(":/", "://", 1)  # proxies may collapse the double slash
    if len(url) > MAX_URL or not url.startswith(("http://", "https://")):
        raise ApiError(400, "bad_parameter", "url must be an absolute http(s) URL")
    archive: Archive = request.app.state.archive
    captures = captures_for_url(archive, url)
    if not captures:
        raise ApiError(404, "not_found", "no mementos of this URL")
    base = str(request.base_url).rstrip("/")
    return Response(timemap(base, url, captures), media_type=LINK_FORMAT)
