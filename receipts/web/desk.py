"""The researcher's desk: ``/submit`` (a URL or a pasted list) and ``/jobs`` (live status and progress).

The submit form needs the API token once; the browser then keeps a submit cookie (see
:mod:`receipts.web.submit_cookie`). The jobs page refreshes itself with ``<meta http-equiv=refresh>``
while a job is queued or running, so it needs no script.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from receipts.api.auth import token_matches
from receipts.api.routes_archive import archive_of
from receipts.api.timeouts import DeadlineRoute
from receipts.db.desk import crawl_progress
from receipts.db.jobs import PRIORITY_ON_DEMAND, JobOptionError, JobQueue, crawl_options
from receipts.db.reads import crawls_by_ids, job_doc, recent_jobs
from receipts.queries import short_id
from receipts.urlcheck import BadURL, check_user_url
from receipts.web.labels import LEGEND
from receipts.web.login import _same_origin, require_read_ui
from receipts.web.routes import page
from receipts.web.submit_cookie import forget, may_submit, remember

MAX_SUBMIT = 200
JOBS_SHOWN = 30
REFRESH_SECONDS = 2

router = APIRouter(route_class=DeadlineRoute, include_in_schema=False, dependencies=[Depends(require_read_ui)])


def _form_page(request: Request, status: int = 200, error: str | None = None, urls: str = "",
               rejected: list[str] | None = None, queued: str | None = None, count: int = 0) -> HTMLResponse:
    return page("submit.html", status, title="Submit articles", error=error, urls=urls,
                remembered=may_submit(request), rejected=rejected or [], limit=MAX_SUBMIT, queued=queued,
                count=count)


@router.get("/submit", response_class=HTMLResponse)
def submit_form(request: Request) -> HTMLResponse:
    return _form_page(request)


@router.post("/submit", response_class=HTMLResponse)
async def submit(request: Request) -> Response:
    """Queue a crawl for every URL in the form (one per line); then show their jobs."""
    if not _same_origin(request):
        return _form_page(request, 403, "Submit from this site's own form.")
    form = parse_qs((await request.body()).decode("utf-8", "replace"), max_num_fields=5)
    text = (form.get("urls") or [""])[0]
    token = (form.get("token") or [""])[0].strip()
    remembered = may_submit(request)
    if not remembered and not token_matches(token):
        return _form_page(request, 401, "That is not the API token." if token else "The API token is required.",
                          urls=text)
    lines = list(dict.fromkeys(line.strip() for line in text.splitlines() if line.strip()))
    if not lines:
        return _form_page(request, 400, "Paste at least one article URL.", urls=text)
    if len(lines) > MAX_SUBMIT:
        return _form_page(request, 400, f"At most {MAX_SUBMIT} URLs at a time (use `receipts import`).", urls=text)
    try:
        options = crawl_options(None)
    except JobOptionError as exc:
        return _form_page(request, 400, str(exc), urls=text)
    queue = JobQueue(archive_of(request))
    ids: list[str] = []
    rejected: list[str] = []
    for line in lines:
        try:
            url = check_user_url(line)
        except BadURL as exc:
            rejected.append(f"{line}: {exc}")
            continue
        job, _ = queue.enqueue("crawl", url=url, priority=PRIORITY_ON_DEMAND, origin="web", options=options,
                               dedupe=True)
        ids.append(job["_id"])
    pool = getattr(request.app.state, "pool", None)
    if ids and pool is not None:
        pool.wake()
    if not ids:
        return _form_page(request, 400, "None of these is an article URL Receipts can crawl.", urls=text,
                          rejected=rejected)
    response: Response
    if rejected:
        response = _form_page(request, 200, None, urls="\n".join(r.split(": ", 1)[0] for r in rejected),
                              rejected=rejected, queued="/jobs?" + urlencode({"ids": ",".join(ids)}), count=len(ids))
    else:
        response = RedirectResponse("/jobs?" + urlencode({"ids": ",".join(ids)}), status_code=303)
    if not remembered:
        remember(response, request)
    return response


@router.post("/submit/forget")
def submit_forget(request: Request) -> Response:
    response = RedirectResponse("/submit", status_code=303)
    if _same_origin(request):
        forget(response, request)
    return response


def job_view(archive: Any, doc: dict[str, Any]) -> dict[str, Any]:
    """A job for the jobs page: status, its article link, and posts found / archived / failed."""
    crawl_ids = doc.get("crawl_ids") or []
    crawl = None
    if crawl_ids:
        found = crawls_by_ids(archive, [crawl_ids[-1]])
        crawl = found[0] if found else None
    progress: dict[str, Any] = {"found": None, "archived": 0, "failed": 0}
    if crawl is not None and crawl.get("status") != "running":
        stats = crawl.get("stats") or {}
        refs = stats.get("references") or {}
        progress = {"found": sum(int(v) for v in refs.values()), "archived": int(stats.get("posts") or 0),
                    "failed": int(refs.get("error") or 0)}
    elif crawl is not None:
        live = crawl_progress(archive, crawl["_id"])
        progress = {"found": None, "archived": live["fetched"], "failed": live["failed"]}
    errors = doc.get("errors") or []
    article_id = doc.get("article_id") or (crawl or {}).get("article_id")
    return {"id": doc["_id"], "url": doc.get("url"), "kind": doc.get("kind"), "status": doc.get("status"),
            "attempts": doc.get("attempts", 0), "created_at": doc.get("created_at"),
            "finished_at": doc.get("finished_at"), "crawl_status": (crawl or {}).get("status"),
            "article": short_id(article_id) if article_id else None, "progress": progress,
            "error": (errors[-1].get("error") if errors and isinstance(errors[-1], dict) else None)}


@router.get("/jobs", response_class=HTMLResponse)
def jobs_page(request: Request, ids: str = "", status: str | None = None) -> HTMLResponse:
    """Recent jobs (or the ones just submitted, ``?ids=``), refreshing while any is unfinished."""
    archive = archive_of(request)
    wanted = [i for i in ids.split(",") if i][:MAX_SUBMIT]
    if wanted:
        docs = [d for d in (job_doc(archive, i) for i in wanted) if d]
    else:
        docs = list(recent_jobs(archive, status if status in ("queued", "running", "done", "failed") else None,
                                JOBS_SHOWN))
    jobs = [job_view(archive, d) for d in docs]
    live = any(j["status"] in ("queued", "running") for j in jobs)
    return page("jobs.html", title="Jobs", jobs=jobs, refresh=REFRESH_SECONDS if live else None, ids=ids,
                filter_status=status)


@router.get("/legend", response_class=HTMLResponse)
def legend_page() -> HTMLResponse:
    """Every badge, verdict and status with its one-line meaning."""
    return page("legend.html", title="Legend", legend=LEGEND)
