"""``/api/v1/sources``: feeds, sitemaps and section pages the daemon polls."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field

from receipts.api.auth import read_authorised, require_read, require_write
from receipts.api.common import ApiError, paginate
from receipts.api.timeouts import DeadlineRoute
from receipts.db import sources as src
from receipts.db.archive import Archive
from receipts.db.reads import source_doc
from receipts.exports.records import source_json

router = APIRouter(route_class=DeadlineRoute, prefix="/api/v1/sources", tags=["sources"])


class SourceRequest(BaseModel):
    url: str = Field(max_length=4096, description="RSS/Atom feed, (news) sitemap or section page URL.")
    every: str | float = Field(default="15m", description='Polling interval: "90s", "15m", "1h" or seconds.')
    webhook_url: str | None = Field(default=None, max_length=4096, description="Receives each event as JSON.")
    name: str | None = Field(default=None, max_length=200)


def _archive(request: Request) -> Archive:
    return request.app.state.archive


def _sync(request: Request) -> None:
    daemon = getattr(request.app.state, "daemon", None)
    if daemon is not None:
        daemon.sync_sources()


@router.post("", status_code=201, dependencies=[Depends(require_write)])
def add_source(body: SourceRequest, request: Request, response: Response) -> dict[str, Any]:
    try:
        doc, created = src.add_source(_archive(request), body.url, body.every, body.webhook_url, body.name)
    except (src.SourceError, ValueError) as exc:
        raise ApiError(400, "bad_source", str(exc)) from exc
    if not created:
        response.status_code = 200
    response.headers["Location"] = f"/api/v1/sources/{doc['_id']}"
    _sync(request)
    return source_json(doc)


@router.get("", dependencies=[Depends(require_read)])
def list_sources(request: Request, cursor: str | None = None,
                 limit: Annotated[int | None, Query(ge=1)] = None) -> dict[str, Any]:
    reveal = read_authorised(request)
    return paginate(_archive(request).sources, {}, [("_id", 1)], lambda d: source_json(d, reveal), limit=limit,
                    cursor=cursor)


@router.get("/{source_id}", dependencies=[Depends(require_read)])
def get_source(source_id: str, request: Request) -> dict[str, Any]:
    doc = source_doc(_archive(request), source_id)
    if doc is None:
        raise ApiError(404, "not_found", f"no source {source_id}")
    return source_json(doc, read_authorised(request))


@router.delete("/{source_id}", status_code=204, dependencies=[Depends(require_write)])
def remove_source(source_id: str, request: Request) -> Response:
    if src.remove_source(_archive(request), source_id) is None:
        raise ApiError(404, "not_found", f"no source {source_id}")
    _sync(request)
    return Response(status_code=204)


@router.post("/{source_id}/poll", status_code=202, dependencies=[Depends(require_write)])
def poll_now(source_id: str, request: Request) -> dict[str, Any]:
    """Poll the source as soon as possible (within one scheduler tick)."""
    doc = source_doc(_archive(request), source_id)
    if doc is None:
        raise ApiError(404, "not_found", f"no source {source_id}")
    daemon = getattr(request.app.state, "daemon", None)
    if daemon is None:
        raise ApiError(503, "unavailable", "no scheduler is running in this process")
    daemon.poll_now(source_id)
    return source_json(doc)
