"""The re-check schedule's reads and writes: ``check_count`` / ``next_check_at`` on posts and articles."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from receipts.db.archive import Archive, set_fields

_SCHEDULE = {"first_seen_at": 1, "check_count": 1, "next_check_at": 1}


def check_state(archive: Archive, kind: Literal["post", "article"], subject_id: str) -> dict[str, Any] | None:
    """The post's or article's ``first_seen_at``, ``check_count`` and ``next_check_at`` (None if not stored)."""
    collection = archive.posts if kind == "post" else archive.articles
    return collection.find_one({"_id": subject_id}, _SCHEDULE)


def set_check(archive: Archive, kind: Literal["post", "article"], subject_id: str, fields: dict[str, Any]) -> None:
    if kind == "post":
        archive.update_post_fields(subject_id, fields)
    else:
        set_fields(archive.articles, subject_id, fields)


def due_post_ids(archive: Archive, now: datetime, limit: int) -> list[str]:
    """Posts whose re-check has come, the longest overdue first."""
    docs = archive.posts.find({"next_check_at": {"$lte": now}}, {"_id": 1}).sort([("next_check_at", 1)]).limit(limit)
    return [d["_id"] for d in docs]


def due_articles(archive: Archive, now: datetime, limit: int) -> list[dict[str, Any]]:
    """Articles (``_id``, ``url``) whose re-check has come, the longest overdue first."""
    docs = archive.articles.find({"next_check_at": {"$lte": now}}, {"_id": 1, "url": 1})
    return list(docs.sort([("next_check_at", 1)]).limit(limit))
