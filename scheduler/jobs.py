"""What the scheduler adds to the job queue (:mod:`receipts.db.jobs`): who a worker is, and closing
the crawl of a worker that is gone."""

from __future__ import annotations

import os
import socket
from typing import Any, Literal

from receipts.db.archive import Archive
from receipts.db.dates import pushed_items
from receipts.models import Crawl, utcnow
from receipts.settings import get_settings


def worker_identity() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def close_orphan_crawl(archive: Archive, job: dict[str, Any], reason: str) -> None:
    """A reaped job's crawl never finished: it was interrupted (not failed) with its daemon."""
    crawl_ids = job.get("crawl_ids") or []
    if crawl_ids:
        close_crawl(archive, archive.crawl_doc(crawl_ids[-1]), reason, job, crawl_ids[-1],
                    status="interrupted")


def close_crawl(archive: Archive, crawl: dict[str, Any] | None, reason: str, job: dict[str, Any] | None = None,
                crawl_id: str | None = None, status: Literal["failed", "interrupted"] = "failed") -> None:
    """Close the crawl of a worker that is gone; create its record if the worker died before writing it.

    ``failed``: the crawl process crashed or timed out. ``interrupted``: it was cut off from outside
    (its daemon died and the lease expired, the lease was lost, the daemon shut down): its WARC is cut
    back to the last complete record, and its error count is what it had recorded plus the interruption.
    """
    now = utcnow()
    error = {"url": (crawl or job or {}).get("url"), "error": reason, "fatal": True, "at": now}
    if crawl is None:
        if crawl_id is None:
            return
        kind = {"recheck_posts": "recheck", "recheck_article": "recheck"}.get((job or {}).get("kind", ""), "crawl")
        archive.start_crawl(Crawl(id=crawl_id, kind=kind, url=(job or {}).get("url"), status=status,
                                  finished_at=now, errors=[error], stats={"item_errors": 1},
                                  options={"job_id": (job or {}).get("_id")}))
        return
    if crawl.get("finished_at") is not None:
        return
    fields: dict[str, Any] = {"status": status, "finished_at": now}
    if status == "interrupted":
        from receipts.evidence.recover import recover_warc
        from receipts.evidence.warc import warc_name

        warc_dir = get_settings().warc_dir
        if (warc_dir / warc_name(crawl["_id"])).exists():
            recovered = recover_warc(archive, crawl, warc_dir)
            if recovered is None:
                return  # its writer still holds the WARC: the next crawl's recovery closes it
            fields.update(recovered)
        errors = [e for e in pushed_items(crawl.get("errors")) if isinstance(e, dict)]
        capture_errors = archive.crawl_capture_errors(crawl["_id"])
        fields["stats"] = {**(crawl.get("stats") or {}), "captures": len(capture_errors),
                           "capture_errors": sum(1 for error in capture_errors if error),
                           "item_errors": len(errors) + 1}
    archive.update_crawl(crawl["_id"], fields, push_errors=[error])
