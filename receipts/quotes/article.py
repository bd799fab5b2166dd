"""Quote checks over a whole article: run :func:`check_quote` on every reference that shows text
and has a post, and report verdict changes as ``quote_changed`` events.

Used at the end of every crawl (the storage pipeline) and usable by re-checks of posts: the
daemon can call :func:`recheck_article` for each article citing a post it re-fetched.
"""

from __future__ import annotations

from typing import Any

from receipts.db.archive import Archive
from receipts.models import Article, Candidate, Post, QuoteCheck, Reference, Resolution
from receipts.quotes.compare import check_quote

NOT_SEARCHED = "not searched: the quote has no text to search for"


def previous_checks(article: Article | None) -> dict[str, QuoteCheck]:
    """Earlier verdicts by reference key and by quoted text (a quote resolved since keeps its text key)."""
    out: dict[str, QuoteCheck] = {}
    for ref in article.references if article else []:
        if ref.quote_check is None:
            continue
        out[ref.key] = ref.quote_check
        if ref.displayed_text:
            out.setdefault(f"quote:{ref.displayed_text[:200]}", ref.quote_check)
    return out


def previous_resolutions(article: Article | None) -> dict[str, Reference]:
    """Quotes an earlier crawl linked to a post, by their text key ("quote:…")."""
    return {f"quote:{r.displayed_text[:200]}": r for r in (article.references if article else [])
            if r.kind == "attribution" and r.post_id and r.resolution is not None and r.displayed_text}


def apply_search(ref: Reference, found_post_id: str | None, resolution: Resolution | None,
                 candidates: list[Candidate], reason: str | None, earlier: Reference | None = None) -> None:
    """An unlinked quote's search outcome: the linked post and how it was found, or why not.

    A quote an earlier crawl resolved keeps that post when this crawl's searches come back empty
    (the post may have been edited or deleted since: that is what the quote check is for).
    """
    ref.candidates = candidates
    if found_post_id:
        ref.post_id, ref.resolution, ref.unresolved_reason = found_post_id, resolution, None
    elif earlier is not None:
        ref.post_id, ref.resolution, ref.unresolved_reason = earlier.post_id, earlier.resolution, None
        ref.candidates = candidates or earlier.candidates
    else:
        ref.unresolved_reason = reason


def check_references(archive: Archive, article: Article, refs: list[Reference],
                     previous: dict[str, QuoteCheck] | None = None,
                     posts: dict[str, Post | None] | None = None) -> list[tuple[str, dict[str, Any]]]:
    """Set ``quote_check`` on each reference that shows text and has a post; returns ``quote_changed`` events."""
    previous = previous or {}
    posts = posts if posts is not None else {}
    events: list[tuple[str, dict[str, Any]]] = []
    for ref in refs:
        if ref.kind == "attribution" and ref.post_id is None and ref.status == "unresolved" \
                and not ref.unresolved_reason and not (ref.displayed_text or "").strip():
            ref.unresolved_reason = NOT_SEARCHED
        if not ref.displayed_text or not ref.post_id:
            continue
        key = f"{ref.platform}:{ref.post_id}"
        if key not in posts:
            posts[key] = archive.get_post(key)
        post = posts[key]
        before = ref.quote_check or previous.get(ref.key) or previous.get(f"quote:{ref.displayed_text[:200]}")
        ref.quote_check = check_quote(ref, post, article, post.last_capture_id if post else None)
        if before is not None and before.verdict != ref.quote_check.verdict:
            events.append(("quote_changed", {
                "reference": ref.key, "post_id": key, "from": before.verdict, "to": ref.quote_check.verdict,
                "similarity": ref.quote_check.similarity, "capture_id": ref.quote_check.capture_id,
            }))
    return events


def recheck_article(archive: Archive, article_id: str) -> list[dict[str, Any]]:
    """Re-run the quote checks of a stored article against the posts as archived now; store, emit events."""
    article = archive.get_article(article_id)
    if article is None:
        return []
    events = check_references(archive, article, article.references)
    archive.set_references(article_id, article.references)
    return [archive.add_event(type_, article_id, data) for type_, data in events]
