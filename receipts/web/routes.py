"""The researcher's web UI: server-rendered pages over the same queries as the API.

``/`` search, ``/articles/{id}`` (each reference beside the archived post), ``/posts/{id}``
(captures, versions with diffs, citing articles), ``/handles/{handle}``. No scripts; every page
sends a strict Content-Security-Policy, and archived text is only ever rendered escaped.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from receipts.api.common import ApiError, paginate_listing
from receipts.api.routes_archive import archive_of, capture_history, handle_summary
from receipts.api.timeouts import DeadlineRoute
from receipts.db.dates import utc_label
from receipts.db.desk import deletion_seen
from receipts.db.reads import posts_by_ids
from receipts.exports.records import (
    article_detail,
    article_summary,
    articles_citing_post,
    post_detail,
)
from receipts.exports.records import post_summary as post_item
from receipts.queries import (
    DOMAIN_RE,
    HANDLE_RE,
    ArticleFilters,
    PostFilters,
    QueryError,
    article_listing,
    find_article,
    find_post,
    post_listing,
)
from receipts.settings import get_settings
from receipts.web.labels import explain, label
from receipts.web.login import require_read_ui

HERE = Path(__file__).resolve().parent
CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; media-src 'self'; frame-src 'none'; "
       "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
SECURITY_HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff",
                    "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY"}
PAGE = 25

router = APIRouter(route_class=DeadlineRoute, include_in_schema=False, dependencies=[Depends(require_read_ui)])


def _when(value: Any) -> str:
    return utc_label(value)


env = Environment(loader=FileSystemLoader(str(HERE / "templates")), autoescape=True, undefined=StrictUndefined,
                  trim_blocks=True, lstrip_blocks=True)
env.filters["when"] = _when
env.globals["qs"] = lambda **kw: urlencode({k: v for k, v in kw.items() if v})
env.globals["login_required"] = lambda: get_settings().api_read_token_required
env.globals["label"] = label
env.globals["explain"] = explain


def page(template: str, status: int = 200, **context: Any) -> HTMLResponse:
    html = env.get_template(template).render(**context)
    return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)


def not_found(message: str) -> HTMLResponse:
    return page("error.html", 404, title="Not found", message=message)


def word_diff(old: str, new: str) -> list[tuple[str, str]]:
    """``(op, text)`` segments turning *old* into *new*; op is ``same``, ``del`` or ``ins``."""
    a, b = re.split(r"(\s+)", old or ""), re.split(r"(\s+)", new or "")
    out: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            out.append(("same", "".join(a[i1:i2])))
        if tag in ("delete", "replace"):
            out.append(("del", "".join(a[i1:i2])))
        if tag in ("insert", "replace"):
            out.append(("ins", "".join(b[j1:j2])))
    return [seg for seg in out if seg[1]]


@router.get("/", response_class=HTMLResponse)
def search(request: Request, q: str = "", acursor: str | None = None, pcursor: str | None = None,
           platform: str | None = None) -> HTMLResponse:
    """One box: a URL, a domain, an @handle, or words (articles and posts); ``?platform=`` narrows both."""
    archive = archive_of(request)
    q = q.strip()[:200]
    afilters, pfilters = ArticleFilters(platform=platform), PostFilters(platform=platform)
    mode = "latest"
    if q.startswith(("http://", "https://")):
        afilters.url, mode = q, "url"
    elif q.startswith("@") and HANDLE_RE.fullmatch(q[1:]):
        pfilters.handle, mode = q[1:], "handle"
    elif "." in q and " " not in q and DOMAIN_RE.fullmatch(q.lower()):
        afilters.domain, mode = q.lower(), "domain"
    elif q:
        afilters.q = pfilters.q = q
        mode = "text"
    error = None
    articles: dict[str, Any] = {"items": [], "next_cursor": None}
    posts: dict[str, Any] = {"items": [], "next_cursor": None}
    try:
        if mode != "handle":
            articles = paginate_listing(archive.articles, article_listing(archive, afilters), article_summary,
                                        limit=PAGE, cursor=acursor)
        if mode in ("handle", "text", "latest"):
            posts = paginate_listing(archive.posts, post_listing(archive, pfilters), post_item,
                                     limit=PAGE, cursor=pcursor)
    except QueryError as exc:
        error = str(exc)
    except ApiError as exc:
        error = exc.message
    return page("search.html", 400 if error else 200, title="Search", q=q, mode=mode, error=error,
                articles=articles, posts=posts, acursor=acursor, pcursor=pcursor)


def _sheet(key: str, request: Request) -> tuple[str, str] | HTMLResponse:
    """(sheet HTML, short id) of the article *key*, or the not-found page."""
    from receipts.exports.sheet import render_html, sheet_data

    try:
        data = sheet_data(archive_of(request), unquote(key))
    except LookupError:
        return not_found("No archived article with this id.")
    return render_html(data), data["short_id"]


@router.get("/articles/{key:path}/sheet.html", response_class=HTMLResponse)
def article_sheet_html(key: str, request: Request) -> Response:
    """The evidence sheet as one self-contained page (inline stylesheet allowed by its hash, images inline)."""
    from receipts.exports.sheet import style_hash

    got = _sheet(key, request)
    if isinstance(got, HTMLResponse):
        return got
    html, sid = got
    csp = (f"default-src 'none'; style-src {style_hash()}; img-src data:; form-action 'none'; base-uri 'none'; "
           "frame-ancestors 'none'")
    headers = {**SECURITY_HEADERS, "Content-Security-Policy": csp,
               "Content-Disposition": f'inline; filename="receipt-{sid}.html"'}
    return HTMLResponse(html, headers=headers)


@router.get("/articles/{key:path}/sheet.pdf", response_class=Response)
def article_sheet_pdf(key: str, request: Request) -> Response:
    """The evidence sheet printed to PDF by Chromium (503 when no Chromium is installed)."""
    from receipts.exports.pdf import PdfUnavailable, html_to_pdf

    got = _sheet(key, request)
    if isinstance(got, HTMLResponse):
        return got
    html, sid = got
    try:
        pdf = html_to_pdf(html)
    except PdfUnavailable as exc:
        return page("error.html", 503, title="PDF unavailable",
                    message=f"{exc}. The HTML sheet prints from any browser.")
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="receipt-{sid}.pdf"',
                             "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"})


@router.get("/articles/{key:path}", response_class=HTMLResponse)
def article_page(key: str, request: Request) -> HTMLResponse:
    archive = archive_of(request)
    doc = find_article(archive, unquote(key))
    if doc is None:
        return not_found("No archived article with this id.")
    article = article_detail(archive, doc)
    annotate_references(archive, article["references"])
    return page("article.html", title=article["title"] or article["id"], article=article,
                sheet=has_sheet(request))


def has_sheet(request: Request) -> bool:
    """The app serves the evidence sheet ``/articles/<id>/sheet.pdf`` (a separate module adds the route)."""
    return any(str(getattr(r, "path", "")).startswith("/articles/") and str(getattr(r, "path", "")).endswith(
        "/sheet.pdf") for r in request.app.routes)


def annotate_references(archive: Any, refs: list[dict[str, Any]]) -> None:
    """Add ``diff`` (word diff of an edited post or an altered quote) and ``deletion_seen`` to each reference."""
    edited = [r["post"]["id"] for r in refs if r.get("post") and r["post"].get("version_count", 0) > 1]
    versions = {d["_id"]: d.get("versions") or [] for d in posts_by_ids(archive, edited)} if edited else {}
    deleted = deletion_seen(archive, [r["post"]["id"] for r in refs if r.get("post") and r["state"] == "deleted"])
    for ref in refs:
        post = ref.get("post")
        ref["diff"], ref["diff_caption"], ref["deletion_seen"] = [], "", None
        if not post:
            continue
        verdict = (ref.get("quote_check") or {}).get("verdict")
        texts = [v.get("text") or "" for v in versions.get(post["id"], [])]
        if verdict in ("altered", "misattributed") and ref.get("displayed_text") and post.get("text"):
            ref["diff"] = word_diff(ref["displayed_text"], post["text"])
            ref["diff_caption"] = "What the article showed → what the post says:"
        elif len(texts) > 1:
            ref["diff"] = word_diff(texts[0], texts[-1])
            ref["diff_caption"] = f"Edited: first archived text → latest ({len(texts)} versions):"
        if ref["state"] == "deleted":
            ref["deletion_seen"] = deleted.get(post["id"]) or post.get("last_checked_at")


@router.get("/posts/{key:path}", response_class=HTMLResponse)
def post_page(key: str, request: Request, ccursor: str | None = None) -> HTMLResponse:
    """One post: versions with diffs, a page of its captures (``?ccursor=`` for the next), citing articles."""
    archive = archive_of(request)
    doc = find_post(archive, key)
    if doc is None:
        return not_found("No archived post with this id.")
    try:
        history = capture_history(archive, doc["_id"], ccursor, PAGE * 2)
    except ApiError as exc:
        return page("error.html", 400, title="Bad cursor", message=exc.message)
    post = post_detail(doc)
    versions = post["versions"]
    diffs = [word_diff(versions[i - 1].get("text") or "", versions[i].get("text") or "") if i else []
             for i in range(len(versions))]
    author = post["author"]["handle"] or post["id"]
    return page("post.html", title=f"@{author}: post {post['post_id']}", post=post,
                versions=list(zip(versions, diffs, strict=True)), captures=history["items"],
                captures_next=history["next_cursor"],
                cited_by=articles_citing_post(archive, doc))


@router.get("/handles/{handle}", response_class=HTMLResponse)
def handle_page(handle: str, request: Request) -> HTMLResponse:
    handle = handle.removeprefix("@")
    if not HANDLE_RE.fullmatch(handle):
        return not_found("Not a handle.")
    try:
        summary = handle_summary(archive_of(request), handle, recent=100)
    except ApiError:
        return not_found(f"No archived posts by @{handle}.")
    return page("handle.html", title=f"@{summary['handle']}", summary=summary)
