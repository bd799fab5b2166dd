"""The worker pool: threads that claim jobs and run each in a ``scheduler.worker_main`` subprocess.

The thread renews the job's lease while the subprocess runs, kills it at the job timeout, and
turns its outcome into the job's next state. On drain (SIGTERM) no new job is claimed; a running
crawl may finish until the drain deadline, after which it is stopped and handed back to the queue.

A database error never ends a worker thread: the thread backs off (bounded, exponential) and
tries again, and the outcome of a crawl that ended during an outage is recorded once the database
is back (or, if this daemon stops first, the job's lease expires and it is taken over).
"""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, TypeVar

from pymongo.errors import PyMongoError

from receipts.db import get_database
from receipts.db.archive import Archive
from receipts.db.dates import pushed_items
from receipts.db.jobs import JobQueue
from receipts.db.sources import link_source_article
from receipts.ids import new_id
from receipts.settings import Settings, get_settings
from scheduler.backoff import Backoff
from scheduler.jobs import close_crawl, close_orphan_crawl, worker_identity
from scheduler.rechecks import schedule_after_crawl
from scheduler.warm import WarmSpare

log = logging.getLogger(__name__)

FINISHED_OK = ("done", "done_with_errors", "degraded")
DB_BACKOFF_CAP = 30.0

T = TypeVar("T")


def _describe_exit(code: int) -> str:
    if code < 0:
        try:
            return f"worker killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"worker killed by signal {-code}"
    return f"worker exited with code {code}"


def _last_line(path: Path, limit: int = 300) -> str | None:
    """The last non-empty line of a worker log (usually the exception), for the job's error."""
    try:
        with open(path, "rb") as fh:
            fh.seek(0, 2)
            fh.seek(max(0, fh.tell() - 8192))
            lines = [ln.strip() for ln in fh.read().decode(errors="replace").splitlines() if ln.strip()]
    except OSError:
        return None
    return lines[-1][:limit] if lines else None


class WorkerPool:
    """*size* threads, each running at most one job subprocess at a time."""

    def __init__(self, size: int, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()
        self.size = max(0, size)
        self.archive = Archive(get_database(self.settings))
        self.queue = JobQueue(self.archive, self.settings)
        self.identity = worker_identity()
        self.stopping = threading.Event()
        self.drain_deadline: float | None = None
        self.threads: list[threading.Thread] = []
        self.busy: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._spare: WarmSpare | None = None  # one pre-imported crawl process for the pool's next job

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self) -> None:
        for n in range(self.size):
            thread = threading.Thread(target=self._loop, args=(n,), name=f"worker-{n}", daemon=True)
            thread.start()
            self.threads.append(thread)

    def wake(self) -> None:
        """A job was queued: let idle workers look now instead of at the next tick."""
        self._wake.set()

    def drain(self, grace: float) -> None:
        """Stop claiming; let running crawls finish for *grace* seconds, then hand them back."""
        self.drain_deadline = time.monotonic() + grace
        self.stopping.set()
        self._wake.set()
        for thread in self.threads:
            thread.join(grace + 15)
        with self._lock:
            spare, self._spare = self._spare, None
        if spare is not None:
            spare.discard()

    @property
    def busy_count(self) -> int:
        with self._lock:
            return len(self.busy)

    def alive(self) -> int:
        return sum(t.is_alive() for t in self.threads)

    # -- the loop ------------------------------------------------------------------------------
    def _backoff(self) -> Backoff:
        return Backoff(base=min(1.0, max(0.1, self.settings.scheduler_tick)), cap=DB_BACKOFF_CAP)

    def _loop(self, n: int) -> None:
        owner = f"{self.identity}/w{n}"
        backoff = self._backoff()
        while not self.stopping.is_set():
            try:
                self._step(owner, backoff)
            except Exception:  # the thread must outlive anything a job throws at it
                log.exception("worker %s: unexpected error", owner)
                self.stopping.wait(backoff.next_delay())

    def _step(self, owner: str, backoff: Backoff) -> None:
        """Claim one job and run it; wait a tick when there is none, back off when the database fails."""
        try:
            self.queue.reap_expired(on_orphan=lambda job, reason: close_orphan_crawl(self.archive, job, reason))
            job = self.queue.claim(owner)
        except PyMongoError as exc:
            delay = backoff.next_delay()
            log.warning("database unavailable; worker backing off",
                        extra={"worker": owner, "error": str(exc)[:200], "retry_in": round(delay, 2)})
            self.stopping.wait(delay)
            return
        if backoff.failing:
            log.info("database reachable again", extra={"worker": owner})
            backoff.reset()
        if job is None:
            self._keep_spare()
            self._wake.wait(self.settings.scheduler_tick)
            self._wake.clear()
            return
        try:
            self._run(job, owner)
        except Exception:
            log.exception("job %s: worker error", job["_id"])
            try:
                self.queue.fail(job["_id"], job["claim"], "internal worker error")
            except PyMongoError:
                log.warning("job %s: could not record the error; its lease will expire", job["_id"])

    def _retrying(self, what: str, job_id: str, fn: Callable[[], T]) -> T | None:
        """Run *fn*, retrying through database errors until it succeeds or the pool stops."""
        backoff = self._backoff()
        while True:
            try:
                return fn()
            except PyMongoError as exc:
                if self.stopping.is_set():
                    log.warning("job %s: %s abandoned (database down, stopping); its lease will expire",
                                job_id, what)
                    return None
                delay = backoff.next_delay()
                log.warning("job %s: %s failed; retrying", job_id, what,
                            extra={"error": str(exc)[:200], "retry_in": round(delay, 2)})
                self.stopping.wait(delay)

    def _run(self, job: dict[str, Any], owner: str) -> None:
        job_id, claim = job["_id"], job["claim"]
        crawl_id = new_id("cr")
        started = time.monotonic()
        log_path = self.settings.data_dir / "logs" / "jobs" / f"{job_id}-{crawl_id}.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        proc = self._process(job_id, crawl_id, log_path)
        with self._lock:
            self.busy[job_id] = {"pid": proc.pid, "crawl_id": crawl_id, "owner": owner}
        log.info("job started", extra={"job_id": job_id, "kind": job.get("kind"), "url": job.get("url"),
                                       "crawl_id": crawl_id, "worker_pid": proc.pid, "attempt": job.get("attempts")})
        try:
            try:
                recorded = self.queue.add_crawl(job_id, claim, crawl_id, proc.pid)
            except BaseException:
                self._stop(proc)  # never leave a crawl running unsupervised
                raise
            if not recorded:
                self._stop(proc)
                return
            outcome = self._supervise(job_id, claim, proc, started)
        finally:
            with self._lock:
                self.busy.pop(job_id, None)
        seconds = time.monotonic() - started
        self._retrying("recording the outcome", job_id,
                       lambda: self._settle(job, crawl_id, proc.returncode, outcome, seconds, log_path))

    def _keep_spare(self) -> None:
        """An idle worker makes sure the pool has one warm crawl process (when RECEIPTS_WARM_WORKERS is on).

        One for the pool, not one per worker: a spare holds about 60 MB, and jobs mostly arrive one at a
        time; the second of two simultaneous jobs starts cold."""
        if not self.settings.warm_workers or self.stopping.is_set():
            return
        with self._lock:
            if self._spare is not None and self._spare.proc.poll() is None:
                return
            self._spare = WarmSpare(self.settings.data_dir / "logs" / "jobs")

    def _process(self, job_id: str, crawl_id: str, log_path: Path) -> subprocess.Popen:
        """The job's crawl process: the pool's warm spare if it is alive, else a cold start."""
        with self._lock:
            spare, self._spare = self._spare, None
        proc = spare.hand(job_id, crawl_id, log_path) if spare is not None else None
        if proc is not None:
            return proc
        with open(log_path, "ab") as log_file:
            return subprocess.Popen([sys.executable, "-m", "scheduler.worker_main", job_id, crawl_id],
                                    stdin=subprocess.DEVNULL, stdout=log_file, stderr=log_file, start_new_session=True)

    def _supervise(self, job_id: str, claim: str, proc: subprocess.Popen, started: float) -> str:
        renew_every = max(0.2, self.settings.job_lease / 3)
        while True:
            try:
                proc.wait(timeout=renew_every)
                return "exited"
            except subprocess.TimeoutExpired:
                pass
            if time.monotonic() - started > self.settings.job_timeout:
                self._stop(proc)
                return "timeout"
            if self.drain_deadline is not None and time.monotonic() > self.drain_deadline:
                self._stop(proc)
                return "drained"
            try:
                if not self.queue.renew(job_id, claim):
                    self._stop(proc)
                    return "lost"
            except PyMongoError as exc:
                log.warning("job %s: renewing the lease failed (database unavailable)", job_id,
                            extra={"error": str(exc)[:200]})
            except Exception:
                log.exception("job %s: renewing the lease failed", job_id)

    @staticmethod
    def _stop(proc: subprocess.Popen) -> None:
        if proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    # -- outcome -------------------------------------------------------------------------------
    def _settle(self, job: dict[str, Any], crawl_id: str, code: int | None, outcome: str, seconds: float,
                log_path: Path) -> None:
        job_id, claim = job["_id"], job["claim"]
        crawl = self.archive.crawl_doc(crawl_id)
        finished = crawl is not None and crawl.get("finished_at") is not None
        extra = {"job_id": job_id, "crawl_id": crawl_id, "seconds": round(seconds, 3), "outcome": outcome,
                 "worker_log": str(log_path)}
        if outcome == "lost":
            log.warning("job lease lost; abandoned", extra=extra)
            self._close_crawl(crawl, "lease lost", job, crawl_id, status="interrupted")
            return
        if finished and crawl is not None and crawl.get("status") in FINISHED_OK:
            # schedule first: once the job reads "done", its posts are already on their re-check schedule
            schedule_after_crawl(self.archive, job, crawl, self.settings)
            done = self.queue.complete(job_id, claim, article_id=crawl.get("article_id"),
                                       stats=crawl.get("stats") or {}, crawl_status=crawl.get("status"))
            if done is not None:
                self._link_source(done, crawl)
            log.info("job done", extra={**extra, "crawl_status": crawl.get("status")})
            return
        if finished and crawl is not None:
            errors = [e for e in pushed_items(crawl.get("errors")) if isinstance(e, dict)]
            message = errors[0].get("error") if errors else "crawl failed"
            self.queue.fail(job_id, claim, str(message), retry=False, crawl_status=crawl.get("status"),
                            stats=crawl.get("stats") or {})
            if job.get("kind") == "recheck_posts":
                schedule_after_crawl(self.archive, job, crawl, self.settings)
            log.warning("job failed", extra={**extra, "error": message})
            return
        if outcome == "drained":
            self._close_crawl(crawl, "stopped: daemon shutting down", job, crawl_id, status="interrupted")
            self.queue.hand_back(job_id, claim)
            log.info("job handed back", extra=extra)
            return
        reason = (f"timed out after {self.settings.job_timeout:.0f}s" if outcome == "timeout"
                  else _describe_exit(code if code is not None else -1))
        last = _last_line(log_path)
        if last and outcome != "timeout" and (code or 0) > 0:
            reason = f"{reason}: {last}"
        self._close_crawl(crawl, reason, job, crawl_id)
        failed = self.queue.fail(job_id, claim, reason, retry=True)
        if failed is not None and failed["status"] == "failed" and job.get("kind") != "crawl":
            schedule_after_crawl(self.archive, failed, None, self.settings)  # out of attempts: next step anyway
        log.warning("job attempt failed", extra={**extra, "error": reason})

    def _close_crawl(self, crawl: dict[str, Any] | None, reason: str, job: dict[str, Any] | None = None,
                     crawl_id: str | None = None, status: Literal["failed", "interrupted"] = "failed") -> None:
        close_crawl(self.archive, crawl, reason, job, crawl_id, status)

    def _link_source(self, job: dict[str, Any], crawl: dict[str, Any]) -> None:
        source_id, article_id = job.get("source_id"), crawl.get("article_id")
        if not source_id or not article_id:
            return
        link_source_article(self.archive, source_id, article_id)
