"""``/api/v1/articles``, ``/posts``, ``/captures``, ``/media`` and ``/handles``: reading the archive.

Article ids are canonical URLs; the detail route takes one raw or percent-encoded
(``/api/v1/articles/https%3A%2F%2Fexample.com%2Fa``), or the 16-hex ``short_id`` every article
carries (sha1 of the canonical URL). Post ids are ``x:<digits>`` (bare digits also accepted).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Annotated, Any
from urllib.parse import unquote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse

from receipts.api.auth import require_read
from receipts.api.common import ApiError, page_size, paginate_listing
from receipts.api.timeouts import DeadlineRoute
from receipts.db.archive import BODY_BUCKET, MEDIA_BUCKET, Archive
from receipts.db.evidence import media_doc
from receipts.db.reads import capture_doc, capture_page, posts_by_handle, screenshot_capture
from receipts.exports.records import (
    article_detail,
    article_summary,
    articles_citing_post,
    capture_json,
    iso,
    post_detail,
    post_summary,
)
from receipts.queries import (
    PLATFORMS,
    ArticleFilters,
    PostFilters,
    QueryError,
    article_listing,
    find_article,
    find_post,
    parse_handle,
    post_listing,
)

router = APIRouter(route_class=DeadlineRoute, prefix="/api/v1", tags=["archive"], dependencies=[Depends(require_read)])

SHA256_RE = r"^[0-9a-f]{64}$"
INLINE_PREFIXES = ("image/", "video/", "audio/")
# types a browser would execute or render as a document: never served as such
ACTIVE_TYPES = ("text/html", "application/xhtml+xml", "image/svg+xml", "text/xml", "application/xml",
                "text/javascript", "application/javascript", "application/x-javascript")
CHUNK = 256 * 1024


def archive_of(request: Request) -> Archive:
    return request.app.state.archive


def bad_query(exc: QueryError) -> ApiError:
    return ApiError(400, "bad_parameter", str(exc))


Limit = Annotated[int | None, Query(ge=1, description="Page size (default 50, capped at 200).")]
Cursor = Annotated[str | None, Query(max_length=2000, description="`next_cursor` from the previous page.")]
Text = Annotated[str | None, Query(max_length=200, description="Words to find (text index).")]
Date = Annotated[str | None, Query(max_length=40, description="ISO 8601 date or datetime (UTC if no offset).")]


def article_filters(
    platform: Annotated[str | None, Query(description="Cites a post of this platform: " + ", ".join(PLATFORMS) + ".")] = None,
    url: Annotated[str | None, Query(max_length=4096, description="Exact article URL (crawled or canonical).")] = None,
    domain: Annotated[str | None, Query(max_length=253, description="Exact host, e.g. newrepublic.com.")] = None,
    published_from: Date = None, published_to: Date = None,
    language: Annotated[str | None, Query(max_length=35, description="Language tag, e.g. en.")] = None,
    cites: Annotated[str | None, Query(description="`deleted` or `edited`: cites a post that is now so.")] = None,
    q: Text = None,
) -> ArticleFilters:
    return ArticleFilters(platform=platform, url=url, domain=domain, published_from=published_from, published_to=published_to,
                          language=language, cites=cites, q=q)


def post_filters(
    platform: Annotated[str | None, Query(description=", ".join(PLATFORMS) + ".")] = None,
    handle: Annotated[str | None, Query(max_length=506, description="Author handle, case-insensitive: atrupar, "
                                        "jay.bsky.team, user@mastodon.social.")] = None,
    created_from: Date = None, created_to: Date = None,
    status: Annotated[str | None, Query(description="live, deleted, edited, unavailable or error.")] = None,
    has_media: Annotated[str | None, Query(description="true: posts with photos/videos; false: without.")] = None,
    q: Text = None,
) -> PostFilters:
    return PostFilters(platform=platform, handle=handle, created_from=created_from, created_to=created_to,
                       status=status, has_media=has_media, q=q)


# -- articles -----------------------------------------------------------------------------------
@router.get("/articles")
def list_articles(request: Request, filters: Annotated[ArticleFilters, Depends(article_filters)],
                  cursor: Cursor = None, limit: Limit = None) -> dict[str, Any]:
    """Articles in canonical-URL order (grouped by outlet); with a published date range, newest first."""
    archive = archive_of(request)
    try:
        listing = article_listing(archive, filters)
    except QueryError as exc:
        raise bad_query(exc) from exc
    return paginate_listing(archive.articles, listing, article_summary, limit=limit, cursor=cursor)


@router.get("/articles/{article_id:path}")
def get_article(article_id: str, request: Request) -> dict[str, Any]:
    """One article with its references, each joined with its post's current state."""
    archive = archive_of(request)
    doc = find_article(archive, unquote(article_id))
    if doc is None:
        raise ApiError(404, "not_found", "no such article (use its canonical URL or short_id)")
    return article_detail(archive, doc)


# -- posts --------------------------------------------------------------------------------------
@router.get("/posts")
def list_posts(request: Request, filters: Annotated[PostFilters, Depends(post_filters)],
               cursor: Cursor = None, limit: Limit = None) -> dict[str, Any]:
    """Posts, newest ``created_at`` first (text search too)."""
    archive = archive_of(request)
    try:
        listing = post_listing(archive, filters)
    except QueryError as exc:
        raise bad_query(exc) from exc
    return paginate_listing(archive.posts, listing, post_summary, limit=limit, cursor=cursor)


@router.get("/posts/{post_id:path}")  # Bluesky and Mastodon ids hold slashes
def get_post(post_id: str, request: Request,
             captures_cursor: Annotated[str | None, Query(max_length=2000, description=(
                 "`captures_next_cursor` of the previous page of this post's captures."))] = None,
             captures_limit: Annotated[int | None, Query(ge=1, description=(
                 "Captures per page, oldest first (default 50, capped at 200)."))] = None) -> dict[str, Any]:
    """One post with its versions, a page of its capture history (oldest first) and the articles citing it."""
    archive = archive_of(request)
    doc = find_post(archive, post_id)
    if doc is None:
        raise ApiError(404, "not_found", "no such post (ids look like x:1890172385467187200 or mastodon:mastodon.social/1134…)")
    out = post_detail(doc)
    page = capture_history(archive, doc["_id"], captures_cursor, captures_limit)
    out["captures"], out["captures_next_cursor"] = page["items"], page["next_cursor"]
    out["cited_by"] = articles_citing_post(archive, doc)
    return out


CAPTURES_LISTING = "captures:capture_key+"


def capture_history(archive: Archive, target_id: str, cursor: str | None, limit: int | None) -> dict[str, Any]:
    """A page of a target's captures, oldest first: ``{"items", "next_cursor"}`` (a signed ``capture_key``)."""
    from receipts.api.cursors import decode_cursor, encode_cursor

    size = page_size(limit)
    after = None
    if cursor:
        values = decode_cursor(archive.db, CAPTURES_LISTING, cursor)
        if len(values) != 1 or not isinstance(values[0], str) or not values[0].startswith(target_id + " "):
            raise ApiError(400, "bad_cursor", "cursor does not match this post's captures")
        after = values[0]
    docs = capture_page(archive, target_id, after, size + 1)
    more = len(docs) > size
    docs = docs[:size]
    next_cursor = encode_cursor(archive.db, CAPTURES_LISTING, [docs[-1]["capture_key"]]) if more and docs else None
    return {"items": [capture_json(c) for c in docs], "next_cursor": next_cursor}


# -- captures -----------------------------------------------------------------------------------
@router.get("/captures/{capture_id}")
def get_capture(capture_id: str, request: Request) -> dict[str, Any]:
    doc = capture_doc(archive_of(request), capture_id[:100])
    if doc is None:
        raise ApiError(404, "not_found", "no such capture")
    return capture_json(doc)


def capture_bucket(doc: dict[str, Any]) -> str:
    """Where a capture's bytes live: media captures keep theirs with the media (``body_ref``)."""
    ref = doc.get("body_ref") or ""
    return MEDIA_BUCKET if ref.startswith(f"gridfs:{MEDIA_BUCKET}/") else BODY_BUCKET


@router.get("/captures/{capture_id}/body", response_class=StreamingResponse)
def get_capture_body(capture_id: str, request: Request) -> StreamingResponse:
    """The bytes a capture fetched, as a download (HTML is never rendered in this origin)."""
    archive = archive_of(request)
    doc = capture_doc(archive, capture_id[:100])
    if doc is None or not doc.get("body_sha256"):
        raise ApiError(404, "not_found", "no such capture body")
    response = blob_response(archive, doc["body_sha256"], capture_bucket(doc), doc.get("content_type"),
                             f"capture-{doc['_id']}")
    response.headers["Memento-Datetime"] = _http_date(doc.get("fetched_at"))
    if doc.get("requested_url"):
        response.headers["Link"] = f'<{doc["requested_url"]}>; rel="original"'
    return response


def _http_date(value: Any) -> str:
    from email.utils import format_datetime

    from receipts.db.dates import as_utc

    moment = as_utc(value)
    return format_datetime(moment, usegmt=True) if moment else ""


# -- media --------------------------------------------------------------------------------------
def safe_headers(content_type: str | None, filename: str) -> tuple[str, dict[str, str]]:
    """The content type to send and the headers that keep stored bytes inert in this origin."""
    ctype = (content_type or "application/octet-stream").split(";")[0].strip().lower() or "application/octet-stream"
    if ctype in ACTIVE_TYPES or "html" in ctype or "script" in ctype or "/" not in ctype:
        ctype = "application/octet-stream"
    inline = ctype.startswith(INLINE_PREFIXES)
    safe_name = "".join(ch for ch in filename if ch.isalnum() or ch in "-_.")[:100] or "download"
    headers = {
        "Content-Disposition": f'{"inline" if inline else "attachment"}; filename="{safe_name}"',
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox; default-src 'none'",
        "Cross-Origin-Resource-Policy": "same-origin",
        "Cache-Control": "public, max-age=31536000, immutable",
    }
    return ctype, headers


def blob_response(archive: Archive, sha256: str, bucket: str, content_type: str | None,
                  filename: str) -> StreamingResponse:
    grid_out = archive.open_blob(sha256, bucket)
    if grid_out is None:
        raise ApiError(404, "not_found", "bytes not stored")
    stored = content_type or (grid_out.metadata or {}).get("content_type")
    ctype, headers = safe_headers(stored, filename)
    headers["Content-Length"] = str(grid_out.length)
    headers["ETag"] = f'"{sha256}"'

    def chunks() -> Iterator[bytes]:
        try:
            while data := grid_out.read(CHUNK):
                yield data
        finally:
            grid_out.close()

    return StreamingResponse(chunks(), media_type=ctype, headers=headers)


@router.get("/media/{sha256}", response_class=StreamingResponse)
def get_media(sha256: str, request: Request) -> StreamingResponse:
    """Stored media bytes (photos, videos, screenshots) by sha256, with their stored content type."""
    if not re.fullmatch(SHA256_RE, sha256):
        raise ApiError(400, "bad_parameter", "sha256 must be 64 lowercase hex digits")
    archive = archive_of(request)
    doc = media_doc(archive, sha256) or {}
    bucket, ctype = MEDIA_BUCKET, doc.get("content_type")
    if not doc and not archive.has_blob(sha256, MEDIA_BUCKET):
        # a screenshot kept as a capture body
        shot = screenshot_capture(archive, sha256)
        if shot is None:
            raise ApiError(404, "not_found", "no stored media with this sha256")
        bucket, ctype = BODY_BUCKET, shot.get("content_type")
    ext = (ctype or "").split("/")[-1].split(";")[0]
    return blob_response(archive, sha256, bucket, ctype, f"{sha256[:16]}.{ext or 'bin'}")


# -- handles ------------------------------------------------------------------------------------
def handle_summary(archive: Archive, handle: str, recent: int = 20) -> dict[str, Any]:
    handle_lc = handle.lower()
    docs = posts_by_handle(archive, handle_lc)
    if not docs:
        raise ApiError(404, "not_found", f"no archived posts by @{handle}")
    docs.sort(key=lambda d: (iso(d.get("created_at")) or "", d["_id"]), reverse=True)
    states: dict[str, int] = {}
    for d in docs:
        state = post_summary(d)["state"]
        states[state] = states.get(state, 0) + 1
    names = sorted({(d.get("author") or {}).get("name") for d in docs} - {None})
    created = [iso(d.get("created_at")) for d in docs if d.get("created_at")]
    cited: dict[str, dict[str, Any]] = {}
    for d in docs:
        for art in articles_citing_post(archive, d):
            cited[art["id"]] = art
    author = docs[0].get("author") or {}
    return {
        "handle": author.get("handle") or handle, "author_id": author.get("id"), "names": names,
        "post_count": len(docs), "states": states,
        "first_post_at": min(created) if created else None, "last_post_at": max(created) if created else None,
        "articles": sorted(cited.values(), key=lambda a: a["first_seen_at"] or "", reverse=True),
        "recent_posts": [post_summary(d) for d in docs[:recent]],
    }


@router.get("/handles/{handle}")
def get_handle(handle: str, request: Request) -> dict[str, Any]:
    """What the archive holds for one account: counts by state, the articles citing it, recent posts."""
    try:
        handle = parse_handle(handle)
    except QueryError as exc:
        raise bad_query(exc) from exc
    return handle_summary(archive_of(request), handle)
