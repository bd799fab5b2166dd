"""What an earlier crawl of an article left, as the runner hands it to the spider for a re-crawl.

:func:`recrawl_state` reads (never writes) the stored article, the last article capture that holds
a body (its validators ``ETag`` / ``Last-Modified`` and its body sha256), when each referenced post
was last fetched without error, and every media file those posts list that is stored by sha256
under that very source URL. The result is plain JSON-able data: the crawl components get it as a
spider argument and never read MongoDB themselves (``.importlinter``). :func:`record_article_check`
is the one write: an unchanged article's new capture appended as evidence that it was checked.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from receipts.db.archive import Archive
from receipts.models import Capture

HLS_TYPE = "application/vnd.apple.mpegurl"  # an HLS master is a structure of many files: always re-fetched
MEDIA_FIELDS = ("sha256", "content_type", "bytes", "width", "height", "duration_ms")


def _epoch(value: Any) -> float | None:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()
    if isinstance(value, str) and value:  # nx-27017 can hand a $set datetime back as a string
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()
    return None


def body_capture(archive: Archive, capture_ids: list[str]) -> Capture | None:
    """The newest of *capture_ids* that is a 200 with a stored body (a 304 check has none)."""
    for capture_id in reversed(capture_ids):
        doc = archive.captures.find_one({"_id": capture_id})
        if doc and doc.get("http_status") == 200 and doc.get("body_sha256"):
            return Capture.from_doc(doc)
    return None


def recrawl_state(archive: Archive, url: str) -> dict[str, Any]:
    """The earlier crawl's traces for a re-crawl of *url*; ``{}`` when the article was never archived."""
    article = archive.find_article(url)
    if article is None:
        return {}
    state: dict[str, Any] = {"article_id": article.id, "references": [], "posts": {}, "media": {}}
    capture = body_capture(archive, article.capture_ids)
    if capture is not None:
        headers = {k.lower(): v for k, v in capture.headers.items()}
        state.update(article_capture_id=capture.id, body_sha256=capture.body_sha256,
                     etag=headers.get("etag"), last_modified=headers.get("last-modified"))
    keys: list[str] = []
    for ref in article.references:
        if ref.post_id:
            key = f"{ref.platform}:{ref.post_id}"
            if key not in keys:
                keys.append(key)
                state["references"].append({"platform": ref.platform, "post_id": ref.post_id, "handle": ref.handle})
    if not keys:
        return state
    wanted: dict[str, dict[str, Any]] = {}  # sha256 → a media entry waiting for its media document
    urls: dict[str, list[str]] = {}
    for doc in archive.posts.find({"_id": {"$in": keys}}, {"status": 1, "last_error": 1, "last_checked_at": 1,
                                                            "media": 1}):
        ok = doc.get("status") != "error" and not doc.get("last_error")
        state["posts"][doc["_id"]] = {"checked_at": _epoch(doc.get("last_checked_at")), "ok": ok}
        for media in doc.get("media") or []:
            sha256, source = media.get("sha256"), media.get("source_url")
            if not sha256 or not source or media.get("status") != "stored" or media.get("content_type") == HLS_TYPE:
                continue
            wanted[sha256] = {k: media.get(k) for k in MEDIA_FIELDS}
            urls.setdefault(sha256, []).append(source)
    if wanted:
        for doc in archive.media.find({"_id": {"$in": list(wanted)}}, {"source_urls": 1}):
            served = set(doc.get("source_urls") or [])
            for source in urls.get(doc["_id"], []):
                if source in served:  # these bytes were fetched from this very URL
                    state["media"][source] = wanted[doc["_id"]]
    return state


def record_article_check(archive: Archive, article_id: str, capture_id: str | None) -> bool:
    """An unchanged article was checked: append the check's capture and stamp ``last_checked_at``.

    Nothing else of the article is rewritten (its body, references and ``last_crawled_at`` stay as the
    crawl that read the body left them). False when the article is not stored.
    """
    doc = archive.articles.find_one({"_id": article_id})
    if doc is None:
        return False
    captures = list(doc.get("capture_ids") or [])
    if capture_id and capture_id not in captures:
        captures.append(capture_id)
    doc.update(capture_ids=captures, last_checked_at=datetime.now(UTC))
    archive.articles.replace_one({"_id": article_id}, doc)
    return True
