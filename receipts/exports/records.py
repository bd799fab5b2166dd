"""The public JSON shapes of articles, posts, references, captures, jobs, crawls, sources and events, and
the flat export row.

Used by the API, the web UI, the CLI and every export, so one article (or job) looks the same
everywhere. Dates are ISO 8601 UTC strings with ``Z``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from receipts.db.archive import Archive
from receipts.db.dates import as_utc, is_date_string, pushed_items
from receipts.db.reads import articles_referencing, citing_article_summaries, crawls_by_ids, posts_by_ids
from receipts.db.sources import every_seconds
from receipts.queries import short_id

MEDIA_TYPES_SHOWN = ("photo", "video", "animated_gif", "hls", "poster", "card_image")


def iso(value: Any) -> str | None:
    """A stored date (datetime or nx-27017 date string) as ISO 8601 UTC with ``Z``; None otherwise."""
    moment = as_utc(value)
    return moment.isoformat().replace("+00:00", "Z") if moment is not None else None


def plain(value: Any) -> Any:
    """BSON-ish values → JSON: datetimes as ISO 8601 UTC, recursively."""
    if isinstance(value, datetime) or is_date_string(value):
        return iso(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def post_state(post: dict[str, Any] | None) -> str:
    """What a reader should see on a badge: live, deleted, edited, unavailable (or unresolved)."""
    if post is None:
        return "unresolved"
    status = post.get("status")
    if status == "deleted":
        return "deleted"
    if status in ("unavailable", "error"):
        return "unavailable"
    if is_edited(post):
        return "edited"
    return "live"


def is_edited(post: dict[str, Any]) -> bool:
    return post.get("is_edited") is True or len(post.get("versions") or []) > 1 or len(post.get("edit_ids") or []) > 1


def media_json(m: dict[str, Any]) -> dict[str, Any]:
    sha = m.get("sha256")
    return {"type": m.get("type"), "source_url": m.get("source_url"), "sha256": sha,
            "content_type": m.get("content_type"), "bytes": m.get("bytes"), "width": m.get("width"),
            "height": m.get("height"), "duration_ms": m.get("duration_ms"), "alt_text": m.get("alt_text"),
            "status": m.get("status"), "href": f"/api/v1/media/{sha}" if sha else None}


def post_summary(doc: dict[str, Any]) -> dict[str, Any]:
    author = doc.get("author") or {}
    return {
        "id": doc["_id"], "platform": doc.get("platform"), "post_id": doc.get("post_id"), "url": doc.get("url"),
        "author": {"id": author.get("id"), "handle": author.get("handle"), "name": author.get("name"),
                   "verified": author.get("verified")},
        "text": doc.get("text"), "lang": doc.get("lang"), "created_at": iso(doc.get("created_at")),
        "status": doc.get("status"), "state": post_state(doc), "status_reason": doc.get("status_reason"),
        "is_edited": is_edited(doc), "route": doc.get("route"),
        "media": [media_json(m) for m in doc.get("media") or [] if m.get("type") in MEDIA_TYPES_SHOWN],
        "screenshot_sha256": doc.get("screenshot_sha256"),
        "quoted_post_id": doc.get("quoted_post_id"), "reply_to_post_id": doc.get("reply_to_post_id"),
        "first_seen_at": iso(doc.get("first_seen_at")), "last_checked_at": iso(doc.get("last_checked_at")),
        "last_error": doc.get("last_error"), "metrics": doc.get("metrics") or {},
        "version_count": len(doc.get("versions") or []),
    }


def post_detail(doc: dict[str, Any]) -> dict[str, Any]:
    out = post_summary(doc)
    out["versions"] = [plain({k: v for k, v in ver.items()}) for ver in pushed_items(doc.get("versions"))]
    out["edit_ids"] = doc.get("edit_ids") or []
    out["card"] = plain(doc.get("card"))
    out["reply_to_handle"] = doc.get("reply_to_handle")
    return out


def article_summary(doc: dict[str, Any]) -> dict[str, Any]:
    refs = doc.get("references") or []
    return {
        "id": doc["_id"], "short_id": short_id(doc["_id"]), "url": doc.get("url"),
        "canonical_url": doc.get("canonical_url"), "domain": doc.get("domain"), "title": doc.get("title"),
        "byline": doc.get("byline"), "published_at": iso(doc.get("published_at")),
        "modified_at": iso(doc.get("modified_at")), "language": doc.get("language"),
        "first_seen_at": iso(doc.get("first_seen_at")), "last_crawled_at": iso(doc.get("last_crawled_at")),
        "reference_count": len(refs), "cites_deleted": bool(doc.get("cites_deleted")),
        "cites_edited": bool(doc.get("cites_edited")),
    }


def reference_json(ref: dict[str, Any], post: dict[str, Any] | None) -> dict[str, Any]:
    """A reference joined with its post's current state (``post`` is None when unresolved or missing)."""
    return {
        "platform": ref.get("platform"), "post_id": ref.get("post_id"), "kind": ref.get("kind"),
        "url": ref.get("url"), "handle": ref.get("handle"), "display_name": ref.get("display_name"),
        "displayed_text": ref.get("displayed_text"), "displayed_date": ref.get("displayed_date"),
        "offsets": list(ref["offsets"]) if ref.get("offsets") else None, "in_body": ref.get("in_body"),
        "variant": ref.get("variant"), "status": ref.get("status"), "error": ref.get("error"),
        "screenshot_sha256": ref.get("screenshot_sha256"), "quote_check": plain(ref.get("quote_check")),
        "resolution": plain(ref.get("resolution")), "unresolved_reason": ref.get("unresolved_reason"),
        "skipped_reason": ref.get("skipped_reason"),
        "state": post_state(post) if ref.get("post_id") else "unresolved",
        "post": post_summary(post) if post else None,
    }


def posts_by_ref(archive: Archive, refs: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    ids = sorted({f"{r.get('platform') or 'x'}:{r['post_id']}" for r in refs if r.get("post_id")})
    if not ids:
        return {}
    return {d["_id"]: d for d in posts_by_ids(archive, ids)}


def _ref_post(posts: dict[str, dict[str, Any]], ref: dict[str, Any]) -> dict[str, Any] | None:
    return posts.get(f"{ref.get('platform') or 'x'}:{ref['post_id']}") if ref.get("post_id") else None


def article_detail(archive: Archive, doc: dict[str, Any]) -> dict[str, Any]:
    refs = doc.get("references") or []
    posts = posts_by_ref(archive, refs)
    out = article_summary(doc)
    out["body_text"] = doc.get("body_text") or ""
    out["capture_ids"] = doc.get("capture_ids") or []
    out["references"] = [reference_json(r, _ref_post(posts, r)) for r in refs]
    return out


def capture_json(doc: dict[str, Any]) -> dict[str, Any]:
    sha = doc.get("body_sha256")
    return {
        "id": doc["_id"], "crawl_id": doc.get("crawl_id"), "target_type": doc.get("target_type"),
        "target_id": doc.get("target_id"), "route": doc.get("route"), "requested_url": doc.get("requested_url"),
        "fetched_url": doc.get("fetched_url"), "method": doc.get("method"), "fetched_at": iso(doc.get("fetched_at")),
        "http_status": doc.get("http_status"), "content_type": doc.get("content_type"), "body_sha256": sha,
        "body_size": doc.get("body_size"), "outcome": doc.get("outcome"), "error": doc.get("error"),
        "warc_file": doc.get("warc_file"), "warc_record_id": doc.get("warc_record_id"),
        "body_href": f"/api/v1/captures/{doc['_id']}/body" if sha else None,
    }


def articles_citing_post(archive: Archive, post: dict[str, Any]) -> list[dict[str, Any]]:
    """The articles citing *post*: by its ``cited_by`` list (kept by the crawls, an ``_id`` lookup each),
    else — for posts archived before ``cited_by`` existed — by scanning the references."""
    ids = post.get("cited_by")
    if ids:
        docs = citing_article_summaries(archive, ids)
    else:
        docs = articles_referencing(archive, post.get("platform") or "x", post.get("post_id"))
    docs.sort(key=lambda d: d.get("first_seen_at") or 0, reverse=True)
    return [article_summary(d) for d in docs]


# -- jobs, crawls and sources ------------------------------------------------------------------
def _seconds(start: Any, end: Any) -> float | None:
    start, end = as_utc(start), as_utc(end)
    return round((end - start).total_seconds(), 3) if start is not None and end is not None else None


def crawl_summary(doc: dict[str, Any]) -> dict[str, Any]:
    return {"id": doc["_id"], "kind": doc.get("kind"), "status": doc.get("status"), "article_id": doc.get("article_id"),
            "started_at": iso(doc.get("started_at")), "finished_at": iso(doc.get("finished_at")),
            "stats": plain(doc.get("stats") or {}), "errors": plain(pushed_items(doc.get("errors"))),
            "post_ids": doc.get("post_ids") or []}


def job_json(job: dict[str, Any], archive: Archive | None = None) -> dict[str, Any]:
    """The public shape of a job; with *archive*, its crawls are included."""
    out: dict[str, Any] = {
        "id": job["_id"], "kind": job.get("kind"), "url": job.get("url"), "status": job.get("status"),
        "priority": job.get("priority"), "origin": job.get("origin"), "source_id": job.get("source_id"),
        "attempts": job.get("attempts", 0), "max_attempts": job.get("max_attempts"),
        "created_at": iso(job.get("created_at")), "started_at": iso(job.get("started_at")),
        "finished_at": iso(job.get("finished_at")), "not_before": iso(job.get("not_before")),
        "lease_until": iso(job.get("lease_until")), "worker": job.get("worker"),
        "timings": {"queued_seconds": _seconds(job.get("created_at"), job.get("started_at")),
                    "run_seconds": _seconds(job.get("started_at"), job.get("finished_at"))},
        "crawl_ids": job.get("crawl_ids") or [], "article_id": job.get("article_id"),
        "post_ids": job.get("post_ids") or [], "stats": plain(job.get("stats") or {}),
        "errors": plain(job.get("errors") or []),
    }
    if archive is not None and out["crawl_ids"]:
        docs = {d["_id"]: d for d in crawls_by_ids(archive, out["crawl_ids"])}
        out["crawls"] = [crawl_summary(docs[c]) for c in out["crawl_ids"] if c in docs]
        last = out["crawls"][-1] if out["crawls"] else None
        if last is not None:
            out["crawl_status"] = last["status"]
            out["crawl_errors"] = last["errors"]
    return out


def redact_url(url: str | None) -> str | None:
    """A webhook URL without its secrets: ``https://hooks.example/…`` (no user info, path or query)."""
    if not url:
        return url
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}/…" if host else "…"


def source_json(doc: dict[str, Any], reveal: bool = True) -> dict[str, Any]:
    """The public shape of a source; webhook URLs (which carry secrets) only when *reveal*."""
    webhook = doc.get("webhook_url")
    return {"id": doc["_id"], "url": doc.get("url"), "name": doc.get("name"), "kind": doc.get("kind"),
            "every_seconds": every_seconds(doc), "webhook_url": webhook if reveal else redact_url(webhook),
            "webhook_redacted": bool(webhook) and not reveal,
            "created_at": iso(doc.get("created_at")), "last_polled_at": iso(doc.get("last_polled_at")),
            "last_status": doc.get("last_status"), "last_error": doc.get("last_error"),
            "polls": doc.get("polls", 0), "not_modified": doc.get("not_modified", 0), "queued": doc.get("queued", 0)}


def event_json(event: dict[str, Any]) -> dict[str, Any]:
    """The public shape of an event (API, CLI and webhooks)."""
    return {"id": event["_id"], "type": event.get("type"), "subject_id": event.get("subject_id"),
            "created_at": plain(event.get("created_at")), "data": plain(event.get("data") or {})}


# -- the flat row: one per reference ------------------------------------------------------------
ROW_COLUMNS = [
    "article_id", "article_short_id", "article_url", "article_canonical_url", "article_domain", "article_title",
    "article_byline", "article_published_at", "article_language", "article_first_seen_at",
    "article_cites_deleted", "article_cites_edited", "article_reference_count",
    "ref_index", "ref_kind", "ref_platform", "ref_post_id", "ref_url", "ref_handle", "ref_display_name",
    "ref_displayed_text", "ref_displayed_date", "ref_status", "ref_state", "ref_in_body", "ref_offset_start",
    "ref_offset_end", "ref_screenshot_sha256", "ref_quote_verdict", "ref_quote_similarity",
    "ref_unresolved_reason",
    "post_id", "post_url", "post_author_id", "post_author_handle", "post_author_name", "post_text", "post_lang",
    "post_created_at", "post_status", "post_status_reason", "post_is_edited", "post_version_count",
    "post_media_count", "post_media_sha256", "post_screenshot_sha256", "post_first_seen_at",
    "post_last_checked_at",
]


def flat_rows(archive: Archive, doc: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """One row per reference of article *doc* (one row with empty ``ref_*``/``post_*`` when it has none)."""
    art = article_summary(doc)
    base = {
        "article_id": art["id"], "article_short_id": art["short_id"], "article_url": art["url"],
        "article_canonical_url": art["canonical_url"], "article_domain": art["domain"],
        "article_title": art["title"], "article_byline": art["byline"], "article_published_at": art["published_at"],
        "article_language": art["language"], "article_first_seen_at": art["first_seen_at"],
        "article_cites_deleted": art["cites_deleted"], "article_cites_edited": art["cites_edited"],
        "article_reference_count": art["reference_count"],
    }
    refs = doc.get("references") or []
    posts = posts_by_ref(archive, refs)
    if not refs:
        yield {c: base.get(c) for c in ROW_COLUMNS}
        return
    for i, ref in enumerate(refs):
        post = _ref_post(posts, ref)
        r = reference_json(ref, post)
        qc = r["quote_check"] or {}
        offsets = r["offsets"] or [None, None]
        row = {**base, "ref_index": i, "ref_kind": r["kind"], "ref_platform": r["platform"],
               "ref_post_id": r["post_id"], "ref_url": r["url"], "ref_handle": r["handle"],
               "ref_display_name": r["display_name"], "ref_displayed_text": r["displayed_text"],
               "ref_displayed_date": r["displayed_date"], "ref_status": r["status"], "ref_state": r["state"],
               "ref_in_body": r["in_body"], "ref_offset_start": offsets[0], "ref_offset_end": offsets[1],
               "ref_screenshot_sha256": r["screenshot_sha256"], "ref_quote_verdict": qc.get("verdict"),
               "ref_quote_similarity": qc.get("similarity"), "ref_unresolved_reason": r["unresolved_reason"]}
        p = r["post"]
        if p:
            row.update({
                "post_id": p["id"], "post_url": p["url"], "post_author_id": p["author"]["id"],
                "post_author_handle": p["author"]["handle"], "post_author_name": p["author"]["name"],
                "post_text": p["text"], "post_lang": p["lang"], "post_created_at": p["created_at"],
                "post_status": p["status"], "post_status_reason": p["status_reason"], "post_is_edited": p["is_edited"],
                "post_version_count": p["version_count"], "post_media_count": len(p["media"]),
                "post_media_sha256": ";".join(m["sha256"] for m in p["media"] if m["sha256"]),
                "post_screenshot_sha256": p["screenshot_sha256"], "post_first_seen_at": p["first_seen_at"],
                "post_last_checked_at": p["last_checked_at"]})
        yield {c: row.get(c) for c in ROW_COLUMNS}
