"""The functions APScheduler runs (stored by reference in ``apscheduler_jobs``, so keep the names)."""

from __future__ import annotations

import logging
from typing import Any

from receipts.db import get_database
from receipts.db.archive import Archive
from scheduler import rechecks, sources, webhooks
from scheduler.jobs import JobQueue

log = logging.getLogger(__name__)


def _archive() -> Archive:
    return Archive(get_database())


def poll_source(source_id: str) -> dict[str, Any]:
    summary = sources.poll(_archive(), source_id)
    if summary.get("queued"):
        from scheduler import daemon

        daemon.wake_workers()
    return summary


def recheck_sweep() -> dict[str, int]:
    archive = _archive()
    counts = rechecks.sweep(archive, JobQueue(archive))
    if counts["posts"] or counts["articles"]:
        from scheduler import daemon

        daemon.wake_workers()
    return counts


def deliver_webhooks() -> dict[str, int]:
    return webhooks.run(_archive())


def sync_sources() -> None:
    from scheduler import daemon

    daemon.sync_current()
