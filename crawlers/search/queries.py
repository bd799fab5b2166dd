"""Search queries for a quote, most specific first: exact phrases, then the author's words, then keywords.

Phrases are taken inside one clause (split at punctuation and ellipses) because an article that
splits a post around its attribution loses the punctuation at the seam, and search engines
match phrases on words: a phrase spanning the seam could miss. Queries use X search syntax
(``"phrase"``, ``from:handle``), which is also what the Wayback provider ignores.
"""

from __future__ import annotations

import re

from receipts.quotes.normalize import normalize_text

PHRASE_WORDS = 10
MAX_QUERY_CHARS = 512  # the X API's limit for search/recent on most access levels
_CLAUSE = re.compile(r"[.!?;:,()\[\]]+\s|\.\.\.|\s[-]\s|\n")
_STOPWORDS = frozenset(
    "a an and are as at be been but by for from had has have he her his i in is it its of on or our she so "
    "that the their them then there they this to was we were what when which who will with would you your "
    "not no do does did can could should into about than just".split())


def _tokens(text: str) -> list[str]:
    return [t for t in (re.sub(r"^[^\w@#]+|[^\w]+$", "", w) for w in text.split()) if t]


def clauses(text: str) -> list[list[str]]:
    norm = normalize_text(text).replace('"', " ")
    return [words for part in _CLAUSE.split(norm + " ") if (words := _tokens(part))]


def phrases(text: str, limit: int = 2, size: int = PHRASE_WORDS) -> list[str]:
    """Up to *limit* exact phrases of at most *size* words, from the longest clauses (the end of the
    longest, where a split seam is least likely, then the start of the next)."""
    ranked = sorted(clauses(text), key=len, reverse=True)
    out: list[str] = []
    for i, words in enumerate(ranked):
        if len(words) < 3:
            break
        chosen = words[-size:] if i == 0 else words[:size]
        phrase = " ".join(chosen)
        if phrase not in out:
            out.append(phrase)
        if len(out) >= limit:
            break
    return out


def keywords(text: str, limit: int = 6) -> list[str]:
    """The most distinctive words (longest, no stopwords), in text order."""
    words = [w for clause in clauses(text) for w in clause]
    unique = list(dict.fromkeys(w for w in words if w.casefold() not in _STOPWORDS and len(w) > 2 and "/" not in w))
    best = set(sorted(unique, key=len, reverse=True)[:limit])
    return [w for w in unique if w in best]


def build_queries(text: str, handle: str | None = None, max_queries: int = 4) -> list[str]:
    """X search queries for a quote: exact phrases (with ``from:`` when the handle is known) first."""
    author = f" from:{handle}" if handle else ""
    queries = [f'"{p}"{author}' for p in phrases(text)]
    words = keywords(text)
    if handle and words:
        queries.append(f"from:{handle} " + " ".join(words[:4]))
    if len(words) >= 3:
        queries.append(" ".join(words))
    unique = [q[:MAX_QUERY_CHARS] for q in dict.fromkeys(queries)]
    return unique[:max_queries]
