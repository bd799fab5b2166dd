"""The typed domain model: Article → Reference → Post → Media, plus Capture and Crawl.

These are the shapes stored in MongoDB (``to_doc``/``from_doc`` map ``id`` ↔ ``_id``) and
returned by the CLI and API. Datetimes are timezone-aware UTC.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field

ReferenceKind = Literal["embed", "link", "media_link", "attribution"]
ReferenceStatus = Literal["pending", "archived", "deleted", "unavailable", "unresolved", "skipped", "error"]
PostStatus = Literal["live", "deleted", "unavailable", "error"]
MediaType = Literal["photo", "video", "animated_gif", "poster", "avatar", "card_image", "screenshot", "hls"]
Route = Literal["article", "syndication", "oembed", "browser", "tco", "media", "search", "feed", "embed_render",
                "appview", "resolve", "api", "history", "embed_page"]  # the last five: other platforms' routes
# the platforms a post key may name (the contract of ``platform`` in every JSON shape); the registry in
# crawlers/platforms/registry.py lists the packages that implement them
PlatformName = Literal["x", "bluesky", "mastodon", "threads", "instagram", "tiktok", "youtube", "facebook"]


def utcnow() -> datetime:
    return datetime.now(UTC)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Model(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    def to_doc(self) -> dict[str, Any]:
        """The MongoDB document: ``id`` becomes ``_id``; datetimes stay BSON dates."""
        doc = self.model_dump(mode="python", exclude_none=False)
        if "id" in doc:
            doc["_id"] = doc.pop("id")
        return doc

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Self:
        data = dict(doc)
        if "_id" in data:
            data["id"] = data.pop("_id")
        return cls.model_validate(data)

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


class Location(Model):
    css_path: str | None = None
    paragraph_index: int | None = None
    offsets: tuple[int, int] | None = None
    url: str | None = None
    variant: str | None = None


class QuoteCheck(Model):
    verdict: Literal[
        "exact", "equivalent", "excerpt", "altered", "edited_since", "deleted",
        "unavailable", "misattributed", "unverified",
    ]
    similarity: float = 0.0
    displayed_normalized: str | None = None
    post_normalized: str | None = None
    diff: list[dict[str, Any]] = Field(default_factory=list)
    mismatches: list[str] = Field(default_factory=list)
    checked_at: datetime = Field(default_factory=utcnow)
    capture_id: str | None = None


class Candidate(Model):
    post_id: str
    provider: str
    query: str
    score: float
    text: str | None = None
    handle: str | None = None
    created_at: datetime | None = None
    scores: dict[str, float] = Field(default_factory=dict)


class Resolution(Model):
    provider: str
    query: str
    score: float
    resolved_at: datetime = Field(default_factory=utcnow)


class Reference(Model):
    """One post an article embeds, links or quotes — the provenance link article → post."""

    platform: str = "x"
    post_id: str | None = None
    kind: ReferenceKind
    url: str | None = None
    handle: str | None = None
    display_name: str | None = None
    displayed_text: str | None = None
    displayed_date: str | None = None
    offsets: tuple[int, int] | None = None
    locations: list[Location] = Field(default_factory=list)
    in_body: bool = True
    variant: str | None = None
    status: ReferenceStatus = "pending"
    error: str | None = None
    screenshot_sha256: str | None = None
    quote_check: QuoteCheck | None = None
    candidates: list[Candidate] = Field(default_factory=list)
    resolution: Resolution | None = None
    unresolved_reason: str | None = None
    skipped_reason: str | None = None  # why a ``skipped`` reference was not fetched (the per-article cap)

    @property
    def key(self) -> str:
        """Identity inside one article: the post, or the quoted text for unresolved quotes."""
        if self.post_id:
            return f"{self.platform}:{self.post_id}"
        if self.kind == "media_link" and self.url:
            return f"url:{self.url}"
        return f"quote:{(self.displayed_text or '')[:200]}"


class Article(Model):
    id: str  # canonical URL
    url: str
    canonical_url: str
    domain: str | None = None
    title: str | None = None
    byline: str | None = None
    published_at: datetime | None = None
    modified_at: datetime | None = None
    language: str | None = None
    body_text: str = ""
    body_sha256: str | None = None
    references: list[Reference] = Field(default_factory=list)
    first_seen_at: datetime = Field(default_factory=utcnow)
    last_crawled_at: datetime | None = None
    last_checked_at: datetime | None = None
    next_check_at: datetime | None = None
    check_count: int = 0
    capture_ids: list[str] = Field(default_factory=list)
    cites_deleted: bool = False
    cites_edited: bool = False


class Author(Model):
    id: str | None = None
    handle: str | None = None
    name: str | None = None
    avatar_url: str | None = None
    verified: bool | None = None


class MediaVariant(Model):
    url: str
    content_type: str | None = None
    bitrate: int | None = None
    width: int | None = None
    height: int | None = None


class Media(Model):
    """A media item as a post lists it; ``sha256`` points at the stored bytes."""

    type: MediaType
    source_url: str
    fallback_urls: list[str] = Field(default_factory=list)
    variants: list[MediaVariant] = Field(default_factory=list)
    media_key: str | None = None
    width: int | None = None
    height: int | None = None
    duration_ms: int | None = None
    alt_text: str | None = None
    poster_url: str | None = None
    sha256: str | None = None
    content_type: str | None = None
    bytes: int | None = None
    status: str | None = None


class Post(Model):
    id: str  # "x:1890172385467187200"
    platform: str = "x"
    post_id: str
    url: str
    author: Author = Field(default_factory=Author)
    text: str | None = None
    lang: str | None = None
    created_at: datetime | None = None
    status: PostStatus = "live"
    status_reason: str | None = None
    route: str | None = None
    media: list[Media] = Field(default_factory=list)
    quoted_post_id: str | None = None
    reply_to_post_id: str | None = None
    reply_to_handle: str | None = None
    edit_ids: list[str] = Field(default_factory=list)
    revision: str | None = None  # the platform's id of this version (Bluesky: the record's CID); a change is a new version
    is_edited: bool | None = None
    card: dict[str, Any] | None = None
    metrics: dict[str, int] = Field(default_factory=dict)
    raw: dict[str, Any] | None = None
    # the post's link texts → what they stand for (a short or display URL → its expanded URL; a media
    # placeholder → None): filled by the platform's normaliser, read by the quote checks
    links: dict[str, str | None] = Field(default_factory=dict)
    screenshot_sha256: str | None = None
    first_seen_at: datetime = Field(default_factory=utcnow)
    last_checked_at: datetime | None = None
    next_check_at: datetime | None = None
    check_count: int = 0
    last_capture_id: str | None = None
    versions: list[dict[str, Any]] = Field(default_factory=list)
    cited_by: list[str] = Field(default_factory=list)  # ids of the articles that reference this post

    @property
    def edited(self) -> bool:
        return bool(self.is_edited) or len(self.edit_ids) > 1 or len(self.versions) > 1

    @property
    def has_media(self) -> bool:
        return any(m.type in ("photo", "video", "animated_gif", "hls") for m in self.media)


class Capture(Model):
    """One fetch of one URL; append-only evidence."""

    id: str
    crawl_id: str | None = None
    target_type: Literal["article", "post", "media", "link", "feed", "screenshot"]
    target_id: str | None = None
    route: str
    requested_url: str
    fetched_url: str | None = None
    transport_url: str | None = None
    method: str = "GET"
    fetched_at: datetime = Field(default_factory=utcnow)
    http_status: int | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    request_headers: dict[str, str] = Field(default_factory=dict)
    content_type: str | None = None
    body_sha256: str | None = None
    body_size: int | None = None
    body_ref: str | None = None
    outcome: str | None = None
    error: str | None = None
    warc_file: str | None = None
    warc_record_id: str | None = None
    meta: dict[str, Any] = Field(default_factory=dict)


class Crawl(Model):
    id: str
    kind: str = "crawl"
    url: str | None = None
    article_id: str | None = None
    started_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
    status: str = "running"
    stats: dict[str, Any] = Field(default_factory=dict)
    errors: list[dict[str, Any]] = Field(default_factory=list)
    options: dict[str, Any] = Field(default_factory=dict)
    provenance: dict[str, Any] = Field(default_factory=dict)
    warc_files: list[str] = Field(default_factory=list)
    post_ids: list[str] = Field(default_factory=list)


def post_key(platform: str, post_id: str) -> str:
    return f"{platform}:{post_id}"
