"""The archive as the API, the web UI, the exports and Memento read it: documents, as stored.

Each function is one query (same filter, projection, sort and limit the callers used before);
lookups filter on the natural ``_id`` wherever one is known. Bodies are left out where a listing
never shows them (``raw`` of posts, ``body_text`` of articles).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Literal

from receipts.db.archive import Archive
from receipts.db.keys import END, SEP

ArticleKey = Literal["_id", "url", "canonical_url"]
CAPTURE_ORDER = [("fetched_at", 1), ("_id", 1)]
JOB_ORDER = [("created_at", -1), ("_id", -1)]
NO_RAW = {"raw": 0}
NO_BODY = {"body_text": 0}
MEMENTO_FIELDS = {"_id": 1, "fetched_at": 1, "body_sha256": 1, "target_type": 1}


# -- articles -----------------------------------------------------------------------------------
def article_doc(archive: Archive, value: str, *, by: ArticleKey = "_id",
                projection: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """The article whose *by* field (``_id`` = canonical URL, crawled ``url``, ``canonical_url``) is *value*."""
    return archive.articles.find_one({by: value}, projection)


def article_ids(archive: Archive) -> Iterator[str]:
    """Every article id, read lazily (stop early and the rest is never fetched)."""
    for doc in archive.articles.find({}, {"_id": 1}):
        yield doc["_id"]


def article_ids_for_url(archive: Archive, url: str) -> list[str]:
    """The ids of the articles stored under *url*, crawled from it or canonical at it (three indexed lookups)."""
    ids: list[str] = []
    for by in ("_id", "url", "canonical_url"):
        ids.extend(d["_id"] for d in archive.articles.find({by: url}, {"_id": 1}) if d["_id"] not in ids)
    return ids


def matching_article_ids(archive: Archive, query: dict[str, Any], limit: int) -> list[str]:
    """The ids of up to *limit* articles matching *query*."""
    return [d["_id"] for d in archive.articles.find(query, {"_id": 1}).limit(limit)]


def matching_articles(archive: Archive, query: dict[str, Any], sort: Sequence[tuple[str, int]],
                      limit: int | None = None) -> Iterator[dict[str, Any]]:
    """Article documents matching *query* in *sort* order, streamed (all of them unless *limit*)."""
    cursor = archive.articles.find(query).sort(list(sort))
    if limit:
        cursor = cursor.limit(limit)
    yield from cursor


def article_capture_ids(archive: Archive, url: str) -> list[str]:
    """The capture ids of the article stored under *url* (its id, else its crawled URL); [] when none."""
    article = article_doc(archive, url, projection={"capture_ids": 1}) or article_doc(
        archive, url, by="url", projection={"capture_ids": 1})
    return list(article.get("capture_ids") or []) if article else []


def citing_article_summaries(archive: Archive, article_ids: Iterable[str]) -> list[dict[str, Any]]:
    """The articles with these ids (one ``_id $in``, which nx-27017 answers from ``_id``; missing ones skipped),
    without their body text."""
    ids = sorted(set(article_ids))
    return list(archive.articles.find({"_id": {"$in": ids}}, NO_BODY)) if ids else []


def articles_referencing(archive: Archive, platform: str, post_id: str | None) -> list[dict[str, Any]]:
    """Articles whose references name the post (a scan of the references), without their body text."""
    query = {"references": {"$elemMatch": {"platform": platform, "post_id": post_id}}}
    return list(archive.articles.find(query, NO_BODY))


# -- posts --------------------------------------------------------------------------------------
def post_doc(archive: Archive, post_id: str) -> dict[str, Any] | None:
    return archive.posts.find_one({"_id": post_id})


def posts_by_ids(archive: Archive, post_ids: Sequence[str]) -> list[dict[str, Any]]:
    """The stored posts among *post_ids* (without ``raw``), in no particular order."""
    return list(archive.posts.find({"_id": {"$in": list(post_ids)}}, NO_RAW))


def posts_by_handle(archive: Archive, handle_lc: str) -> list[dict[str, Any]]:
    """Every post by the author with lower-cased handle *handle_lc* (without ``raw``)."""
    return list(archive.posts.find({"author.handle_lc": handle_lc}, NO_RAW))


# -- captures -----------------------------------------------------------------------------------
def capture_doc(archive: Archive, capture_id: str) -> dict[str, Any] | None:
    return archive.captures.find_one({"_id": capture_id})


def capture_docs_for(archive: Archive, target_id: str) -> list[dict[str, Any]]:
    """Every capture of *target_id*, oldest first."""
    return list(archive.captures.find({"target_id": target_id}).sort(CAPTURE_ORDER))


def capture_page(archive: Archive, target_id: str, after: str | None, limit: int) -> list[dict[str, Any]]:
    """Up to *limit* captures of *target_id*, oldest first, after the ``capture_key`` *after*: one range of
    the ``capture_key`` index (``<target_id> <time key> <_id>``)."""
    low, high = target_id + SEP, target_id + END
    if after is not None:
        low = max(low, after)
    query = {"capture_key": {"$gt": low, "$lt": high}}
    return list(archive.captures.find(query).sort([("capture_key", 1)]).limit(limit))


def capture_ids_for(archive: Archive, target_id: str) -> list[str]:
    return [c["_id"] for c in archive.captures.find({"target_id": target_id}, {"_id": 1})]


def captures_by_ids(archive: Archive, capture_ids: Sequence[str]) -> Iterator[dict[str, Any]]:
    """The captures with these ids, oldest first, streamed."""
    yield from archive.captures.find({"_id": {"$in": list(capture_ids)}}).sort(CAPTURE_ORDER)


def memento_captures(archive: Archive, query: dict[str, Any]) -> list[dict[str, Any]]:
    """Captures matching *query* with only what a TimeMap needs (id, time, body hash, target type)."""
    return list(archive.captures.find(query, MEMENTO_FIELDS))


def screenshot_capture(archive: Archive, sha256: str) -> dict[str, Any] | None:
    """A screenshot capture whose body is *sha256* (its ``content_type`` only)."""
    return archive.captures.find_one({"body_sha256": sha256, "target_type": "screenshot"}, {"content_type": 1})


# -- jobs, crawls, sources ----------------------------------------------------------------------
def job_doc(archive: Archive, job_id: str) -> dict[str, Any] | None:
    return archive.jobs.find_one({"_id": job_id})


def recent_jobs(archive: Archive, status: str | None, limit: int) -> Iterator[dict[str, Any]]:
    """Up to *limit* jobs, newest first, only those with *status* when given."""
    query = {"status": status} if status else {}
    yield from archive.jobs.find(query).sort(JOB_ORDER).limit(limit)


def crawls_by_ids(archive: Archive, crawl_ids: Sequence[str]) -> list[dict[str, Any]]:
    return list(archive.crawls.find({"_id": {"$in": list(crawl_ids)}}))


def source_doc(archive: Archive, source_id: str) -> dict[str, Any] | None:
    """The source with this id (no URL fallback: see :func:`receipts.db.sources.find_source` for that)."""
    return archive.sources.find_one({"_id": source_id})


# -- timestamps ---------------------------------------------------------------------------------
def timestamp_docs(archive: Archive, digests: Sequence[str]) -> list[dict[str, Any]]:
    """The RFC 3161 records kept for these digests (the ``timestamps`` collection, ``_id`` = digest; [] when
    none were recorded). One ``_id`` lookup each: an ``$in`` filter is a full scan on nx-27017."""
    if not digests or "timestamps" not in archive.db.list_collection_names():
        return []
    return [d for d in (archive.db["timestamps"].find_one({"_id": digest}) for digest in digests) if d]
