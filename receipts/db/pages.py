"""One page of a listing: the keyset-paginated read behind the API's and the web UI's lists.

A :class:`Listing` pages on one indexed sort key (``receipts.db.keys``): its filter is a range of that
key (a prefix, a date range, the cursor) plus top-level equalities, read with a limit, so on
nx-27017 and MongoDB alike a page costs an index walk of about its own size. Text search walks the
same key in growing chunks and keeps the documents whose words match; when the words are rare
(the walk reads :data:`WALK_BUDGET` documents without filling the page) it takes the ``$text``
matches instead and orders those. An article word search walks the small ``article_words`` documents
instead of the articles (``receipts.db.words``) and then fetches only the page's articles.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pymongo.collection import Collection

from receipts.db.words import COLLECTION as WORDS_COLLECTION
from receipts.db.words import FILTER_FIELDS, WORDS_SHA

WALK_BUDGET = 1500  # documents a text search reads in key order before asking the text index instead
FIRST_CHUNK = 200
MAX_CHUNK = 800


def page_docs(collection: Collection, query: dict[str, Any], sort: Sequence[tuple[str, int]], limit: int,
              projection: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Up to *limit* documents of *collection* matching *query*, in *sort* order."""
    return list(collection.find(query, projection).sort(list(sort)).limit(limit))


@dataclass
class Listing:
    """One listing: documents of *collection* with ``low < key < high``, in *key* order (*direction*)."""

    collection: str
    key: str
    direction: int = 1
    low: str | None = None
    high: str | None = None
    where: dict[str, Any] = field(default_factory=dict)  # more filters, on indexed top-level fields
    check: Callable[[dict[str, Any]], bool] | None = None  # *where* in Python (for the text fallback)
    ids: list[str] | None = None  # only these _ids
    text: str | None = None  # ``$text`` search words
    match: Callable[[dict[str, Any]], bool] | None = None  # the same words, in Python
    projection: dict[str, Any] | None = None  # top-level fields left out (nx-27017 projects no dotted paths)
    match_fields: tuple[str, ...] = ()  # what *match* reads: a text walk reads only these, then the page's documents
    words: Callable[[set[str]], bool] | None = None  # *match* on a token set: walk ``article_words`` instead

    def bounds(self, after: str | None) -> tuple[str | None, str | None]:
        low, high = self.low, self.high
        if after is not None:
            if self.direction > 0:
                low = after if low is None else max(low, after)
            else:
                high = after if high is None else min(high, after)
        return low, high

    def query(self, after: str | None) -> dict[str, Any]:
        low, high = self.bounds(after)
        clauses: list[dict[str, Any]] = []
        rng = {op: v for op, v in (("$gt", low), ("$lt", high)) if v is not None}
        if rng:
            clauses.append({self.key: rng})
        if self.where:
            clauses.append(dict(self.where))
        if self.ids is not None:
            clauses.append({"_id": {"$in": list(self.ids)}})
        if not clauses:
            return {}
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

    def holds(self, doc: dict[str, Any], after: str | None) -> bool:
        """The listing's filter (without the text) in Python."""
        low, high = self.bounds(after)
        key = doc.get(self.key)
        if not isinstance(key, str) or (low is not None and key <= low) or (high is not None and key >= high):
            return False
        if self.ids is not None and doc.get("_id") not in self.ids:
            return False
        return self.check is None or self.check(doc)


def listing_page(collection: Collection, listing: Listing, after: str | None, limit: int) -> list[dict[str, Any]]:
    """Up to *limit* documents of *listing* after the key *after* (a cursor), in key order."""
    sort = [(listing.key, listing.direction)]
    if listing.match is None:
        return list(collection.find(listing.query(after), listing.projection).sort(sort).limit(limit))
    if listing.words is not None and set(listing.where) <= set(FILTER_FIELDS) and _words_complete(collection):
        found = _walk_words(collection, listing, after, limit, sort)
    else:
        found = _walk(collection, listing, after, limit, sort)
    if found is not None:
        return found
    # rare words: every document the text index finds, filtered and ordered here
    hits = [d for d in collection.find({"$text": {"$search": listing.text}}, listing.projection)
            if listing.holds(d, after) and listing.match(d)]
    hits.sort(key=lambda d: d[listing.key], reverse=listing.direction < 0)
    return hits[:limit]


def _walk(collection: Collection, listing: Listing, after: str | None, limit: int,
          sort: list[tuple[str, int]]) -> list[dict[str, Any]] | None:
    """A text listing read in key order in growing chunks, matched here; None when the budget ran out.

    Only the key and *match_fields* are read while walking (an article's references and locations are
    most of its bytes), then the page's own documents in one ``_id $in``."""
    if not listing.match_fields:
        walk_projection = listing.projection
    else:
        walk_projection = {name: 1 for name in (listing.key, *listing.match_fields)}
    assert listing.match is not None
    hits: list[dict[str, Any]] = []
    read, chunk, last = 0, max(FIRST_CHUNK, 4 * limit), after
    while read < WALK_BUDGET:
        docs = list(collection.find(listing.query(last), walk_projection).sort(sort).limit(chunk))
        hits += [d for d in docs if listing.match(d)]
        if len(hits) >= limit or len(docs) < chunk:  # a full page, or the whole range was read
            return _whole(collection, listing, hits[:limit])
        read, last, chunk = read + len(docs), docs[-1][listing.key], min(2 * chunk, MAX_CHUNK)
    return None


def _words_complete(collection: Collection) -> bool:
    """Whether every article has its ``article_words`` companion: none without ``words_sha`` (an indexed
    equality; articles stored before ``ensure_indexes`` backfilled them are searched the old way)."""
    return collection.find_one({WORDS_SHA: None}, {"_id": 1}) is None


def _walk_words(collection: Collection, listing: Listing, after: str | None, limit: int,
                sort: list[tuple[str, int]]) -> list[dict[str, Any]] | None:
    """A word search read in key order from ``article_words`` (small documents: the key, the filter
    fields, the tokens), then the page's articles by ``_id``; None when the budget ran out."""
    assert listing.words is not None
    words = collection.database[WORDS_COLLECTION]
    projection = {listing.key: 1, "words": 1, WORDS_SHA: 1}
    hits: list[dict[str, Any]] = []
    read, chunk, last = 0, max(FIRST_CHUNK, 4 * limit), after
    while read < WALK_BUDGET:
        docs = list(words.find(listing.query(last), projection).sort(sort).limit(chunk))
        hits += [d for d in docs if listing.words(set((d.get("words") or "").split()))]
        if len(hits) >= limit or len(docs) < chunk:
            break
        read, last, chunk = read + len(docs), docs[-1][listing.key], min(2 * chunk, MAX_CHUNK)
    else:
        return None
    hits = hits[:limit]
    if not hits:
        return []
    found = {d["_id"]: d for d in collection.find({"_id": {"$in": [h["_id"] for h in hits]}}, listing.projection)}
    page = []
    for hit in hits:
        doc = found.get(hit["_id"])
        if doc is None:
            continue
        # the article itself decides: its filters, and its text when the companion was written for another version
        if not listing.holds(doc, after) or (doc.get(WORDS_SHA) != hit.get(WORDS_SHA) and not (
                listing.match is not None and listing.match(doc))):
            continue
        page.append(doc)
    return page


def _whole(collection: Collection, listing: Listing, hits: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The full documents of *hits* (walked with a projection), in the hits' order."""
    if not listing.match_fields or not hits:
        return hits
    docs = {d["_id"]: d for d in collection.find({"_id": {"$in": [h["_id"] for h in hits]}}, listing.projection)}
    return [docs[h["_id"]] for h in hits if h["_id"] in docs]
