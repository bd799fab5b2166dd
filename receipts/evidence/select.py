"""Which stored evidence belongs to one article: its captures, posts, media, WARC files and resources.

An article's evidence is every capture of the article page, of each post it references (and
their quoted posts), of the short links it cites and of those posts' media, across all crawls.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from receipts.db.archive import BODY_BUCKET, Archive
from receipts.db.evidence import captures_in, warc_doc
from receipts.db.reads import ArticleKey, article_doc
from receipts.models import Article, Capture, Post


@dataclass
class ArticleEvidence:
    article: Article
    posts: list[Post] = field(default_factory=list)
    captures: list[Capture] = field(default_factory=list)
    target_ids: set[str] = field(default_factory=set)
    media_sha256: set[str] = field(default_factory=set)
    warc_files: set[str] = field(default_factory=set)
    resources: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (WARC file, entry)

    def blob_ids(self, bucket: str) -> set[str]:
        """The sha256 of the capture bodies stored in *bucket* (``body_ref`` = ``gridfs:<bucket>/<sha256>``)."""
        out: set[str] = set()
        for c in self.captures:
            if c.body_sha256 and (c.body_ref or f"gridfs:{BODY_BUCKET}/").startswith(f"gridfs:{bucket}/"):
                out.add(c.body_sha256)
        return out


def find_article(archive: Archive, url: str) -> Article | None:
    """The article by canonical URL (its id), else by the URL it was crawled under."""
    article = archive.get_article(url)
    if article is not None:
        return article
    keys: tuple[ArticleKey, ...] = ("url", "canonical_url")
    for key in keys:
        doc = article_doc(archive, url, by=key)
        if doc:
            return Article.from_doc(doc)
    return None


def _media_urls(post: Post) -> set[str]:
    urls: set[str] = set()
    for m in post.media:
        urls.add(m.source_url)
        urls.update(m.fallback_urls)
        urls.update(v.url for v in m.variants)
        if m.poster_url:
            urls.add(m.poster_url)
    if post.author.avatar_url:
        urls.add(post.author.avatar_url)
    return urls


def select_article(archive: Archive, url: str) -> ArticleEvidence:
    """Collect the evidence of the article at *url*; LookupError when it was never archived."""
    article = find_article(archive, url)
    if article is None:
        raise LookupError(f"no archived article {url}")
    ev = ArticleEvidence(article=article)
    keys = {f"{r.platform}:{r.post_id}" for r in article.references if r.post_id}
    posts: dict[str, Post] = {}
    pending = sorted(keys)
    while pending:  # referenced posts and the posts they quote
        key = pending.pop()
        post = archive.get_post(key)
        if post is None or key in posts:
            continue
        posts[key] = post
        if post.quoted_post_id:
            quoted = f"{post.platform}:{post.quoted_post_id}"
            keys.add(quoted)
            if quoted not in posts:
                pending.append(quoted)
    ev.posts = [posts[k] for k in sorted(posts)]
    link_urls = {r.url for r in article.references if r.url and r.kind == "media_link"}
    media_urls = set().union(*(_media_urls(p) for p in ev.posts)) if ev.posts else set()
    ev.target_ids = {article.id, article.url, *keys}
    docs: dict[str, dict[str, Any]] = {}
    for doc in (captures_in(archive, "_id", set(article.capture_ids))
                + captures_in(archive, "target_id", ev.target_ids | link_urls | media_urls)
                + captures_in(archive, "requested_url", media_urls | {article.url})):
        docs[doc["_id"]] = doc
    ev.captures = sorted((Capture.from_doc(d) for d in docs.values()), key=lambda c: (c.fetched_at, c.id))
    for post in ev.posts:
        ev.media_sha256.update(m.sha256 for m in post.media if m.sha256)
        if post.screenshot_sha256:
            ev.media_sha256.add(post.screenshot_sha256)
    ev.media_sha256.update(r.screenshot_sha256 for r in article.references if r.screenshot_sha256)
    ev.warc_files = {c.warc_file for c in ev.captures if c.warc_file}
    for name in sorted(ev.warc_files):
        doc = warc_doc(archive, name) or {}
        ev.resources.extend((name, entry) for entry in doc.get("resources", [])
                            if entry.get("target_id") in ev.target_ids)
    return ev
