"""``/api/v1/exports/{jsonl,csv,prov,wacz}``: the archive as downloadable files, with the article filters.

JSONL and CSV have one row per reference (``article_*``, ``ref_*``, ``post_*`` columns); PROV is PROV-O
JSON-LD; WACZ packs one article's evidence (pass ``url``, or filters that match exactly one article).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse

from receipts.api.auth import require_read
from receipts.api.common import ApiError
from receipts.api.routes_archive import article_filters, bad_query
from receipts.api.timeouts import DeadlineRoute
from receipts.db.reads import matching_article_ids
from receipts.exports import EXTENSIONS, MEDIA_TYPES
from receipts.exports.csv import iter_csv
from receipts.exports.jsonl import iter_jsonl
from receipts.exports.prov import iter_prov
from receipts.queries import ArticleFilters, QueryError, article_query

router = APIRouter(route_class=DeadlineRoute, prefix="/api/v1/exports", tags=["exports"], dependencies=[Depends(require_read)])

WRITERS = {"jsonl": iter_jsonl, "csv": iter_csv, "prov": iter_prov}


def _download(chunks: Iterator[bytes] | Iterator[str], fmt: str, name: str = "receipts-export") -> StreamingResponse:
    headers = {"Content-Disposition": f'attachment; filename="{name}.{EXTENSIONS[fmt]}"',
               "X-Content-Type-Options": "nosniff"}
    return StreamingResponse(chunks, media_type=MEDIA_TYPES[fmt], headers=headers)


def _query(request: Request, filters: ArticleFilters) -> dict[str, Any]:
    try:
        return article_query(request.app.state.archive, filters)
    except QueryError as exc:
        raise bad_query(exc) from exc


def _encoded(chunks: Iterator[str]) -> Iterator[bytes]:
    for chunk in chunks:
        yield chunk.encode("utf-8")


@router.get("/jsonl", response_class=StreamingResponse)
def export_jsonl(request: Request, filters: Annotated[ArticleFilters, Depends(article_filters)]) -> StreamingResponse:
    """JSON Lines, one object per reference (``pandas.read_json(url, lines=True)``)."""
    return _download(_encoded(iter_jsonl(request.app.state.archive, _query(request, filters))), "jsonl")


@router.get("/csv", response_class=StreamingResponse)
def export_csv(request: Request, filters: Annotated[ArticleFilters, Depends(article_filters)]) -> StreamingResponse:
    """CSV, one row per reference (``pandas.read_csv(url)``)."""
    return _download(_encoded(iter_csv(request.app.state.archive, _query(request, filters))), "csv")


@router.get("/prov", response_class=StreamingResponse)
def export_prov(request: Request, filters: Annotated[ArticleFilters, Depends(article_filters)]) -> StreamingResponse:
    """PROV-O JSON-LD: articles ``prov:wasQuotedFrom`` posts, captures as ``prov:Activity``."""
    return _download(_encoded(iter_prov(request.app.state.archive, _query(request, filters))), "prov")


@router.get("/wacz", response_class=StreamingResponse)
def export_wacz(request: Request, filters: Annotated[ArticleFilters, Depends(article_filters)]) -> StreamingResponse:
    """One article's captures as a WACZ for ReplayWeb.page; the filters must select exactly one article."""
    from receipts.evidence.wacz import export_wacz as write_wacz

    archive = request.app.state.archive
    query = _query(request, filters)
    if not query:
        raise ApiError(400, "bad_parameter", "a WACZ holds one article: pass url= (or filters matching one article)")
    ids = matching_article_ids(archive, query, 2)
    if len(ids) != 1:
        raise ApiError(404 if not ids else 400, "not_found" if not ids else "bad_parameter",
                       "no article matches" if not ids else "the filters match more than one article; pass url=")
    fd, tmp = tempfile.mkstemp(suffix=".wacz", prefix="receipts-")
    os.close(fd)
    path = Path(tmp)
    try:
        write_wacz(archive, ids[0], path)
    except LookupError as exc:
        path.unlink(missing_ok=True)
        raise ApiError(404, "not_found", str(exc)) from exc

    def chunks() -> Iterator[bytes]:
        try:
            with path.open("rb") as fh:
                while data := fh.read(256 * 1024):
                    yield data
        finally:
            path.unlink(missing_ok=True)

    return _download(chunks(), "wacz", "receipts-article")
