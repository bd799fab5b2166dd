"""Items the spiders yield; the storage pipeline writes them through the archive layer."""

from __future__ import annotations

from dataclasses import dataclass, field

from receipts.models import Article, Candidate, Post, Resolution


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
    """A short link (t.co) turned out to point at a post (of *platform*): attach it to the reference."""

    article_id: str
    url: str
    post_id: str | None
    target_url: str | None
    error: str | None = None
    platform: str | None = None


@dataclass
class PostMovedItem:
    """The post a reference named is known under another key (``new_key``), or is no post at all
    (``new_key`` None, with ``reason``): storage re-keys or drops the article's reference."""

    old_key: str
    new_key: str | None
    reason: str | None = None


@dataclass
class CrawlErrorItem:
    url: str
    error: str
    fatal: bool = False
    context: dict = field(default_factory=dict)


@dataclass
class ScreenshotItem:
    """A PNG of a post as X shows it (``kind="post"``) or of an embed as an article displayed it."""

    kind: str  # "post" | "embed"
    subject_id: str  # the post key, "x:ID"
    png: bytes
    url: str  # the page the element was on (original URL)
    dom_text: str = ""
    article_id: str | None = None
    ref_key: str | None = None  # the reference this embed screenshot belongs to
    capture_id: str | None = None  # the page's own capture (the browser navigation)
    element: str = "article"


@dataclass
class QuoteResolvedItem:
    """An unlinked quote (``attribution`` reference) after its searches: every candidate with its score,
    and the post it was linked to when the best one cleared the threshold (else why it stays unresolved)."""

    article_id: str
    quote_key: str  # the reference's key before resolution ("quote:…")
    post_id: str | None
    resolution: Resolution | None = None
    candidates: list[Candidate] = field(default_factory=list)
    reason: str | None = None


@dataclass
class ArticleCheckedItem:
    """A re-crawl found the article unchanged (``how``: ``not_modified`` for a 304 to the conditional
    request, ``unchanged`` for a 200 with the same body sha256): storage appends ``capture_id`` to the
    stored article as evidence of the check and rewrites nothing else. ``confirms_capture_id``: the
    earlier capture whose body this check confirms."""

    article_id: str
    capture_id: str | None
    confirms_capture_id: str | None
    how: str
