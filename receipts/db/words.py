"""The words of each article, kept small for text search (see docs/schema.md, "Listing keys").

On nx-27017 reading an article costs about its whole document (its references array above all),
whatever the projection: 200 articles take ~30 ms, so a text search that walks the listing key and
matches in Python paid mostly for bytes it never looked at. Each article therefore has a companion
document in ``article_words`` (same ``_id``): its listing keys, the fields listings filter on by
equality, and ``words``, the distinct case-folded ``\\w+`` tokens of its title and body in one
string (strings are cheap to read there, arrays are not). A word search walks that collection in key
order and fetches only the page's articles.

Tokens are exactly what the Python matcher takes (``receipts.queries.text_matcher``: ``\\w+`` of
the case-folded ``title + " " + body_text``), so a word matches here iff it matches the article.
Phrases need the text itself and still walk the articles. ``words_sha`` on the article names the
companion written for it; ``Archive.ensure_indexes`` writes the missing ones (``{words_sha: None}``).
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from receipts.db.keys import ARTICLE_KEYS, article_keys

COLLECTION = "article_words"
WORD_RE = re.compile(r"\w+")
TEXT_FIELDS = ("title", "body_text")  # what an article's text search reads
# article fields a listing filters on by equality, copied so a walk of the companion can apply them
FILTER_FIELDS = ("domain", "language", "cites_deleted", "cites_edited")
# a change to one of these rewrites the companion (set_fields takes its read-modify-replace route)
WORD_INPUTS = frozenset({*TEXT_FIELDS, *FILTER_FIELDS, "published_at"})
WORDS_SHA = "words_sha"


def text_of(doc: dict[str, Any], fields: tuple[str, ...] = TEXT_FIELDS) -> str:
    """The text the matcher reads: *fields* joined by a space, case-folded."""
    return " ".join(str(doc.get(f) or "") for f in fields).casefold()


def tokens(text: str) -> set[str]:
    """The ``\\w+`` tokens of an already case-folded *text*."""
    return set(WORD_RE.findall(text))


def words_doc(article: dict[str, Any]) -> dict[str, Any]:
    """The ``article_words`` document of a stored *article* document."""
    keys = article_keys(article)
    doc: dict[str, Any] = {"_id": article["_id"], **{k: v for k, v in keys.items() if v is not None}}
    for name in FILTER_FIELDS:
        if name in article:
            doc[name] = article[name]
    doc["words"] = " ".join(sorted(tokens(text_of(article))))
    doc[WORDS_SHA] = words_sha(doc)
    return doc


def words_sha(doc: dict[str, Any]) -> str:
    """A digest of a companion's content (``w`` + 16 hex: never taken for a number by nx-27017)."""
    parts = [str(doc.get(k)) for k in (*ARTICLE_KEYS, *FILTER_FIELDS, "words")]
    return "w" + hashlib.sha1("\x00".join(parts).encode()).hexdigest()[:16]


def with_words(article: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """*article* stamped with its companion's ``words_sha``, and the companion."""
    companion = words_doc(article)
    article[WORDS_SHA] = companion[WORDS_SHA]
    return article, companion
