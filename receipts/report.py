"""The crawl report: the JSON contract of ``receipts crawl --json`` and its readable form."""

from __future__ import annotations

from typing import Any

from receipts.db.archive import Archive
from receipts.models import Article, Crawl, Post


def _iso(value: Any) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def reference_json(ref: Any) -> dict[str, Any]:
    return {
        "platform": ref.platform, "post_id": ref.post_id, "kind": ref.kind, "handle": ref.handle,
        "display_name": ref.display_name, "displayed_text": ref.displayed_text,
        "offsets": list(ref.offsets) if ref.offsets else None, "in_body": ref.in_body, "status": ref.status,
        "url": ref.url, "error": ref.error,
        "quote_check": ref.quote_check.to_json() if ref.quote_check else None,
        "resolution": ref.resolution.to_json() if ref.resolution else None,
        "unresolved_reason": ref.unresolved_reason, "skipped_reason": ref.skipped_reason,
        "screenshot_sha256": ref.screenshot_sha256,
    }


def article_json(article: Article) -> dict[str, Any]:
    return {
        "url": article.url, "canonical_url": article.canonical_url, "title": article.title,
        "byline": article.byline, "published_at": _iso(article.published_at), "language": article.language,
        "references": [reference_json(r) for r in article.references],
    }


def post_json(post: Post) -> dict[str, Any]:
    return {
        "platform": post.platform, "post_id": post.post_id, "url": post.url,
        "author": {"handle": post.author.handle, "name": post.author.name},
        "text": post.text, "created_at": _iso(post.created_at), "status": post.status,
        "status_reason": post.status_reason, "route": post.route,
        "media": [{"type": m.type, "source_url": m.source_url, "sha256": m.sha256,
                   "content_type": m.content_type, "bytes": m.bytes, "status": m.status,
                   "width": m.width, "height": m.height, "duration_ms": m.duration_ms} for m in post.media],
        "quoted_post_id": post.quoted_post_id, "reply_to_post_id": post.reply_to_post_id,
        "screenshot_sha256": post.screenshot_sha256,
    }


def crawl_json(crawl: Crawl) -> dict[str, Any]:
    """``error_count``: crawl errors plus references in error (an interrupted crawl's unfinished ones
    included); ``unfinished``: references (or, for re-checks, posts) an interrupted crawl never got to;
    ``skipped``: references and posts over ``RECEIPTS_MAX_POSTS_PER_ARTICLE``."""
    stats = crawl.stats
    return {
        "id": crawl.id, "started_at": _iso(crawl.started_at), "finished_at": _iso(crawl.finished_at),
        "status": crawl.status, "requests": stats.get("requests", 0),
        "errors": [{k: (_iso(v) if k == "at" else v) for k, v in e.items()} for e in crawl.errors],
        "error_count": stats.get("errors", len(crawl.errors)),
        "unfinished": stats.get("unfinished", 0), "skipped": stats.get("skipped", 0),
        "recrawl": stats.get("recrawl"),  # how a re-crawl used the earlier one (article check, posts not fetched)
    }


def build_report(archive: Archive, crawl_id: str) -> dict[str, Any]:
    crawl = archive.get_crawl(crawl_id)
    if crawl is None:
        raise LookupError(f"no crawl {crawl_id}")
    article = archive.get_article(crawl.article_id) if crawl.article_id else None
    found = archive.get_posts(crawl.post_ids)
    posts = [found[pid] for pid in crawl.post_ids if pid in found]
    return {
        "article": article_json(article) if article else None,
        "posts": [post_json(p) for p in posts],
        "crawl": crawl_json(crawl),
    }


def render_text(report: dict[str, Any]) -> str:
    """A readable summary for people (the JSON is for scripts)."""
    lines: list[str] = []
    art = report.get("article")
    if art:
        lines.append(f"{art['title'] or art['canonical_url']}")
        lines.append(f"  {art['canonical_url']}  published {art['published_at'] or 'unknown'}")
        lines.append(f"  {len(art['references'])} reference(s):")
        posts = {p["post_id"]: p for p in report["posts"]}
        for i, ref in enumerate(art["references"], 1):
            who = f"@{ref['handle']}" if ref["handle"] else (ref.get("display_name") or "unknown author")
            lines.append(f"  {i}. [{ref['kind']}] {ref['status']:<11} {who}  post {ref['post_id'] or '-'}")
            post = posts.get(ref["post_id"]) if ref["post_id"] else None
            text = (post or {}).get("text") or ref.get("displayed_text") or ""
            if text:
                short = " ".join(text.split())
                lines.append(f"       “{short[:140]}{'…' if len(short) > 140 else ''}”")
            if post and post.get("created_at"):
                lines.append(f"       posted {post['created_at']} by {post['author']['name']} ({post['status']})")
            if ref.get("unresolved_reason"):
                lines.append(f"       unresolved: {ref['unresolved_reason']}")
            if ref.get("skipped_reason"):
                lines.append(f"       skipped: {ref['skipped_reason']}")
            elif ref["status"] == "error" and ref.get("error"):
                lines.append(f"       error: {ref['error']}")
            qc = ref.get("quote_check")
            if qc:
                lines.append(f"       quote check: {qc['verdict']} (similarity {qc['similarity']:.2f})")
                for problem in qc.get("mismatches") or []:
                    lines.append(f"         {problem}")
                for change in (qc.get("diff") or [])[:5]:
                    lines.append(f"         {change['op']}: article “{change['article']}” / post “{change['post']}”")
            res = ref.get("resolution")
            if res:
                lines.append(f"       found via {res['provider']} (score {res['score']:.2f}) for {res['query']}")
    crawl = report["crawl"]
    counts = [f"{crawl['requests']} requests", f"{len(report['posts'])} post(s) archived",
              f"{crawl.get('error_count', len(crawl['errors']))} error(s)"]
    counts += [f"{crawl[k]} {k}" for k in ("unfinished", "skipped") if crawl.get(k)]
    lines.append(f"crawl {crawl['id']}: {crawl['status']}, " + ", ".join(counts))
    for err in crawl["errors"][:10]:
        lines.append(f"  error: {err.get('url')}: {err.get('error')}")
    return "\n".join(lines)
