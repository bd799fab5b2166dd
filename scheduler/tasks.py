"""The functions APScheduler runs (stored by reference in ``apscheduler_jobs``, so keep the names).

Each survives a database outage: a :class:`~pymongo.errors.PyMongoError` is logged as one line, and
the task skips its next runs for a bounded, doubling backoff instead of failing every tick.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from pymongo.errors import PyMongoError

from receipts.db import get_database
from receipts.db.archive import Archive
from receipts.db.jobs import JobQueue
from scheduler import rechecks, sources, webhooks
from scheduler.backoff import Backoff

log = logging.getLogger(__name__)

T = TypeVar("T")
_backoffs: dict[str, tuple[Backoff, float]] = {}  # task → (backoff, monotonic time of the next try)
_backoff_lock = threading.Lock()


def survives_outages(fn: Callable[..., T]) -> Callable[..., T | None]:
    """Run *fn* unless it is backing off after a database error; None when skipped or failed."""
    @functools.wraps(fn)
    def run(*args: Any) -> T | None:
        key = f"{fn.__name__}:{args!r}"
        with _backoff_lock:
            backoff, next_try = _backoffs.get(key, (None, 0.0))
        if backoff is not None and time.monotonic() < next_try:
            return None
        try:
            result = fn(*args)
        except PyMongoError as exc:
            backoff = backoff or Backoff(base=1.0, cap=30.0)
            delay = backoff.next_delay()
            with _backoff_lock:
                _backoffs[key] = (backoff, time.monotonic() + delay)
            log.warning("scheduled task failed: database unavailable",
                        extra={"task": fn.__name__, "error": str(exc)[:200], "retry_in": round(delay, 2)})
            return None
        if backoff is not None:
            with _backoff_lock:
                _backoffs.pop(key, None)
        return result

    return run


def _archive() -> Archive:
    return Archive(get_database())


@survives_outages
def poll_source(source_id: str) -> dict[str, Any]:
    summary = sources.poll(_archive(), source_id)
    if summary.get("queued"):
        from scheduler import daemon

        daemon.wake_workers()
    return summary


@survives_outages
def recheck_sweep() -> dict[str, int]:
    archive = _archive()
    counts = rechecks.sweep(archive, JobQueue(archive))
    if counts["posts"] or counts["articles"]:
        from scheduler import daemon

        daemon.wake_workers()
    return counts


@survives_outages
def deliver_webhooks() -> dict[str, int]:
    return webhooks.run(_archive())


@survives_outages
def retry_timestamps() -> dict[str, int]:
    """Ask the TSAs again for pending RFC 3161 timestamps (issue 14)."""
    from receipts.evidence.timestamps import retry_pending
    from receipts.evidence.tsa import TsaConfig
    from receipts.settings import get_settings
    from scheduler import daemon

    settings = get_settings()
    return retry_pending(_archive(), TsaConfig.from_settings(settings), settings.warc_dir,
                         should_stop=lambda: daemon._current is None or daemon._current.draining)


@survives_outages
def sync_sources() -> None:
    from scheduler import daemon

    daemon.sync_current()
