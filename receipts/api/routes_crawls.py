"""``/api/v1/crawls``: on-demand crawl jobs and their status."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field

from receipts.api.auth import require_read, require_write
from receipts.api.common import ApiError, paginate
from receipts.api.timeouts import DeadlineRoute
from receipts.db.archive import Archive
from receipts.db.jobs import PRIORITY_ON_DEMAND, JobOptionError, JobQueue, crawl_options
from receipts.db.reads import job_doc
from receipts.exports.records import job_json
from receipts.urlcheck import BadURL, check_user_url

router = APIRouter(route_class=DeadlineRoute, prefix="/api/v1/crawls", tags=["crawls"])


class CrawlRequest(BaseModel):
    url: str = Field(description="The article URL (http or https).", max_length=4096)
    browser: bool | None = Field(default=None, description="Render screenshots in Chromium (default: the daemon's "
                                 "setting); true is a 400 when the daemon runs with the browser off.")


def _archive(request: Request) -> Archive:
    return request.app.state.archive


@router.post("", status_code=202, dependencies=[Depends(require_write)])
def submit_crawl(body: CrawlRequest, request: Request, response: Response) -> dict[str, Any]:
    """Queue a crawl of *url*; a crawl of the same URL already queued or running is returned instead."""
    try:
        url = check_user_url(body.url)
    except BadURL as exc:
        raise ApiError(400, "bad_url", str(exc)) from exc
    try:
        options = crawl_options(body.browser)
    except JobOptionError as exc:
        raise ApiError(400, "browser_disabled", str(exc)) from exc
    archive = _archive(request)
    job, created = JobQueue(archive).enqueue("crawl", url=url, priority=PRIORITY_ON_DEMAND, origin="api",
                                             options=options, dedupe=True)
    pool = getattr(request.app.state, "pool", None)
    if pool is not None:
        pool.wake()
    response.headers["Location"] = f"/api/v1/crawls/{job['_id']}"
    return {**job_json(job), "deduplicated": not created}


@router.get("/{job_id}", dependencies=[Depends(require_read)])
def get_crawl(job_id: str, request: Request) -> dict[str, Any]:
    archive = _archive(request)
    job = job_doc(archive, job_id)
    if job is None:
        raise ApiError(404, "not_found", f"no crawl job {job_id}")
    return job_json(job, archive)


@router.get("", dependencies=[Depends(require_read)])
def list_crawls(request: Request,
                status: Annotated[Literal["queued", "running", "done", "failed"] | None, Query()] = None,
                cursor: str | None = None, limit: Annotated[int | None, Query(ge=1)] = None) -> dict[str, Any]:
    """Jobs newest first, optionally only those with *status*."""
    query = {"status": status} if status else {}
    return paginate(_archive(request).jobs, query, [("created_at", -1), ("_id", -1)], job_json,
                    limit=limit, cursor=cursor)
