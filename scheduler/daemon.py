"""``receipts serve``: the HTTP API, APScheduler (jobs persisted in MongoDB) and the worker pool.

APScheduler keeps one interval job per source (``source:<id>``) plus three system jobs — the
re-check sweep, webhook delivery and the source sync that reconciles ``sources`` with the
scheduled polls — in the ``apscheduler_jobs`` collection, so a restarted daemon resumes every
schedule where it was. SIGTERM/SIGINT stop the API, let running crawls finish for a grace
period and hand the rest back to the queue.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from datetime import timedelta
from typing import Any

import pymongo
from apscheduler.jobstores.mongodb import MongoDBJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from receipts.db import get_database, mongodb_uri
from receipts.db.archive import Archive
from receipts.models import utcnow
from receipts.settings import Settings, get_settings
from scheduler.jobs import ensure_job_indexes
from scheduler.worker import WorkerPool

log = logging.getLogger(__name__)

APS_COLLECTION = "apscheduler_jobs"
SOURCE_JOB_PREFIX = "source:"
SYSTEM_JOBS = {"recheck-sweep": "scheduler.tasks:recheck_sweep",
               "webhooks": "scheduler.tasks:deliver_webhooks",
               "sources-sync": "scheduler.tasks:sync_sources"}
MAX_DRAIN_SECONDS = 25.0

_current: Daemon | None = None


def wake_workers() -> None:
    if _current is not None:
        _current.pool.wake()


def sync_current() -> None:
    if _current is not None:
        _current.sync_sources()


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

    # -- scheduler -----------------------------------------------------------------------------
    def build_scheduler(self) -> BackgroundScheduler:
        client: pymongo.MongoClient = pymongo.MongoClient(mongodb_uri(self.settings), tz_aware=True,
                                                          serverSelectionTimeoutMS=5000)
        store = MongoDBJobStore(database=self.settings.db_name, collection=APS_COLLECTION, client=client)
        return BackgroundScheduler(
            jobstores={"default": store}, timezone="UTC",
            executors={"default": {"type": "threadpool", "max_workers": 8}},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None})

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
        if self.scheduler is None:
            return
        with self._sync_lock:
            wanted = {f"{SOURCE_JOB_PREFIX}{d['_id']}": d for d in self.archive.sources.find({}, {"every": 1})}
            scheduled = {j.id: j for j in self.scheduler.get_jobs() if j.id.startswith(SOURCE_JOB_PREFIX)}
            for job_id, doc in wanted.items():
                every = timedelta(seconds=float(doc.get("every") or 900))
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

    def poll_now(self, source_id: str) -> None:
        if self.scheduler is None:
            return
        self.sync_sources()
        self.scheduler.modify_job(f"{SOURCE_JOB_PREFIX}{source_id}", next_run_time=utcnow())
        self.scheduler.wakeup()

    def health(self) -> dict[str, Any]:
        running = bool(self.scheduler and self.scheduler.running)
        return {"scheduler": "draining" if self.draining else ("ok" if running else "stopped"),
                "workers": "draining" if self.draining else (
                    "ok" if self.pool.alive() == self.pool.size else f"{self.pool.alive()}/{self.pool.size} alive"),
                "workers_busy": self.pool.busy_count}

    # -- running -------------------------------------------------------------------------------
    def run(self) -> int:
        global _current
        from receipts.api.app import create_app
        from receipts.api.auth import ensure_token, token_path
        from receipts.api.server import make_server

        self.archive.ensure_indexes()
        ensure_job_indexes(self.archive)
        token, generated = ensure_token(self.settings)
        if generated:
            sys.stderr.write(f"receipts: generated API token (stored in {token_path(self.settings)}): {token}\n")
            sys.stderr.flush()
        _current = self
        stop = threading.Event()

        def _on_signal(signum: int, frame: Any) -> None:  # uvicorn restores and re-raises to this
            stop.set()

        signal.signal(signal.SIGTERM, _on_signal)
        signal.signal(signal.SIGINT, _on_signal)
        self.scheduler = self.build_scheduler()
        self.scheduler.start()
        self.install_system_jobs()
        self.sync_sources()
        self.pool.start()
        app = create_app(daemon=self, archive=self.archive)
        server = make_server(app, self.host, self.port, self.settings)  # header/body/handler deadlines
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
        self.pool.drain(grace)
        if self.scheduler is not None and self.scheduler.running:
            logging.getLogger("apscheduler.scheduler").setLevel(logging.ERROR)  # "client closed" noise
            self.scheduler.shutdown(wait=True)
        log.info("daemon stopped")
