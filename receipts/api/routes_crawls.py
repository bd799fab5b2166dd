"""``/api/v1/crawls``: on-demand crawl jobs and their status."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field

from receipts.api.auth import require_read, require_write
from receipts.api.common import ApiError, iso, paginate, plain
from receipts.api.timeouts import DeadlineRoute
from receipts.db.archive import Archive
from receipts.urlcheck import BadURL, check_user_url
from scheduler.dates import as_utc, pushed_items
from scheduler.jobs import PRIORITY_ON_DEMAND, JobOptionError, JobQueue, crawl_options

router = APIRouter(route_class=DeadlineRoute, prefix="/api/v1/crawls", tags=["crawls"])


class CrawlRequest(BaseModel):
    url: str = Field(description="The article URL (http or https).", max_length=4096)
    browser: bool | None = Field(default=None, description="Render screenshots in Chromium (default: the daemon's "
                                 "setting); true is a 400 when the daemon runs with the browser off.")


def _seconds(start: Any, end: Any) -> float | None:
    start, end = as_utc(start), as_utc(end)
    return round((end - start).total_seconds(), 3) if start is not None and end is not None else None


def crawl_summary(doc: dict[str, Any]) -> dict[str, Any]:
    return {"id": doc["_id"], "kind": doc.get("kind"), "status": doc.get("status"), "article_id": doc.get("article_id"),
            "started_at": iso(doc.get("started_at")), "finished_at": iso(doc.get("finished_at")),
            "stats": plain(doc.get("stats") or {}), "errors": plain(pushed_items(doc.get("errors"))),
            "post_ids": doc.get("post_ids") or []}


def job_json(job: dict[str, Any], archive: Archive | None = None) -> dict[str, Any]:
    """The public shape of a job; with *archive*, its crawls are included."""
    out: dict[str, Any] = {
        "id": job["_id"], "kind": job.get("kind"), "url": job.get("url"), "status": job.get("status"),
        "priority": job.get("priority"), "origin": job.get("origin"), "source_id": job.get("source_id"),
        "attempts": job.get("attempts", 0), "max_attempts": job.get("max_attempts"),
        "created_at": iso(job.get("created_at")), "started_at": iso(job.get("started_at")),
        "finished_at": iso(job.get("finished_at")), "not_before": iso(job.get("not_before")),
        "lease_until": iso(job.get("lease_until")), "worker": job.get("worker"),
        "timings": {"queued_seconds": _seconds(job.get("created_at"), job.get("started_at")),
                    "run_seconds": _seconds(job.get("started_at"), job.get("finished_at"))},
        "crawl_ids": job.get("crawl_ids") or [], "article_id": job.get("article_id"),
        "post_ids": job.get("post_ids") or [], "stats": plain(job.get("stats") or {}),
        "errors": plain(job.get("errors") or []),
    }
    if archive is not None and out["crawl_ids"]:
        docs = {d["_id"]: d for d in archive.crawls.find({"_id": {"$in": out["crawl_ids"]}})}
        out["crawls"] = [crawl_summary(docs[c]) for c in out["crawl_ids"] if c in docs]
        last = out["crawls"][-1] if out["crawls"] else None
        if last is not None:
            out["crawl_status"] = last["status"]
            out["crawl_errors"] = last["errors"]
    return out


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
    job = archive.jobs.find_one({"_id": job_id})
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
