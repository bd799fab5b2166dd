"""What changed between two observations of a post or an article → events.

A failed fetch (status ``error``) never produces an event: only an explicit answer from the
platform can say a post is gone.
"""

from __future__ import annotations

from typing import Any

from receipts.models import Article, Post

Event = tuple[str, dict[str, Any]]


def post_events(previous: Post | None, fetched: Post) -> list[Event]:
    if previous is None or fetched.status == "error":
        return []
    events: list[Event] = []
    if fetched.status in ("deleted", "unavailable"):
        if previous.status != fetched.status:
            events.append((f"post_{fetched.status}", {"previous_status": previous.status,
                                                       "reason": fetched.status_reason}))
        return events
    if previous.status in ("deleted", "unavailable"):
        events.append(("post_restored", {"previous_status": previous.status}))
    new_edits = [e for e in fetched.edit_ids if e not in previous.edit_ids]
    if previous.text is not None and fetched.text is not None and (previous.text != fetched.text or new_edits):
        events.append(("post_edited", {"previous_text": previous.text, "text": fetched.text,
                                       "new_edit_ids": new_edits}))
    old_media = sorted(m.source_url for m in previous.media if m.type not in ("avatar", "screenshot"))
    new_media = sorted(m.source_url for m in fetched.media if m.type not in ("avatar", "screenshot"))
    if previous.media and old_media != new_media:
        events.append(("media_changed", {"previous": old_media, "current": new_media}))
    return events


def article_events(previous: Article | None, current: Article) -> list[Event]:
    if previous is None:
        return []
    events: list[Event] = []
    if previous.body_sha256 and current.body_sha256 and previous.body_sha256 != current.body_sha256:
        events.append(("article_changed", {"previous_body_sha256": previous.body_sha256,
                                           "body_sha256": current.body_sha256,
                                           "previous_title": previous.title, "title": current.title}))
    old = {r.post_id for r in previous.references if r.post_id and r.kind in ("embed", "link")}
    new = {r.post_id for r in current.references if r.post_id and r.kind in ("embed", "link")}
    for post_id in sorted(old - new):
        events.append(("embed_removed", {"post_id": post_id}))
    for post_id in sorted(new - old):
        events.append(("embed_added", {"post_id": post_id}))
    return events
