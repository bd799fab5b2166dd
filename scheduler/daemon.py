"""``receipts serve``: the HTTP API, APScheduler (jobs persisted in MongoDB) and the worker pool.

APScheduler keeps one interval job per source (``source:<id>``) plus three system jobs — the
re-check sweep, webhook delivery and the source sync that reconciles ``sources`` with the
scheduled polls — in the ``apscheduler_jobs`` collection, so a restarted daemon resumes every
schedule where it was. SIGTERM/SIGINT stop the API, let running crawls finish for a grace
period and hand the rest back to the queue.

Many daemons on one database (issue 15): every daemon works the shared job queue (leased, see
:mod:`receipts.db.jobs`), but APScheduler 3 must not have several schedulers firing one job store.
So every daemon starts its scheduler on the shared store, and only the leader's fires: the
scheduler's pass (:meth:`ResilientScheduler._process_jobs`) first asks :class:`scheduler.leader.Leadership`
and does nothing on the others, which keep their scheduler only to edit the store (``poll_now`` from
their API). The leader alone installs the system jobs and syncs sources; when it dies, the next leader's
first pass finds every job that fell due meanwhile and fires it once (``coalesce``). A leader that
cannot renew its lease stops firing a safety margin before the lease ends, so two never fire at once.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from datetime import timedelta
from threading import TIMEOUT_MAX
from typing import Any, Protocol

import pymongo
from apscheduler.jobstores.base import JobLookupError
from apscheduler.jobstores.mongodb import MongoDBJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_STOPPED
from apscheduler.triggers.interval import IntervalTrigger

from receipts.db import embedded_server, get_database, mongodb_uri
from receipts.db.archive import Archive
from receipts.db.hostgate import parse_budgets
from receipts.db.jobs import ensure_job_indexes
from receipts.db.sources import SourceError, parse_every, source_schedules, update_source
from receipts.models import utcnow
from receipts.private import private_dir
from receipts.settings import Settings, get_settings
from scheduler.backoff import Backoff
from scheduler.leader import Leadership
from scheduler.worker import DB_BACKOFF_CAP, WorkerPool

log = logging.getLogger(__name__)

APS_COLLECTION = "apscheduler_jobs"
SOURCE_JOB_PREFIX = "source:"
SYSTEM_JOBS = {"recheck-sweep": "scheduler.tasks:recheck_sweep",
               "webhooks": "scheduler.tasks:deliver_webhooks",
               "sources-sync": "scheduler.tasks:sync_sources",
               "timestamps": "scheduler.tasks:retry_timestamps"}
MAX_DRAIN_SECONDS = 25.0

_current: Daemon | None = None


def wake_workers() -> None:
    if _current is not None:
        _current.pool.wake()


def sync_current() -> None:
    if _current is not None:
        _current.sync_sources()


class Server(Protocol):
    """What the daemon needs of its HTTP server (uvicorn's ``Server``)."""

    started: bool

    def run(self) -> None: ...


class ResilientScheduler(BackgroundScheduler):
    """APScheduler 3's background loop, kept alive through job-store (database) errors.

    APScheduler guards only ``get_due_jobs``; an error in ``update_job`` or ``get_next_run_time``
    (the database went away mid-pass) would end its thread for good while ``running`` stays true.
    *may_fire* (the daemon's leadership) gates every pass: a daemon that does not lead fires nothing.
    """

    may_fire: Callable[[], bool] | None = None
    idle_wait: float = 1.0

    def _process_jobs(self) -> float | None:
        if self.may_fire is not None and not self.may_fire():
            return self.idle_wait  # woken at once when this daemon gains the lead
        return super()._process_jobs()

    def _main_loop(self) -> None:
        wait_seconds: float | None = TIMEOUT_MAX
        backoff = Backoff(base=0.5, cap=DB_BACKOFF_CAP)
        while self.state != STATE_STOPPED:
            self._event.wait(wait_seconds)
            self._event.clear()
            try:
                wait_seconds = self._process_jobs()
                backoff.reset()
            except Exception as exc:  # a pass failed (database gone mid-pass): the next one retries
                wait_seconds = backoff.next_delay()
                log.warning("scheduler pass failed; retrying",
                            extra={"error": f"{exc.__class__.__name__}: {str(exc)[:200]}",
                                   "retry_in": round(wait_seconds, 2)})

    @property
    def loop_alive(self) -> bool:
        thread = getattr(self, "_thread", None)
        return thread is not None and thread.is_alive()


class Daemon:
    def __init__(self, host: str | None = None, port: int | None = None, workers: int | None = None,
                 settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()
        self.host = host or self.settings.api_host
        self.port = port if port is not None else self.settings.api_port
        self.archive = Archive(get_database(self.settings))
        self.pool = WorkerPool(self.settings.workers if workers is None else workers, self.settings)
        self.scheduler: BackgroundScheduler | None = None
        self.draining = False
        self._sync_lock = threading.Lock()
        self.db_server = "ok"  # the embedded server as last checked by the supervisor
        self._stopped = threading.Event()
        self._supervisor: threading.Thread | None = None
        self.leadership = Leadership(self.archive.db, self.settings.leader_lease, on_change=self._on_leadership,
                                     info={"host": self.host, "port": self.port, "workers": self.pool.size})

    def is_leader(self) -> bool:
        return self.leadership.is_leader()

    def _on_leadership(self, leading: bool) -> None:
        """Gained the lead: own the system jobs and the source schedule, and fire what is due now."""
        if not leading or self.scheduler is None or self.draining:
            return
        self.install_system_jobs()
        self.sync_sources()
        self.scheduler.wakeup()

    # -- scheduler -----------------------------------------------------------------------------
    def build_scheduler(self) -> BackgroundScheduler:
        client: pymongo.MongoClient = pymongo.MongoClient(mongodb_uri(self.settings), tz_aware=True,
                                                          serverSelectionTimeoutMS=5000)
        store = MongoDBJobStore(database=self.settings.db_name, collection=APS_COLLECTION, client=client)
        scheduler = ResilientScheduler(
            jobstores={"default": store}, timezone="UTC",
            jobstore_retry_interval=min(10.0, max(1.0, 2 * self.settings.scheduler_tick)),
            executors={"default": {"type": "threadpool", "max_workers": 8}},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None})
        scheduler.may_fire = self.is_leader
        scheduler.idle_wait = max(0.1, min(1.0, self.settings.scheduler_tick))
        return scheduler

    def install_system_jobs(self) -> None:
        assert self.scheduler is not None
        tick = max(0.1, self.settings.scheduler_tick)
        existing = {job.id: job for job in self.scheduler.get_jobs()}
        for job_id, func in SYSTEM_JOBS.items():
            job = existing.get(job_id)
            if job is not None and getattr(job.trigger, "interval", None) == timedelta(seconds=tick):
                continue
            self.scheduler.add_job(func, IntervalTrigger(seconds=tick), id=job_id, name=job_id,
                                   replace_existing=True, next_run_time=utcnow())

    def sync_sources(self) -> None:
        """Make the scheduled polls match ``sources``: add new, re-time changed, drop removed."""
        with self._sync_lock:
            if self.scheduler is None or self.draining:  # see shutdown(): no scheduler calls once draining
                return
            if not self.is_leader():  # the leader owns the schedule (its sources-sync runs every tick)
                return
            wanted: dict[str, tuple[dict[str, Any], timedelta]] = {}
            for doc in source_schedules(self.archive):
                try:
                    every = timedelta(seconds=parse_every(doc["every"] if doc.get("every") is not None else 900))
                except SourceError as exc:
                    self._reject_source(doc, str(exc))
                    continue
                wanted[f"{SOURCE_JOB_PREFIX}{doc['_id']}"] = (doc, every)
            scheduled = {j.id: j for j in self.scheduler.get_jobs() if j.id.startswith(SOURCE_JOB_PREFIX)}
            for job_id, (doc, every) in wanted.items():
                job = scheduled.get(job_id)
                if job is None:
                    self.scheduler.add_job("scheduler.tasks:poll_source", IntervalTrigger(seconds=every.total_seconds()),
                                           args=[doc["_id"]], id=job_id, name=job_id, replace_existing=True,
                                           next_run_time=utcnow())
                    log.info("source scheduled", extra={"source_id": doc["_id"], "every": every.total_seconds()})
                elif getattr(job.trigger, "interval", None) != every:
                    self.scheduler.reschedule_job(job_id, trigger=IntervalTrigger(seconds=every.total_seconds()))
            for job_id in set(scheduled) - set(wanted):
                self.scheduler.remove_job(job_id)
                log.info("source unscheduled", extra={"job": job_id})

    def _reject_source(self, doc: dict[str, Any], reason: str) -> None:
        """A stored source that cannot be scheduled: log it and mark it on the source, once."""
        message = f"not scheduled: {reason}"
        if doc.get("last_error") == message:
            return
        log.error("source skipped", extra={"source_id": doc["_id"], "error": reason})
        update_source(self.archive, doc["_id"], {"last_error": message})

    def poll_now(self, source_id: str) -> None:
        if self.scheduler is None or self.draining:
            return
        self.sync_sources()
        try:
            self.scheduler.modify_job(f"{SOURCE_JOB_PREFIX}{source_id}", next_run_time=utcnow())
        except JobLookupError:  # not schedulable (its last_error says why)
            return
        self.scheduler.wakeup()

    # -- the embedded database -----------------------------------------------------------------
    def start_supervisor(self) -> None:
        """Watch the embedded nx-27017 (when this daemon uses it) and restart it when it died."""
        server = embedded_server(self.settings)
        if server is None:
            return

        def watch() -> None:
            interval = min(2.0, max(0.2, self.settings.scheduler_tick))
            backoff = Backoff(base=interval, cap=DB_BACKOFF_CAP)
            delay = interval
            while not self._stopped.wait(delay):
                try:
                    server.revive()
                    self.db_server = f"moved to {server.moved_to}; restart the daemon" if server.moved_to else "ok"
                    backoff.reset()
                    delay = interval
                except Exception as exc:  # EmbeddedDatabaseError, OSError, a torn state file: keep watching
                    self.db_server = f"restarting: {exc}"[:200]
                    delay = backoff.next_delay()
                    log.error("embedded database restart failed", extra={"error": str(exc)[:200],
                                                                        "retry_in": round(delay, 2)})

        self._supervisor = threading.Thread(target=watch, name="db-supervisor", daemon=True)
        self._supervisor.start()

    def health(self) -> dict[str, Any]:
        running = bool(self.scheduler and self.scheduler.running)
        if running and isinstance(self.scheduler, ResilientScheduler) and not self.scheduler.loop_alive:
            running = False
        extra: dict[str, Any] = {} if self._supervisor is None else {"database_server": self.db_server}
        return {**extra, "cluster": self.leadership.view(),
                "scheduler": "draining" if self.draining else ("ok" if running else "stopped"),
                "workers": "draining" if self.draining else (
                    "ok" if self.pool.alive() == self.pool.size else f"{self.pool.alive()}/{self.pool.size} alive"),
                "workers_busy": self.pool.busy_count}

    # -- running -------------------------------------------------------------------------------
    def prepare(self) -> None:
        """The data directory made private and the indexes in place (before anything is written)."""
        private_dir(self.settings.data_dir)
        parse_budgets(self.settings.host_budgets)  # a bad RECEIPTS_HOST_BUDGETS stops the start, not every crawl
        self.archive.ensure_indexes()
        ensure_job_indexes(self.archive)

    def run(self, make_server: Callable[[Daemon], Server]) -> int:
        """Run until SIGTERM/SIGINT; *make_server* (from the front door) builds the HTTP server to serve."""
        global _current
        self.prepare()
        _current = self
        stop = threading.Event()

        def _on_signal(signum: int, frame: Any) -> None:  # uvicorn restores and re-raises to this
            stop.set()

        signal.signal(signal.SIGTERM, _on_signal)
        signal.signal(signal.SIGINT, _on_signal)
        self.scheduler = self.build_scheduler()
        self.scheduler.start()
        self.leadership.start()  # the leader installs the system jobs and syncs the sources
        self.pool.start()
        self.start_supervisor()
        server = make_server(self)
        log.info("daemon started", extra={"host": self.host, "port": self.port, "workers": self.pool.size,
                                          "tick": self.settings.scheduler_tick})
        try:
            server.run()
        finally:
            self.shutdown()
            _current = None
        return 0 if server.started else 1

    def shutdown(self) -> None:
        self.draining = True
        grace = min(self.settings.job_timeout, MAX_DRAIN_SECONDS)
        log.info("draining", extra={"grace_seconds": grace, "busy": self.pool.busy_count})
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.pause()
        self.leadership.stop(release=True)  # another daemon takes the schedule over at once
        self.pool.drain(grace)
        # APScheduler's shutdown holds its job-store lock while it waits for running jobs; a
        # ``sources-sync`` job mid-way would then wait for that lock forever. Let it finish first
        # (it holds ``_sync_lock``); later ones see ``draining`` and return at once.
        with self._sync_lock:
            pass
        if self.scheduler is not None and self.scheduler.running:
            logging.getLogger("apscheduler.scheduler").setLevel(logging.ERROR)  # "client closed" noise
            self.scheduler.shutdown(wait=True)
        self._stopped.set()  # the database is watched until the crawls are handed back
        if self._supervisor is not None:
            self._supervisor.join(35)
        log.info("daemon stopped")
