"""The daemon's drain never deadlocks with a scheduled job that is talking to the scheduler."""

from __future__ import annotations

import threading

from daemon_support import wait_for

from scheduler import daemon as daemon_module
from scheduler.daemon import Daemon


class _WatchedLock:
    """A lock that records when someone has to wait for it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.contended = threading.Event()

    def __enter__(self) -> _WatchedLock:
        if not self._lock.acquire(blocking=False):
            self.contended.set()
            self._lock.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self._lock.release()


def test_shutdown_waits_for_a_running_sources_sync_instead_of_deadlocking(receipts_env, monkeypatch) -> None:
    """APScheduler's shutdown holds its job-store lock while waiting for running jobs; a
    ``sources-sync`` job caught between reading the sources and asking the scheduler for its jobs
    used to wait for that lock forever, and ``receipts serve`` never exited after SIGTERM."""
    entered, release = threading.Event(), threading.Event()
    real_schedules = daemon_module.source_schedules

    def slow_schedules(archive):  # the sync job, paused after it took the sync lock
        entered.set()
        release.wait(60)
        return real_schedules(archive)

    monkeypatch.setattr(daemon_module, "source_schedules", slow_schedules)
    daemon = Daemon(workers=0)
    daemon.prepare()
    assert daemon.leadership.step() and daemon.is_leader()  # alone on its database: it leads, so it fires
    monkeypatch.setattr(daemon_module, "_current", daemon)
    lock = _WatchedLock()
    daemon._sync_lock = lock  # type: ignore[assignment]
    daemon.scheduler = daemon.build_scheduler()
    daemon.scheduler.start()
    real_shutdown = daemon.scheduler.shutdown
    shutdown_called = threading.Event()

    def watched_shutdown(wait: bool = True) -> None:
        shutdown_called.set()
        real_shutdown(wait)

    monkeypatch.setattr(daemon.scheduler, "shutdown", watched_shutdown)
    daemon.install_system_jobs()  # "sources-sync" runs at once, in the scheduler's thread pool
    wait_for(entered.is_set, 30, 0.05, "the sources-sync job to start")

    stopper = threading.Thread(target=daemon.shutdown, name="shutdown")
    stopper.start()
    # the drain has reached the point where it either waits for the sync or shuts the scheduler down
    wait_for(lambda: lock.contended.is_set() or shutdown_called.is_set(), 30, 0.02, "the drain to reach the scheduler")
    release.set()
    stopper.join(45)
    assert not stopper.is_alive(), "the daemon's drain deadlocked with the running sources-sync job"
    assert not daemon.scheduler.running

    daemon.sync_sources()  # after the drain a sync is a no-op, not a call into a stopped scheduler
    daemon.poll_now("srcnope")
