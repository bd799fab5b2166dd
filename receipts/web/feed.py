"""``/changes`` and ``/changes.atom``: cited posts deleted, edited or gone unavailable, and embeds removed.

Newest first, filterable by outlet (``?outlet=newrepublic.com``) and platform (``?platform=x``). The
Atom feed carries the same entries (the filters too), one ``<entry>`` per event with a stable id.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from receipts.api.routes_archive import archive_of
from receipts.api.timeouts import DeadlineRoute
from receipts.db.dates import as_utc
from receipts.db.desk import articles_brief, change_events, posts_brief
from receipts.queries import DOMAIN_RE, PLATFORMS, short_id
from receipts.web.labels import explain, label
from receipts.web.login import require_read_ui
from receipts.web.routes import SECURITY_HEADERS, env, page, word_diff

SHOWN = 100
SCANNED = 500

router = APIRouter(route_class=DeadlineRoute, include_in_schema=False, dependencies=[Depends(require_read_ui)])


def _platform_of(key: str | None) -> str | None:
    return key.split(":", 1)[0] if key and ":" in key else None


def change_items(archive: Any, outlet: str | None, platform: str | None, limit: int = SHOWN) -> list[dict[str, Any]]:
    """The changes feed: events joined with their post and the articles citing it, filtered."""
    events = change_events(archive, limit=SCANNED)
    removed_keys = [f"{p}:{ev['data'].get('post_id')}" for ev in events if ev["type"] == "embed_removed"
                    for p in PLATFORMS if (ev.get("data") or {}).get("post_id")]
    posts = posts_brief(archive, [ev["subject_id"] for ev in events if ev["type"] != "embed_removed"] + removed_keys)
    article_ids = {ev["subject_id"] for ev in events if ev["type"] == "embed_removed"}
    for post in posts.values():
        article_ids.update(post.get("cited_by") or [])
    articles = articles_brief(archive, article_ids)
    items: list[dict[str, Any]] = []
    for ev in events:
        data = ev.get("data") or {}
        if ev["type"] == "embed_removed":
            post = next((posts[k] for k in (f"{p}:{data.get('post_id')}" for p in PLATFORMS) if k in posts), None)
            cited = [articles[ev["subject_id"]]] if ev["subject_id"] in articles else []
        else:
            post = posts.get(ev["subject_id"])
            cited = [articles[a] for a in (post or {}).get("cited_by") or [] if a in articles]
        post_key = post["_id"] if post else (ev["subject_id"] if ev["type"] != "embed_removed" else None)
        item_platform = _platform_of(post_key)
        if platform and item_platform != platform:
            continue
        if outlet and not any(a.get("domain") == outlet for a in cited):
            continue
        diff = word_diff(data.get("previous_text") or "", data.get("text") or "") if ev["type"] == "post_edited" \
            else []
        items.append({
            "id": ev["_id"], "type": ev["type"], "label": label("event", ev["type"]),
            "explain": explain("event", ev["type"]), "at": ev.get("created_at"), "post_key": post_key,
            "platform": item_platform, "handle": ((post or {}).get("author") or {}).get("handle"),
            "text": (post or {}).get("text") or "", "reason": data.get("reason"), "diff": diff,
            "removed_post_id": data.get("post_id") if ev["type"] == "embed_removed" else None,
            "articles": [{"short_id": short_id(a["_id"]), "title": a.get("title") or a["_id"],
                          "domain": a.get("domain"), "url": a["_id"]} for a in cited],
        })
        if len(items) >= limit:
            break
    return items


def _filters(outlet: str | None, platform: str | None) -> tuple[str | None, str | None, str | None]:
    outlet = (outlet or "").strip().lower() or None
    platform = (platform or "").strip().lower() or None
    if outlet and not DOMAIN_RE.fullmatch(outlet):
        return None, None, "Not an outlet domain."
    if platform and platform not in PLATFORMS:
        return None, None, f"Unknown platform (one of {', '.join(PLATFORMS)})."
    return outlet, platform, None


@router.get("/changes", response_class=HTMLResponse)
def changes_page(request: Request, outlet: str | None = None, platform: str | None = None) -> HTMLResponse:
    outlet, platform, error = _filters(outlet, platform)
    items = [] if error else change_items(archive_of(request), outlet, platform)
    feed = "/changes.atom" + (("?" + urlencode({k: v for k, v in (("outlet", outlet), ("platform", platform)) if v}))
                              if outlet or platform else "")
    return page("changes.html", 400 if error else 200, title="Changes", items=items, outlet=outlet or "",
                platform=platform or "", platforms=PLATFORMS, error=error, feed=feed)


def _atom_time(value: Any) -> str:
    moment = as_utc(value) if value else None
    return (moment or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")


@router.get("/changes.atom")
def changes_atom(request: Request, outlet: str | None = None, platform: str | None = None) -> Response:
    outlet, platform, error = _filters(outlet, platform)
    if error:
        return Response(error, status_code=400, media_type="text/plain", headers=SECURITY_HEADERS)
    items = change_items(archive_of(request), outlet, platform, limit=50)
    base = str(request.base_url).rstrip("/")
    updated = _atom_time(items[0]["at"]) if items else _atom_time(None)
    xml = env.get_template("changes.atom").render(items=items, base=base, updated=updated, atom_time=_atom_time,
                                                  self_url=str(request.url), outlet=outlet, platform=platform)
    return Response(xml, media_type="application/atom+xml; charset=utf-8",
                    headers={**SECURITY_HEADERS, "Cache-Control": "no-cache"})
