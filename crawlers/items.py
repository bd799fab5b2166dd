"""Items the spiders yield; the storage pipeline writes them through the archive layer."""

from __future__ import annotations

from dataclasses import dataclass, field

from receipts.models import Article, Post


@dataclass
class ArticleItem:
    article: Article
    capture_id: str | None = None


@dataclass
class PostItem:
    post: Post
    capture_id: str | None = None
    embedded: bool = False  # normalised from another post's payload (e.g. a quoted post)


@dataclass
class ReferenceResolvedItem:
    """A short link (t.co) turned out to point at a post: attach it to the reference."""

    article_id: str
    url: str
    post_id: str | None
    target_url: str | None
    error: str | None = None


@dataclass
class CrawlErrorItem:
    url: str
    error: str
    fatal: bool = False
    context: dict = field(default_factory=dict)
