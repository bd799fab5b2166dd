"""The crawl job queue: MongoDB documents in ``jobs`` with priority, leases, attempts and backoff.

A job is ``queued`` → ``running`` (claimed by one worker under a lease the worker renews) →
``done`` or ``failed``; a crash or timeout hands it back to ``queued`` with a backoff until its
attempts run out. Every state change is a compare-and-swap: a whole-document ``find_one_and_replace`` filtered on
``_id`` and the revision ``rev`` that was read, so two workers can never hold the same job (on
nx-27017 a non-``_id`` update filter is a full scan, so candidates are first found through the
``(status, priority, created_at)`` index and then claimed one by one).

Deduplicated enqueues (API, source polls) are atomic: the job's canonical URL is first taken as the
``_id`` of a document in ``job_locks`` (a duplicate ``_id`` cannot be inserted twice), released when
the job ends ``done`` or ``failed``. A lock left by a crash — its job finished, or never written — is
reclaimed by the next enqueue of that URL.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Literal

from pymongo import ReturnDocument
from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError, PyMongoError

from receipts.db.archive import Archive
from receipts.db.dates import as_utc
from receipts.ids import new_id
from receipts.models import utcnow
from receipts.settings import Settings, get_settings

JobKind = Literal["crawl", "recheck_posts", "recheck_article"]
STATUSES = ("queued", "running", "done", "failed")
ACTIVE = ("queued", "running")

PRIORITY_ON_DEMAND = 100
PRIORITY_SOURCE = 10
PRIORITY_RECHECK = 0
DEFAULT_MAX_ATTEMPTS = 3
MAX_BACKOFF = 3600.0
LOCK_GRACE = 10.0  # a dedupe lock whose job is still not written after this long lost its creator


class JobOptionError(ValueError):
    """A crawl option this daemon cannot honour."""


def crawl_options(browser: bool | None, settings: Settings | None = None) -> dict[str, Any]:
    """A crawl job's options from a request. ``browser: true`` cannot turn on a browser the operator disabled
    (``RECEIPTS_BROWSER=0``: no Chromium, or no rendering wanted): that is refused, never silently dropped."""
    settings = settings or get_settings()
    if browser and not settings.browser_enabled:
        raise JobOptionError("the browser is disabled on this daemon (RECEIPTS_BROWSER=0); "
                             "omit \"browser\" or send false")
    return {} if browser is None else {"browser": bool(browser)}


def canonical_key(url: str) -> str:
    """The dedupe key of an article URL (same rules as source polling)."""
    from receipts.urls import canonicalize

    return canonicalize(url)


def ensure_job_indexes(archive: Archive) -> None:
    """Indexes the daemon needs beyond ``Archive.ensure_indexes`` (idempotent)."""
    archive.jobs.create_index([("url_key", 1), ("status", 1)])
    archive.jobs.create_index([("finished_at", 1)])
    archive.db["source_seen"].create_index([("source_id", 1)])
    archive.db["source_articles"].create_index([("article_id", 1)])
    archive.db["webhook_deliveries"].create_index([("status", 1), ("next_attempt_at", 1)])


def backoff_seconds(attempts: int, settings: Settings | None = None) -> float:
    """Wait before retry *attempts*+1: 2 scheduler ticks, doubling, capped at an hour."""
    settings = settings or get_settings()
    base = max(1.0, 2 * settings.scheduler_tick)
    return min(MAX_BACKOFF, base * 2 ** max(0, attempts - 1))


class JobQueue:
    """All reads and state changes of ``jobs``."""

    def __init__(self, archive: Archive, settings: Settings | None = None) -> None:
        self.archive = archive
        self.jobs: Collection = archive.jobs
        self.locks: Collection = archive.job_locks
        self.settings = settings or get_settings()

    # -- creating ------------------------------------------------------------------------------
    def enqueue(self, kind: JobKind, *, url: str | None = None, post_ids: list[str] | None = None,
                priority: int = PRIORITY_ON_DEMAND, origin: str = "api", source_id: str | None = None,
                options: dict[str, Any] | None = None, max_attempts: int = DEFAULT_MAX_ATTEMPTS,
                dedupe: bool = False) -> tuple[dict[str, Any], bool]:
        """Queue a job; returns ``(job, created)``.

        With *dedupe*, a queued or running job for the same canonical URL is returned instead.
        """
        url_key = canonical_key(url) if url else None

        def new_doc() -> dict[str, Any]:
            return self._new_doc(kind, url, url_key, post_ids, priority, origin, source_id, options, max_attempts)

        if dedupe and url_key:
            return self._enqueue_locked(url_key, new_doc)
        doc = new_doc()
        self.jobs.insert_one(doc)
        return doc, True

    @staticmethod
    def _new_doc(kind: JobKind, url: str | None, url_key: str | None, post_ids: list[str] | None, priority: int,
                 origin: str, source_id: str | None, options: dict[str, Any] | None,
                 max_attempts: int) -> dict[str, Any]:
        now = utcnow()
        return {
            "_id": new_id("jb"), "kind": kind, "url": url, "url_key": url_key, "post_ids": list(post_ids or []),
            "status": "queued", "priority": priority, "origin": origin, "source_id": source_id,
            "options": dict(options or {}), "attempts": 0, "max_attempts": max_attempts,
            "created_at": now, "updated_at": now, "not_before": None, "started_at": None,
            "finished_at": None, "lease_until": None, "claim": None, "worker": None, "worker_pid": None,
            "crawl_ids": [], "article_id": None, "errors": [], "history": [], "rev": 0,
        }

    # -- the dedupe lock -----------------------------------------------------------------------
    def _enqueue_locked(self, url_key: str, new_doc: Callable[[], dict[str, Any]]) -> tuple[dict[str, Any], bool]:
        """Queue a job for *url_key* unless one is active; race-free across threads and daemons."""
        for _ in range(50):
            doc = new_doc()
            try:
                self.locks.insert_one({"_id": url_key, "job_id": doc["_id"], "created_at": utcnow()})
            except DuplicateKeyError:
                holder = self._lock_holder(url_key)
                if holder is not None:
                    return holder, False
                continue  # the lock was stale and is released: try again
            other = self.active_for_url(url_key)  # a job queued without the lock (re-checks, older versions)
            if other is not None:
                self.release_lock(url_key, doc["_id"])
                return other, False
            self.jobs.insert_one(doc)
            return doc, True
        raise RuntimeError(f"could not take the dedupe lock of {url_key}")

    def _lock_holder(self, url_key: str) -> dict[str, Any] | None:
        """The active job holding *url_key*'s lock; None once a stale lock was released (or it vanished)."""
        while True:
            lock = self.locks.find_one({"_id": url_key})
            if lock is None:
                return None
            job = self.get(lock["job_id"])
            if job is not None and job.get("status") in ACTIVE:
                return job
            created = as_utc(lock.get("created_at"))
            young = created is not None and (utcnow() - created).total_seconds() < LOCK_GRACE
            if job is None and young:
                time.sleep(0.02)  # its creator writes the job right after the lock
                continue
            self.release_lock(url_key, lock["job_id"])  # job finished, or its creator died before writing it
            return None

    def release_lock(self, url_key: str | None, job_id: str) -> None:
        """Free *url_key* if *job_id* still holds it (best effort: a lock left behind is reclaimed later)."""
        if not url_key:
            return
        try:
            self.locks.delete_one({"_id": url_key, "job_id": job_id})
        except PyMongoError:
            pass

    def active_for_url(self, url_key: str) -> dict[str, Any] | None:
        for status in ACTIVE:
            doc = self.jobs.find_one({"url_key": url_key, "status": status})
            if doc is not None:
                return doc
        return None

    # -- reading -------------------------------------------------------------------------------
    def get(self, job_id: str) -> dict[str, Any] | None:
        return self.jobs.find_one({"_id": job_id})

    def ids_with_status(self, status: str) -> list[str]:
        return [d["_id"] for d in self.jobs.find({"status": status}, {"_id": 1})]

    def depth(self) -> dict[str, int]:
        return {s: len(self.ids_with_status(s)) for s in STATUSES}

    # -- state changes (compare-and-swap on ``rev``) ---------------------------------------------
    def _swap(self, doc: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any] | None:
        """Replace *doc* with *doc* + *changes* if nobody changed it since it was read.

        Whole-document replaces keep dates typed on nx-27017 (see :mod:`receipts.db.dates`).
        """
        now = utcnow()
        new = {**doc, **changes, "rev": int(doc.get("rev", 0)) + 1, "updated_at": now}
        new.pop("_id", None)
        return self.jobs.find_one_and_replace({"_id": doc["_id"], "rev": doc.get("rev", 0)}, new,
                                              return_document=ReturnDocument.AFTER)

    def _held(self, job_id: str, claim: str) -> dict[str, Any] | None:
        doc = self.get(job_id)
        if doc is None or doc.get("status") != "running" or doc.get("claim") != claim:
            return None
        return doc

    def claim(self, worker: str, lease: float | None = None, now: datetime | None = None) -> dict[str, Any] | None:
        """Atomically take the best runnable queued job (highest priority, then oldest)."""
        now = now or utcnow()
        lease = lease or self.settings.job_lease
        cursor = self.jobs.find({"status": "queued"}, {"_id": 1, "not_before": 1}).sort(
            [("priority", -1), ("created_at", 1), ("_id", 1)]).limit(200)
        for cand in list(cursor):
            not_before = as_utc(cand.get("not_before"))
            if not_before is not None and not_before > now:
                continue
            doc = self.get(cand["_id"])
            if doc is None or doc.get("status") != "queued":
                continue
            token = secrets.token_hex(8)
            claimed = self._swap(doc, {
                "status": "running", "claim": token, "worker": worker, "started_at": now, "finished_at": None,
                "lease_until": now + timedelta(seconds=lease), "attempts": int(doc.get("attempts", 0)) + 1,
                "history": [*doc.get("history", []), {"at": now, "event": "claimed", "worker": worker}]})
            if claimed is not None:
                return claimed
        return None

    def renew(self, job_id: str, claim: str, lease: float | None = None) -> bool:
        """Extend the lease; False when the claim was lost (the job must then be abandoned)."""
        lease = lease or self.settings.job_lease
        for _ in range(3):
            doc = self._held(job_id, claim)
            if doc is None:
                return False
            if self._swap(doc, {"lease_until": utcnow() + timedelta(seconds=lease)}) is not None:
                return True
        return False

    def add_crawl(self, job_id: str, claim: str, crawl_id: str, worker_pid: int | None = None) -> bool:
        for _ in range(3):
            doc = self._held(job_id, claim)
            if doc is None:
                return False
            if self._swap(doc, {"crawl_ids": [*doc.get("crawl_ids", []), crawl_id], "worker_pid": worker_pid}):
                return True
        return False

    # -- finishing -----------------------------------------------------------------------------
    def complete(self, job_id: str, claim: str, **fields: Any) -> dict[str, Any] | None:
        return self._finish(job_id, claim, {"status": "done", "finished_at": utcnow(), **fields})

    def fail(self, job_id: str, claim: str, error: str, *, retry: bool = True, **fields: Any) -> dict[str, Any] | None:
        """Record a failed attempt: back to ``queued`` with backoff, or ``failed`` when out of attempts."""
        def changes(doc: dict[str, Any]) -> dict[str, Any]:
            now = utcnow()
            attempts = int(doc.get("attempts", 0))
            entry = {"at": now, "error": error, "attempt": attempts}
            base = {**fields, "errors": [*doc.get("errors", []), entry]}
            if retry and attempts < int(doc.get("max_attempts", DEFAULT_MAX_ATTEMPTS)):
                wait = backoff_seconds(attempts, self.settings)
                return {**base, "status": "queued", "not_before": now + timedelta(seconds=wait)}
            return {**base, "status": "failed", "finished_at": now}

        return self._finish(job_id, claim, changes)

    def hand_back(self, job_id: str, claim: str, reason: str = "worker shutting down") -> dict[str, Any] | None:
        """Return a running job to the queue without counting the attempt (graceful drain)."""
        return self._finish(job_id, claim, lambda doc: {
            "status": "queued", "not_before": None, "attempts": max(0, int(doc.get("attempts", 1)) - 1),
            "history": [*doc.get("history", []), {"at": utcnow(), "event": "handed_back", "reason": reason}]})

    def _finish(self, job_id: str, claim: str,
                changes: dict[str, Any] | Callable[[dict[str, Any]], dict[str, Any]]) -> dict[str, Any] | None:
        for _ in range(3):
            doc = self._held(job_id, claim)
            if doc is None:
                return None
            update = changes(doc) if callable(changes) else changes
            new = self._swap(doc, {"claim": None, "lease_until": None, "worker_pid": None, **update})
            if new is not None:
                if new.get("status") in ("done", "failed"):
                    self.release_lock(new.get("url_key"), new["_id"])
                return new
        return None

    def _crawl_finished(self, job: dict[str, Any]) -> bool:
        """Whether the job's last crawl ran to its end (so running it again would do it twice)."""
        crawl_ids = job.get("crawl_ids") or []
        crawl = self.archive.crawl_doc(crawl_ids[-1]) if crawl_ids else None
        return bool(crawl) and crawl.get("status") in ("done", "done_with_errors") \
            and crawl.get("finished_at") is not None

    def reap_expired(self, now: datetime | None = None,
                     on_orphan: Callable[[dict[str, Any], str], None] | None = None) -> list[str]:
        """Hand back running jobs whose lease expired (their worker died); returns their ids.

        *on_orphan* is called with each reaped job that had started a crawl, and the reason, so the
        caller can close that crawl (:func:`scheduler.jobs.close_orphan_crawl`).
        """
        now = now or utcnow()
        reaped: list[str] = []
        for cand in list(self.jobs.find({"status": "running"}, {"_id": 1, "lease_until": 1})):
            lease_until = as_utc(cand.get("lease_until"))
            if lease_until is not None and lease_until >= now:
                continue
            doc = self.get(cand["_id"])
            if doc is None or doc.get("status") != "running":
                continue
            lease_until = as_utc(doc.get("lease_until"))
            if lease_until is not None and lease_until >= now:
                continue
            attempts = int(doc.get("attempts", 0))
            entry = {"at": now, "error": f"lease expired: worker {doc.get('worker')} stopped renewing",
                     "attempt": attempts}
            if self._crawl_finished(doc):  # the worker died after its crawl ended, before it settled the job
                fields = {"status": "done", "finished_at": now}
            elif attempts < int(doc.get("max_attempts", DEFAULT_MAX_ATTEMPTS)):
                fields: dict[str, Any] = {"status": "queued", "not_before": None}
            else:
                fields = {"status": "failed", "finished_at": now}
            if self._swap(doc, {**fields, "claim": None, "lease_until": None, "worker_pid": None,
                                "errors": [*doc.get("errors", []), entry]}) is not None:
                reaped.append(doc["_id"])
                if fields["status"] in ("done", "failed"):
                    self.release_lock(doc.get("url_key"), doc["_id"])
                if on_orphan is not None and doc.get("crawl_ids") and fields["status"] != "done":
                    on_orphan(doc, entry["error"])
        return reaped
