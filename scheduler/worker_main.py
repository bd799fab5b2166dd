"""One job in a fresh process: ``python -m scheduler.worker_main JOB_ID CRAWL_ID``, or ``--warm``:
import everything first, then read ``JOB_ID CRAWL_ID LOG_PATH`` from stdin (scheduler.warm).

A Twisted reactor cannot be restarted, so every crawl gets its own interpreter. The parent (a
daemon worker thread) owns the job's lease and state; this process only runs the crawl and
exits. If the parent dies, this process stops too, so its lease expires and another worker
takes the job over.
"""

from __future__ import annotations

import os
import sys
import threading
import time

from receipts.db import get_database
from receipts.db.archive import Archive
from receipts.db.jobs import JobQueue
from receipts.private import private_process

EXIT_NO_JOB = 3
EXIT_ORPHANED = 70
CRAWL_KIND = {"crawl": "crawl", "recheck_posts": "recheck", "recheck_article": "recheck"}


def _watch_parent(parent: int) -> None:
    while True:
        if os.getppid() != parent:
            os._exit(EXIT_ORPHANED)
        time.sleep(0.5)


def main(argv: list[str]) -> int:
    if argv == ["--warm"]:
        return warm()
    if len(argv) != 2:
        sys.stderr.write("usage: python -m scheduler.worker_main JOB_ID CRAWL_ID | --warm\n")
        return 2
    private_process()  # inherited from the daemon already; also when run by hand
    threading.Thread(target=_watch_parent, args=(os.getppid(),), daemon=True, name="parent-watch").start()
    return run_job(*argv)


def warm() -> int:
    """Import what a crawl needs, then wait for the job; stdout/stderr then go to the job's log."""
    private_process()
    threading.Thread(target=_watch_parent, args=(os.getppid(),), daemon=True, name="parent-watch").start()
    from crawlers.run import preload

    preload()  # Scrapy, the platforms, discovery, the pipelines and the download handlers, before the job

    line = sys.stdin.readline().rstrip("\n")
    if not line:  # the pool stopped without a job for this spare
        return 0
    job_id, crawl_id, log_path = line.split(" ", 2)
    sys.stdout.flush()
    sys.stderr.flush()
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    return run_job(job_id, crawl_id)


def run_job(job_id: str, crawl_id: str) -> int:
    job = JobQueue(Archive(get_database())).get(job_id)
    if job is None:
        sys.stderr.write(f"no job {job_id}\n")
        return EXIT_NO_JOB
    from crawlers.run import run_crawl

    options = {**(job.get("options") or {}), "job_id": job_id}
    url = job.get("url") if job.get("kind") != "recheck_posts" else None
    run_crawl(url, post_ids=list(job.get("post_ids") or []), crawl_id=crawl_id,
              kind=CRAWL_KIND.get(job.get("kind", "crawl"), "crawl"), options=options)
    return 0


if __name__ == "__main__":
    code = main(sys.argv[1:])
    from receipts.db import close_all

    close_all()
    sys.exit(code)
