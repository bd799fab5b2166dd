"""Counts for ``/api/v1/stats`` and ``/metrics``: recent crawls, jobs and events, collection totals."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from receipts.db.archive import Archive


def crawls_started_since(archive: Archive, since: datetime) -> list[dict[str, Any]]:
    """Crawls started at or after *since* (``status``, ``stats`` and ``kind`` only)."""
    return list(archive.crawls.find({"started_at": {"$gte": since}}, {"status": 1, "stats": 1, "kind": 1}))


def jobs_finished_since(archive: Archive, since: datetime) -> list[dict[str, Any]]:
    """Jobs finished at or after *since* (``status`` only)."""
    return list(archive.jobs.find({"finished_at": {"$gte": since}}, {"status": 1}))


def events_since(archive: Archive, since: datetime) -> int:
    """How many events were recorded at or after *since*."""
    return archive.events.count_documents({"created_at": {"$gte": since}})


def totals(archive: Archive) -> dict[str, int]:
    """Estimated document counts of ``sources``, ``articles`` and ``posts`` (from collection metadata)."""
    return {"sources": archive.sources.estimated_document_count(),
            "articles": archive.articles.estimated_document_count(),
            "posts": archive.posts.estimated_document_count()}
