"""Reads for the researcher's desk (changes feed, outlet pages, job progress), on indexed fields only.

nx-27017 scans a collection for any filter it has no index for, so every query here filters and
sorts on an index from ``receipts.db.archive.INDEXES``: events by ``(type, created_at)``, articles by
``(domain, published_at)``, captures by ``crawl_id``, posts and articles by ``_id``.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from typing import Any

from receipts.db.archive import Archive

CHANGE_TYPES = ("post_deleted", "post_edited", "post_unavailable", "embed_removed")
# whole ``references``: nx-27017 does not project dotted paths (``references.post_id`` comes back empty)
OUTLET_FIELDS = {"_id": 1, "title": 1, "domain": 1, "published_at": 1, "first_seen_at": 1, "references": 1,
                 "cites_deleted": 1, "cites_edited": 1, "url": 1, "canonical_url": 1}
MAX_OUTLET_ARTICLES = 5000
MAX_DELETIONS = 20000


def change_events(archive: Archive, types: Sequence[str] = CHANGE_TYPES, limit: int = 200) -> list[dict[str, Any]]:
    """The newest *limit* events of *types*, newest first (one ``(type, created_at)`` index walk per type)."""
    per_type = [list(archive.events.find({"type": t}).sort([("created_at", -1), ("_id", -1)]).limit(limit))
                for t in types]
    merged = heapq.merge(*per_type, key=lambda d: (d.get("created_at"), d["_id"]), reverse=True)
    return list(merged)[:limit]


def posts_brief(archive: Archive, post_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """``{id: post}`` for the stored posts among *post_ids* (no raw JSON, no versions)."""
    ids = sorted(set(post_ids))
    if not ids:
        return {}
    fields = {"raw": 0, "versions": 0}
    return {d["_id"]: d for d in archive.posts.find({"_id": {"$in": ids}}, fields)}


def articles_brief(archive: Archive, article_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """``{id: article}`` (title, domain, dates) for the stored articles among *article_ids*."""
    ids = sorted(set(article_ids))
    if not ids:
        return {}
    fields = {"_id": 1, "title": 1, "domain": 1, "published_at": 1, "url": 1}
    return {d["_id"]: d for d in archive.articles.find({"_id": {"$in": ids}}, fields)}


def outlet_articles(archive: Archive, domain: str) -> list[dict[str, Any]]:
    """The articles of *domain* (the ``(domain, published_at)`` index), newest first, references' ids only."""
    cursor = archive.articles.find({"domain": domain}, OUTLET_FIELDS).sort([("domain", 1), ("published_at", -1)])
    return list(cursor.limit(MAX_OUTLET_ARTICLES))


def post_statuses(archive: Archive, post_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """``{id: {status, edited, is_edited, versions count}}`` for *post_ids* (an ``_id`` lookup)."""
    ids = sorted(set(post_ids))
    if not ids:
        return {}
    fields = {"_id": 1, "status": 1, "edited": 1, "is_edited": 1, "edit_ids": 1, "versions": 1}
    return {d["_id"]: d for d in archive.posts.find({"_id": {"$in": ids}}, fields)}


def crawl_progress(archive: Archive, crawl_id: str) -> dict[str, int]:
    """What a crawl has stored so far, from its captures (the ``crawl_id`` index): posts fetched and failed."""
    fetched: set[str] = set()
    failed: set[str] = set()
    fields = {"target_type": 1, "target_id": 1, "outcome": 1, "http_status": 1, "error": 1}
    for cap in archive.captures.find({"crawl_id": crawl_id}, fields):
        if cap.get("target_type") != "post":
            continue
        if cap.get("error") or (cap.get("outcome") or "").startswith("error"):
            failed.add(cap.get("target_id"))
        else:
            fetched.add(cap.get("target_id"))
    return {"fetched": len(fetched), "failed": len(failed - fetched)}


def deletion_seen(archive: Archive, post_ids: Iterable[str]) -> dict[str, Any]:
    """When each post's deletion was first seen: ``{post id: created_at of its first post_deleted event}``."""
    wanted = set(post_ids)
    if not wanted:
        return {}
    found: dict[str, Any] = {}
    events = archive.events.find({"type": "post_deleted"}, {"subject_id": 1, "created_at": 1})
    for ev in events.sort([("created_at", 1), ("_id", 1)]).limit(MAX_DELETIONS):
        sid = ev.get("subject_id")
        if sid in wanted and sid not in found:
            found[sid] = ev.get("created_at")
    return found


def archive_is_empty(archive: Archive) -> bool:
    """No articles and no posts (collection metadata counts: no scan)."""
    return archive.articles.estimated_document_count() == 0 and archive.posts.estimated_document_count() == 0
