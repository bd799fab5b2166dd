"""The archive layer: every MongoDB write and the common reads, keyed by natural ``_id``s.

Collections (shapes in docs/schema.md): ``articles`` (``_id`` = canonical URL, references
embedded), ``posts`` (``_id`` = ``x:<id>``), ``captures`` (append-only), ``crawls``,
``media`` (``_id`` = sha256), ``events``, ``jobs``, ``sources``. Bodies live in GridFS
buckets keyed by sha256, so identical bytes are stored once.

Updates filter on ``_id`` only: on nx-27017 any other filter in an update is a full scan.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import gridfs
import pymongo
from pymongo import ReplaceOne, UpdateOne
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError, OperationFailure

from receipts.db.blobs import BODY_BUCKET, MEDIA_BUCKET, ORPHAN_CHUNK_AGE_S, Blobs
from receipts.db.keys import ARTICLE_KEYS, CAPTURE_KEYS, EVENT_KEYS, KEY_INPUTS, POST_KEYS, with_keys
from receipts.db.phash import index_specs as phash_index_specs
from receipts.db.words import COLLECTION as WORDS_COLLECTION
from receipts.db.words import WORD_INPUTS, WORDS_SHA, with_words
from receipts.ids import new_id
from receipts.models import Article, Capture, Crawl, Post, Reference, sha256_hex, utcnow

__all__ = ["BODY_BUCKET", "MEDIA_BUCKET", "ORPHAN_CHUNK_AGE_S", "Archive", "set_fields", "sort_newest", "with_listed"]

INDEXES: dict[str, list[tuple[list[tuple[str, Any]], dict[str, Any]]]] = {
    "articles": [
        ([("domain", 1), ("published_at", -1)], {}),
        ([("published_at", -1)], {}),
        ([("references.post_id", 1)], {}),
        ([("language", 1)], {}),
        ([("cites_deleted", 1)], {}),
        ([("cites_edited", 1)], {}),
        ([("next_check_at", 1)], {}),
        ([("title", "text"), ("body_text", "text")], {"name": "article_text", "default_language": "none"}),
        ([("url", 1)], {}),
        ([("canonical_url", 1)], {}),
        *(([(key, 1)], {}) for key in ARTICLE_KEYS),
        ([(WORDS_SHA, 1)], {}),  # which companion in article_words was written for the article (backfill)
    ],
    WORDS_COLLECTION: [*(([(key, 1)], {}) for key in ARTICLE_KEYS)],  # text search walks these (receipts.db.words)
    "posts": [
        ([("author.handle_lc", 1), ("created_at", -1)], {}),
        ([("handle_lc", 1)], {}),
        ([("has_media", 1)], {}),
        ([("edited", 1)], {}),
        ([("created_at", -1)], {}),
        ([("status", 1)], {}),
        ([("next_check_at", 1)], {}),
        ([("text", "text")], {"name": "post_text", "default_language": "none"}),
        *(([(key, 1)], {}) for key in POST_KEYS),
    ],
    "captures": [
        ([("target_id", 1), ("fetched_at", 1)], {}),
        ([("target_id", 1)], {}),
        ([("capture_key", 1)], {}),
        ([("crawl_id", 1)], {}),
        ([("requested_url", 1)], {}),
    ],
    "crawls": [([("started_at", -1)], {}), ([("status", 1)], {})],
    "events": [([("created_at", 1)], {}), ([("type", 1), ("created_at", 1)], {}), ([("type", 1)], {}),
               ([("subject_id", 1)], {}), *(([(key, 1)], {}) for key in EVENT_KEYS)],
    "jobs": [([("status", 1), ("priority", -1), ("created_at", 1)], {})],
    "media": [([("source_urls", 1)], {}), *phash_index_specs()],
}

KEYS_OF = {"posts": POST_KEYS, "articles": ARTICLE_KEYS, "captures": CAPTURE_KEYS, "events": EVENT_KEYS}
BACKFILL = {"posts": "recent_key", "articles": "url_key", "captures": "capture_key", "events": "event_key"}


def _has_date(value: Any) -> bool:
    return isinstance(value, datetime | bool)


def set_fields(collection: Collection, doc_id: Any, fields: dict[str, Any], *, inc: dict[str, int] | None = None,
               upsert: bool = False) -> bool:
    """``$set`` (and ``$inc``) on one document by ``_id``, safe for datetimes everywhere.

    nx-27017 stores a top-level datetime given to ``$set`` on an existing document as a
    string (and a bool as 0/1); so when *fields* hold one the document is read, changed and replaced
    (one writer per document in Receipts: crawls, posts and jobs are owned by their runner).
    A change to a field a listing key is made of (``receipts.db.keys``) also takes the read-modify-replace
    route, so the keys are written again. Returns whether a document was written.
    """
    inputs = KEY_INPUTS.get(collection.name, frozenset())
    if collection.name == "articles":
        inputs = inputs | WORD_INPUTS
    rekey = any(k.split(".")[0] in inputs for k in fields)
    if not rekey and not any(_has_date(v) for v in fields.values()):
        update: dict[str, Any] = {"$set": fields} if fields else {}
        if inc:
            update["$inc"] = inc
        if not update:
            return False
        result = collection.update_one({"_id": doc_id}, update, upsert=upsert)
        return bool(result.matched_count or result.upserted_id is not None)
    doc = collection.find_one({"_id": doc_id})
    if doc is None:
        if not upsert:
            return False
        doc = {"_id": doc_id}
    for key, value in fields.items():
        target = doc
        *parents, last = key.split(".")
        for part in parents:
            target = target.setdefault(part, {})
        target[last] = value
    for key, value in (inc or {}).items():
        doc[key] = doc.get(key, 0) + value
    if collection.name in KEY_INPUTS:
        with_keys(doc, collection.name)
    if collection.name == "articles":
        doc = _save_words(collection.database, doc)
    collection.replace_one({"_id": doc_id}, doc, upsert=True)
    return True


def _save_words(db: Database, article: dict[str, Any]) -> dict[str, Any]:
    """Write the ``article_words`` companion of *article* (before the article); returns *article* stamped with it."""
    article, companion = with_words(article)
    db[WORDS_COLLECTION].replace_one({"_id": companion["_id"]}, companion, upsert=True)
    return article


def with_listed(stored: list[dict[str, Any]], fetched: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The stored versions plus those the platform lists (an edit history) that are not stored yet.

    Versions are appended, never rewritten: a listed version already kept (same text) is not added again.
    """
    texts = {v.get("text") for v in stored}
    return [*stored, *(v for v in fetched if v.get("listed_by") == "platform" and v.get("text") not in texts)]


class Archive(Blobs):
    """Typed reads and writes over one Receipts database."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.articles = db["articles"]
        self.posts = db["posts"]
        self.captures = db["captures"]
        self.crawls = db["crawls"]
        self.media = db["media"]
        self.events = db["events"]
        self.jobs = db["jobs"]
        self.article_words = db[WORDS_COLLECTION]  # text search's small copy of each article (receipts.db.words)
        self.sources = db["sources"]
        self.job_locks = db["job_locks"]  # `_id` = canonical URL: at most one active deduplicated job per URL
        self._buckets: dict[str, gridfs.GridFSBucket] = {}
        self._indexed: set[str] = set()

    # -- set-up -----------------------------------------------------------------------------
    def ensure_indexes(self) -> None:
        for name, specs in INDEXES.items():
            existing = set(self.db[name].index_information())
            for keys, opts in specs:
                if opts.get("name") in existing:
                    continue
                try:
                    self.db[name].create_index(keys, **opts)
                except OperationFailure:
                    # nx-27017 does not list text indexes and refuses to create one twice
                    if not any(kind == "text" for _, kind in keys):
                        raise
        self.backfill_keys()
        self.backfill_words()

    def backfill_keys(self, batch: int = 500) -> int:
        """Write the listing keys (``receipts.db.keys``) of documents stored without them; returns how many.

        Idempotent and cheap once done: each collection is asked for documents whose primary key is
        missing, an equality on its index (``{key: None}``), which finds none in an archive that has them.
        Only the key fields are ``$set`` (strings, by ``_id``), so a concurrent writer's fields are kept.
        """
        done = 0
        for name, primary in BACKFILL.items():
            collection = self.db[name]
            while True:
                docs = list(collection.find({primary: None}).limit(batch))
                if not docs:
                    break
                for doc in docs:
                    keys = {k: v for k, v in with_keys(dict(doc), name).items() if k in KEYS_OF[name]}
                    unset = {k: "" for k in KEYS_OF[name] if k not in keys and k in doc}
                    update: dict[str, Any] = {"$set": keys}
                    if unset:
                        update["$unset"] = unset
                    collection.update_one({"_id": doc["_id"]}, update)
                done += len(docs)
        return done

    def backfill_words(self, batch: int = 200) -> int:
        """Write the ``article_words`` companion of articles stored without one; returns how many.

        Articles written before companions existed (or by an older version) have no ``words_sha``: an
        equality on its index, which finds none once done. The companion is written, then only
        ``words_sha`` is ``$set`` on the article (a string, by ``_id``)."""
        done, seen = 0, set()
        while True:
            docs = [d for d in self.articles.find({WORDS_SHA: None}).limit(batch) if d["_id"] not in seen]
            if not docs:  # none left (or only ones whose stamp did not take: never loop on them)
                return done
            seen.update(d["_id"] for d in docs)
            pairs = [with_words(doc) for doc in docs]
            self.article_words.bulk_write([ReplaceOne({"_id": c["_id"]}, c, upsert=True) for _, c in pairs],
                                          ordered=False)  # the companions first, then the stamps
            self.articles.bulk_write([UpdateOne({"_id": a["_id"]}, {"$set": {WORDS_SHA: a[WORDS_SHA]}})
                                      for a, _ in pairs], ordered=False)
            done += len(docs)

    # -- crawls -----------------------------------------------------------------------------
    def start_crawl(self, crawl: Crawl) -> None:
        self.crawls.replace_one({"_id": crawl.id}, crawl.to_doc(), upsert=True)

    def update_crawl(self, crawl_id: str, fields: dict[str, Any], push_errors: Iterable[dict] = ()) -> None:
        errors = list(push_errors)
        if errors:  # read-modify-write: one writer per crawl, and nx-27017 mangles $push/$each of dates
            current = self.crawls.find_one({"_id": crawl_id}, {"errors": 1}) or {}
            fields = {**fields, "errors": [*current.get("errors", []), *errors]}
        set_fields(self.crawls, crawl_id, fields)

    def get_crawl(self, crawl_id: str) -> Crawl | None:
        doc = self.crawl_doc(crawl_id)
        return Crawl.from_doc(doc) if doc else None

    def crawl_doc(self, crawl_id: str) -> dict[str, Any] | None:
        """The crawl's stored document as it is (a crashed worker's may be partial)."""
        return self.crawls.find_one({"_id": crawl_id})

    def crawl_capture_errors(self, crawl_id: str) -> list[str | None]:
        """The ``error`` of each capture the crawl made (None for a capture without one)."""
        return [c.get("error") for c in self.captures.find({"crawl_id": crawl_id}, {"error": 1})]

    def record_warc(self, name: str, crawl_id: str, sha256: str, size: int, records: int,
                    resources: list[dict[str, Any]]) -> None:
        """Index a closed WARC file; a resumed crawl's appended records and resources add to the earlier entry."""
        previous = self.db["warcs"].find_one({"_id": name}) or {}
        self.db["warcs"].replace_one({"_id": name}, {
            "_id": name, "crawl_id": crawl_id, "sha256": sha256, "bytes": size,
            "records": int(previous.get("records", 0)) + records, "closed_at": utcnow(),
            "resources": [*previous.get("resources", []), *resources],
        }, upsert=True)

    # -- captures ---------------------------------------------------------------------------
    def add_capture(self, capture: Capture, body: bytes | None = None) -> Capture:
        """Append a capture (never rewritten); the body goes to GridFS by sha256."""
        return self.add_captures([(capture, body)])[0]

    def add_captures(self, items: list[tuple[Capture, bytes | None]]) -> list[Capture]:
        """Append captures in one insert, their bodies stored by sha256 in a few more (:meth:`put_blobs`).

        A capture already stored (replayed from the spool) is left as it is.
        """
        bodies: dict[str, tuple[bytes, str | None]] = {}
        for capture, body in items:
            if body is not None:
                capture.body_sha256 = sha256_hex(body)
                capture.body_size = len(body)
                capture.body_ref = f"gridfs:{BODY_BUCKET}/{capture.body_sha256}"
                bodies.setdefault(capture.body_sha256, (body, capture.content_type))
            elif capture.body_sha256 and capture.body_ref is None:  # media: the bytes are in the media bucket
                capture.body_ref = f"gridfs:{MEDIA_BUCKET}/{capture.body_sha256}"
        self.put_blobs(bodies, BODY_BUCKET)  # the bytes before the captures that point at them
        docs = [with_keys(capture.to_doc(), "captures") for capture, _ in items]
        try:
            self.captures.insert_many(docs, ordered=False)
        except OperationFailure:  # some were stored already: the others one by one
            for doc in docs:
                try:
                    self.captures.insert_one(doc)
                except DuplicateKeyError:
                    pass
        return [capture for capture, _ in items]

    def captures_for(self, target_id: str) -> list[Capture]:
        docs = self.captures.find({"target_id": target_id}).sort([("fetched_at", 1), ("_id", 1)])
        return [Capture.from_doc(d) for d in docs]

    # -- articles ---------------------------------------------------------------------------
    def get_article(self, article_id: str) -> Article | None:
        doc = self.articles.find_one({"_id": article_id})
        return Article.from_doc(doc) if doc else None

    def find_article(self, url: str) -> Article | None:
        """The article stored under *url*, or whose URL or canonical URL is *url*."""
        doc = self.articles.find_one({"$or": [{"_id": url}, {"url": url}, {"canonical_url": url}]})
        return Article.from_doc(doc) if doc else None

    def save_article(self, article: Article, capture_id: str | None) -> Article:
        """Insert or update an article, merging references with what earlier crawls learned.

        A reference seen before keeps its resolution, candidates, quote check and screenshot
        unless this crawl produced new ones.
        """
        existing = self.get_article(article.id)
        now = utcnow()
        if existing:
            old = {r.key: r for r in existing.references}
            merged: list[Reference] = []
            for ref in article.references:
                prev = old.get(ref.key)
                if prev is not None:
                    for field in ("quote_check", "resolution", "screenshot_sha256"):
                        if getattr(ref, field) is None and getattr(prev, field) is not None:
                            setattr(ref, field, getattr(prev, field))
                    if not ref.candidates and prev.candidates:
                        ref.candidates = prev.candidates
                    if ref.post_id is None and prev.post_id and prev.resolution is not None:
                        ref.post_id = prev.post_id
                merged.append(ref)
            article.references = merged
            article.first_seen_at = existing.first_seen_at
            article.check_count = existing.check_count
            article.next_check_at = existing.next_check_at
            article.capture_ids = existing.capture_ids
        if capture_id and capture_id not in article.capture_ids:
            article.capture_ids = [*article.capture_ids, capture_id]
        article.last_crawled_at = now
        article.last_checked_at = now
        doc = _save_words(self.db, with_keys(article.to_doc(), "articles"))
        self.articles.replace_one({"_id": article.id}, doc, upsert=True)
        return article

    def set_references(self, article_id: str, references: list[Reference], **fields: Any) -> None:
        set_fields(self.articles, article_id,
                   {"references": [r.model_dump(mode="python") for r in references], **fields})

    # -- posts ------------------------------------------------------------------------------
    def get_post(self, post_id: str) -> Post | None:
        doc = self.posts.find_one({"_id": post_id})
        return Post.from_doc(doc) if doc else None

    def get_posts(self, post_ids: Iterable[str]) -> dict[str, Post]:
        """The stored posts among *post_ids*, by id, in one query."""
        wanted = sorted(set(post_ids))
        if not wanted:
            return {}
        return {doc["_id"]: Post.from_doc(doc) for doc in self.posts.find({"_id": {"$in": wanted}})}

    def save_post(self, post: Post, capture_id: str | None) -> tuple[Post, Post | None]:
        """Upsert a post fetched now; returns (stored, previous).

        An ``error`` result never overwrites what an earlier fetch learned: it only records
        the failed check. Media already hashed keep their sha256 when the URL is unchanged.
        """
        return self.save_posts([(post, capture_id)])[0]

    def save_posts(self, items: list[tuple[Post, str | None]]) -> list[tuple[Post, Post | None]]:
        """:meth:`save_post` for many posts: one read of what is stored, one bulk write."""
        known = self.get_posts(post.id for post, _ in items)
        out: list[tuple[Post, Post | None]] = []
        writes: list[ReplaceOne] = []
        for post, capture_id in items:
            previous = known.get(post.id)
            stored, doc = self._merge_post(post, capture_id, previous)
            known[post.id] = stored  # the same post twice in a batch: the second merges with the first
            writes.append(ReplaceOne({"_id": post.id}, doc, upsert=True))
            out.append((stored, previous))
        if writes:
            self.posts.bulk_write(writes, ordered=True)
        return out

    def _merge_post(self, post: Post, capture_id: str | None, previous: Post | None) -> tuple[Post, dict[str, Any]]:
        """The post to store (merged with *previous*) and its document."""
        now = utcnow()
        post.last_checked_at = now
        post.last_capture_id = capture_id or post.last_capture_id
        if previous is not None:
            post.first_seen_at = previous.first_seen_at
            post.check_count = previous.check_count
            post.next_check_at = previous.next_check_at
            post.versions = with_listed(previous.versions, post.versions)
            post.cited_by = previous.cited_by
            post.screenshot_sha256 = post.screenshot_sha256 or previous.screenshot_sha256
            if post.status in ("error", "deleted", "unavailable"):
                # keep what was archived; a failure only records the check, a deletion the new status
                keep = previous.model_copy(update={"last_checked_at": now, "last_capture_id": post.last_capture_id})
                if post.status != "error":
                    keep.status, keep.status_reason = post.status, post.status_reason
                doc = self._post_doc(keep)
                doc["last_error"] = post.status_reason if post.status == "error" else None
                return keep, doc
            known = {m.source_url: m for m in previous.media}
            for m in post.media:
                old = known.get(m.source_url)
                if old is not None and m.sha256 is None:
                    m.sha256, m.content_type, m.bytes, m.status = old.sha256, old.content_type, old.bytes, old.status
        last = post.versions[-1] if post.versions else None
        if post.text is not None and (last is None or last.get("text") != post.text
                                      or last.get("edit_ids") != post.edit_ids
                                      or (post.revision is not None  # versions kept before revisions say nothing
                                          and last.get("revision", post.revision) != post.revision)):
            version = {"text": post.text, "edit_ids": post.edit_ids, "seen_at": now, "capture_id": capture_id}
            if post.revision is not None:
                version["revision"] = post.revision
            post.versions = [*post.versions, version]
        doc = self._post_doc(post)
        doc["last_error"] = None
        return post, doc

    @staticmethod
    def _post_doc(post: Post) -> dict[str, Any]:
        """The stored post, plus top-level fields the researcher queries filter on: nx-27017 only
        uses an index for top-level equality, so these are kept flat (``handle_lc``, ``has_media``,
        ``edited``)."""
        doc = post.to_doc()
        handle_lc = (post.author.handle or "").lower() or None
        doc["author"]["handle_lc"] = handle_lc
        doc.update(handle_lc=handle_lc, has_media=post.has_media, edited=post.edited)
        return with_keys(doc, "posts")

    def citing_articles(self, post_id: str) -> list[str]:
        """The articles that cite the post (its ``cited_by``)."""
        return list((self.posts.find_one({"_id": post_id}, {"cited_by": 1}) or {}).get("cited_by", []))

    def set_media_fields(self, sha256: str, fields: dict[str, Any]) -> None:
        self.media.update_one({"_id": sha256}, {"$set": fields})

    def add_citation(self, post_id: str, article_id: str) -> None:
        self.add_citations([post_id], article_id)

    def add_citations(self, post_ids: Iterable[str], article_id: str) -> None:
        """Add *article_id* to each post's ``cited_by``, in one bulk write."""
        writes = [UpdateOne({"_id": post_id}, {"$addToSet": {"cited_by": article_id}})
                  for post_id in dict.fromkeys(post_ids)]
        if writes:
            self.posts.bulk_write(writes, ordered=False)

    def refresh_citing_flags(self, article_id: str) -> None:
        """Recompute ``cites_deleted`` / ``cites_edited`` of an article from its posts as stored now."""
        article = self.articles.find_one({"_id": article_id}, {"references": 1})
        if article is None:
            return
        deleted = edited = False
        for ref in article.get("references", []):
            if ref.get("post_id"):
                post = self.posts.find_one({"_id": f"{ref.get('platform', 'x')}:{ref['post_id']}"},
                                           {"status": 1, "edited": 1})
                if post:
                    deleted = deleted or post.get("status") == "deleted"
                    edited = edited or bool(post.get("edited"))
        set_fields(self.articles, article_id, {"cites_deleted": deleted, "cites_edited": edited})

    def update_post_fields(self, post_id: str, fields: dict[str, Any]) -> None:
        set_fields(self.posts, post_id, fields)

    # -- events -----------------------------------------------------------------------------
    def add_event(self, type_: str, subject_id: str, data: dict[str, Any] | None = None,
                  at: datetime | None = None) -> dict[str, Any]:
        return self.add_events([(type_, subject_id, data)], at)[0]

    def add_events(self, events: list[tuple[str, str, dict[str, Any] | None]],
                   at: datetime | None = None) -> list[dict[str, Any]]:
        """Append events ``(type, subject_id, data)`` in one insert."""
        at = at or utcnow()
        docs = [with_keys({"_id": new_id("ev"), "type": type_, "subject_id": subject_id, "created_at": at,
                           "data": data or {}}, "events") for type_, subject_id, data in events]
        if docs:
            self.events.insert_many(docs)
        return docs


def sort_newest(cursor: pymongo.cursor.Cursor, field: str = "created_at") -> pymongo.cursor.Cursor:
    return cursor.sort([(field, -1), ("_id", -1)])
