"""How well a found post explains a quote: text, author and time, each 0–1, weighted into one score.

- text: 1 when the quote is the post (or a faithful excerpt of it, see :func:`compare_text`),
  else the share of the quote's words found in order in the post;
- author: 1 when the handle matches, or the name the article gives matches the account's; 0 when
  either disagrees; 0.5 when the article says nothing about the author;
- time: 1 up to two days before publication, falling to 0.5 at the start of the search window;
  0 for posts after publication (an hour of slack for clocks).

A copy of the text by someone else scores at most 0.75 (text + time), below the default
threshold of 0.8, so retweets and quote-posts of the words are not linked as the source.
"""

from __future__ import annotations

from datetime import timedelta
from difflib import SequenceMatcher

from crawlers.search.base import Found, QuoteTarget
from receipts.quotes.compare import compare_text, name_matches
from receipts.quotes.normalize import normalize_text, words

WEIGHTS = {"text": 0.6, "author": 0.25, "time": 0.15}
RECENT = timedelta(days=2)


def text_score(quote: str, text: str | None) -> float:
    if not text or not quote.strip():
        return 0.0
    if compare_text(quote, text).verdict in ("exact", "equivalent", "excerpt"):
        return 1.0
    shown, post = words(normalize_text(quote)), words(normalize_text(text))
    if not shown:
        return 0.0
    matched = sum(b.size for b in SequenceMatcher(None, shown, post, autojunk=False).get_matching_blocks())
    return round(matched / len(shown), 4)


def author_score(target: QuoteTarget, found: Found) -> float:
    if target.handle and found.handle:
        return 1.0 if target.handle.casefold() == found.handle.casefold() else 0.0
    if target.name and (found.name or found.handle):
        return 1.0 if name_matches(target.name, found.name, found.handle) else 0.0
    return 0.5


def time_score(target: QuoteTarget, found: Found) -> float:
    if found.created_at is None:
        return 0.5
    if found.created_at > target.end:
        return 0.0
    age = target.end - found.created_at
    if age <= RECENT:
        return 1.0
    span = max(target.end - target.start - RECENT, timedelta(seconds=1))
    return round(max(0.5, 1.0 - 0.5 * (age - RECENT) / span), 4)


def score(target: QuoteTarget, found: Found) -> tuple[float, dict[str, float]]:
    parts = {"text": text_score(target.text, found.text), "author": author_score(target, found),
             "time": time_score(target, found)}
    total = sum(WEIGHTS[k] * v for k, v in parts.items())
    return round(total, 4), parts
