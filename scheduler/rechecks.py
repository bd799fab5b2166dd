"""The decaying re-check schedule for archived posts and articles, and the sweep that queues it.

A post is re-fetched at ``first_seen_at`` + each ``RECEIPTS_POST_RECHECK`` offset (default 1 h,
6 h, 1 d, 7 d, 30 d), then every ``RECEIPTS_POST_RECHECK_EVERY`` (90 d); an article at each
``RECEIPTS_ARTICLE_RECHECK`` offset (1 d, 7 d, 30 d) and then no more. Offsets already past
(the daemon was down) are skipped rather than replayed.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from receipts.db.archive import Archive
from receipts.db.dates import as_utc
from receipts.db.jobs import PRIORITY_RECHECK, JobQueue
from receipts.db.rechecks import check_state, due_post_ids, set_check
from receipts.db.rechecks import due_articles as due_article_docs
from receipts.models import utcnow
from receipts.settings import Settings, get_settings

log = logging.getLogger(__name__)

POST_BATCH = 50
SWEEP_LIMIT = 1000


def next_check(first_seen: datetime, check_count: int, offsets: Sequence[float], every: float | None,
               now: datetime) -> datetime | None:
    """When to check next, given how many re-checks were done; None = never again."""
    for offset in offsets[check_count:]:
        due = first_seen + timedelta(seconds=offset)
        if due > now:
            return due
    if every:
        return now + timedelta(seconds=every)
    return None


def _in_flight(settings: Settings, now: datetime) -> datetime:
    """Placeholder ``next_check_at`` while a re-check job is queued: retried if the job is lost."""
    return now + timedelta(seconds=max(2 * settings.job_timeout, 60.0))


def schedule_after_crawl(archive: Archive, job: dict[str, Any], crawl: dict[str, Any] | None,
                         settings: Settings | None = None) -> None:
    """Set ``next_check_at`` for everything a finished job archived or re-checked."""
    settings = settings or get_settings()
    now = utcnow()
    kind = job.get("kind")
    post_ids = list(dict.fromkeys([*(job.get("post_ids") or []), *((crawl or {}).get("post_ids") or [])]))
    rechecked_posts = set(job.get("post_ids") or []) if kind == "recheck_posts" else set()
    for post_id in post_ids:
        doc = check_state(archive, "post", post_id)
        if doc is None:
            continue
        if post_id in rechecked_posts:
            count = int(doc.get("check_count") or 0) + 1
        elif doc.get("next_check_at") is None:
            count = int(doc.get("check_count") or 0)
        else:
            continue  # already on its schedule; cited again by another article
        due = next_check(as_utc(doc.get("first_seen_at")) or now, count, settings.post_recheck,
                         settings.post_recheck_every, now)
        set_check(archive, "post", post_id, {"check_count": count, "next_check_at": due})
    article_id = (crawl or {}).get("article_id")
    if article_id:
        doc = check_state(archive, "article", article_id)
        if doc is not None:
            count = int(doc.get("check_count") or 0)
            if kind == "recheck_article":
                count += 1
            elif doc.get("next_check_at") is not None:
                return
            due = next_check(as_utc(doc.get("first_seen_at")) or now, count, settings.article_recheck, None, now)
            set_check(archive, "article", article_id, {"check_count": count, "next_check_at": due})


def sweep(archive: Archive, queue: JobQueue, settings: Settings | None = None,
          now: datetime | None = None) -> dict[str, int]:
    """Queue re-check jobs for every post and article whose ``next_check_at`` has come."""
    settings = settings or get_settings()
    now = now or utcnow()
    hold = _in_flight(settings, now)
    due_posts = due_post_ids(archive, now, SWEEP_LIMIT)
    for start in range(0, len(due_posts), POST_BATCH):
        batch = due_posts[start:start + POST_BATCH]
        for post_id in batch:
            set_check(archive, "post", post_id, {"next_check_at": hold})
        queue.enqueue("recheck_posts", post_ids=batch, priority=PRIORITY_RECHECK, origin="recheck")
    due_articles = due_article_docs(archive, now, SWEEP_LIMIT)
    for doc in due_articles:
        set_check(archive, "article", doc["_id"], {"next_check_at": hold})
        queue.enqueue("recheck_article", url=doc.get("url") or doc["_id"], priority=PRIORITY_RECHECK,
                      origin="recheck")
    if due_posts or due_articles:
        log.info("recheck sweep queued", extra={"posts": len(due_posts), "articles": len(due_articles)})
    return {"posts": len(due_posts), "articles": len(due_articles)}
