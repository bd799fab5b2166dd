"""Does the article show a post faithfully? One :class:`~receipts.models.QuoteCheck` per reference.

Verdicts, first match wins:

- ``deleted`` / ``unavailable``: the post is gone (similarity still computed against the last
  archived text, when there is one);
- ``unverified``: no archived text to compare with (post not fetched, or the archive holds only a
  truncated long post shorter than the quote);
- ``misattributed``: the handle, display name or date the article shows disagrees with the post
  (the text comparison is still stored);
- ``edited_since``: the shown text differs from the current text but matches an earlier version,
  or the cited ID has a newer edit and the texts differ;
- ``exact`` (identical), ``equivalent`` (identical after :mod:`receipts.quotes.normalize`, up to the
  word sequence: a quote split around its attribution, “A,” X posted. “B”, is equivalent),
  ``excerpt`` (one contiguous part of the post, or several in order joined by an ellipsis, possibly
  cut mid-word at an ellipsis), ``altered`` (word-level differences; the diff is stored).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from difflib import SequenceMatcher
from typing import Any, Literal

from receipts.models import Article, Post, QuoteCheck, Reference, utcnow
from receipts.quotes.dates import date_consistent, parse_displayed_date
from receipts.quotes.normalize import (
    normalize_text,
    split_elisions,
    strip_ellipses,
    strip_emoji,
    words,
)

TextVerdict = Literal["exact", "equivalent", "excerpt", "altered"]


@dataclass
class TextMatch:
    verdict: TextVerdict
    similarity: float
    displayed: str
    post: str
    diff: list[dict[str, Any]] = field(default_factory=list)
    post_truncated: bool = False  # the archived text ends in "…" and the quote goes beyond it


def _find(needle: list[str], hay: list[str], start: int, cut_start: bool, cut_end: bool) -> int | None:
    """Index in *hay* (from *start*) where *needle* occurs contiguously; edge words may be cut at an ellipsis."""
    n = len(needle)
    if n == 0:
        return start
    for i in range(start, len(hay) - n + 1):
        ok = True
        for j, word in enumerate(needle):
            other = hay[i + j]
            if word == other:
                continue
            if j == n - 1 and cut_end and other.startswith(word):
                continue
            if j == 0 and cut_start and other.endswith(word):
                continue
            ok = False
            break
        if ok:
            return i
    return None


def _is_excerpt(displayed: str, post_words: list[str]) -> bool:
    body, cut_start, cut_end = strip_ellipses(displayed)
    pieces = [words(p) for p in split_elisions(body)]
    pieces = [p for p in pieces if p]
    if not pieces or sum(len(p) for p in pieces) >= len(post_words):
        return False
    cursor = 0
    for i, piece in enumerate(pieces):
        first, last = i == 0, i == len(pieces) - 1
        at = _find(piece, post_words, cursor, cut_start or not first, cut_end or not last)
        if at is None:
            return False
        cursor = at + len(piece)
    return True


# difflib's opcodes turn the shown words into the post's; named from the article's side
_OPS = {"replace": "replaced", "delete": "added", "insert": "omitted"}


def _diff(shown: list[str], post: list[str]) -> tuple[float, list[dict[str, Any]]]:
    """Similarity against the aligned part of the post, and the word-level edits that turn it into the shown text."""
    matcher = SequenceMatcher(None, shown, post, autojunk=False)
    blocks = [b for b in matcher.get_matching_blocks() if b.size]
    if not blocks:
        return 0.0, [{"op": "replaced", "article": " ".join(shown), "post": " ".join(post)}]
    lo, hi = blocks[0].b, blocks[-1].b + blocks[-1].size
    # a quote of part of the post: compare with the aligned window, widened by the unmatched edges
    lo = max(0, lo - blocks[0].a)
    hi = min(len(post), hi + (len(shown) - blocks[-1].a - blocks[-1].size))
    window = post[lo:hi]
    matcher = SequenceMatcher(None, shown, window, autojunk=False)
    ops = [{"op": _OPS[tag], "article": " ".join(shown[i1:i2]), "post": " ".join(window[j1:j2]), "at": lo + j1}
           for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"]
    return round(matcher.ratio(), 4), ops


def compare_text(displayed: str, post_text: str, url_map: dict[str, str | None] | None = None) -> TextMatch:
    """Compare the text an article shows with a post's text (see the module docstring for the verdicts)."""
    shown, original = normalize_text(displayed, url_map), normalize_text(post_text, url_map)
    if displayed.strip() == post_text.strip():
        return TextMatch("exact", 1.0, shown, original)
    shown_words, post_words = words(shown), words(original)
    if shown == original or shown_words == post_words:
        return TextMatch("equivalent", 1.0, shown, original)
    if _is_excerpt(shown, post_words):
        return TextMatch("excerpt", 1.0, shown, original)
    truncated_body, _, post_cut = strip_ellipses(original)
    if post_cut:  # a long post archived truncated ("…"): the quote may go on where the archive stops
        head = words(truncated_body)
        if head and _find(head[:-1], shown_words, 0, False, False) is not None and len(shown_words) > len(head):
            return TextMatch("altered", 0.0, shown, original, post_truncated=True)
    similarity, ops = _diff(shown_words, post_words)
    return TextMatch("altered", similarity, shown, original, ops)


# ------------------------------------------------------------------------------------ attribution


def _name_tokens(name: str) -> list[str]:
    return [t for t in re.split(r"[^\w]+", strip_emoji(normalize_text(name)).casefold()) if t]


def name_matches(shown: str, actual: str | None, handle: str | None = None) -> bool:
    """Loose: display names change (emoji, titles, "(parody)"); the shown surname must appear in the name or handle."""
    shown_tokens = _name_tokens(shown)
    if not shown_tokens:
        return True
    actual_tokens = _name_tokens(actual or "")
    surname = shown_tokens[-1]
    if surname in actual_tokens or " ".join(shown_tokens) in " ".join(actual_tokens):
        return True
    return bool(handle) and len(surname) >= 3 and surname in (handle or "").casefold()


def attribution_mismatches(ref: Reference, post: Post) -> list[str]:
    """Handle, display name and date the article shows that disagree with the post."""
    out: list[str] = []
    author = post.author
    if ref.handle and author.handle and ref.handle.lstrip("@").casefold() != author.handle.casefold():
        out.append(f"handle: article shows @{ref.handle.lstrip('@')}, post is by @{author.handle}")
    if ref.display_name and author.name and not name_matches(ref.display_name, author.name, author.handle):
        out.append(f"display_name: article shows {ref.display_name!r}, post author is {author.name!r}")
    shown = parse_displayed_date(ref.displayed_date)
    if shown is not None and post.created_at is not None and not date_consistent(shown, post.created_at):
        out.append(f"date: article shows {ref.displayed_date!r} ({shown.isoformat()}), post created "
                   f"{post.created_at.isoformat()} (no time zone gives that date)")
    return out


# ------------------------------------------------------------------------------------ the check


def _older_texts(post: Post) -> list[str]:
    texts = [v.get("text") for v in post.versions[:-1] if isinstance(v, dict)]
    return [t for t in texts if isinstance(t, str) and t != post.text]


def check_quote(ref: Reference, post: Post | None, article: Article | None = None, capture_id: str | None = None,
                *, tz_offset: timedelta | None = None) -> QuoteCheck:
    """The verdict for one reference whose article shows text, against the archived *post*.

    *capture_id* is the capture the post text came from (default: the post's last capture).
    *tz_offset*, when the article's own offset is known, is tried before the any-time-zone rule.
    """
    shown = ref.displayed_text or ""
    base: dict[str, Any] = {"checked_at": utcnow(), "capture_id": capture_id or (post.last_capture_id if post else None)}
    if post is None:
        return QuoteCheck(verdict="unverified", displayed_normalized=normalize_text(shown) if shown else None,
                          mismatches=["the post is not archived"], **base)
    text = post.text
    if text is None and post.versions:
        text = post.versions[-1].get("text")
    if not shown or text is None:
        verdict = "deleted" if post.status == "deleted" else "unavailable" if post.status == "unavailable" else "unverified"
        reason = "the article shows no text" if not shown else "no archived text for the post"
        return QuoteCheck(verdict=verdict, displayed_normalized=normalize_text(shown) if shown else None,
                          mismatches=[reason], **base)
    url_map = post.links
    match = compare_text(shown, text, url_map)
    fields: dict[str, Any] = {"similarity": match.similarity, "displayed_normalized": match.displayed,
                              "post_normalized": match.post, "diff": match.diff, **base}
    if post.status in ("deleted", "unavailable"):
        return QuoteCheck(verdict=post.status, **fields)
    mismatches = attribution_mismatches(ref, post)
    if tz_offset is not None and ref.displayed_date and post.created_at is not None:
        day = parse_displayed_date(ref.displayed_date)
        if day is not None and date_consistent(day, post.created_at, tz_offset):
            mismatches = [m for m in mismatches if not m.startswith("date:")]
    if mismatches:
        return QuoteCheck(verdict="misattributed", mismatches=mismatches, **fields)
    if match.verdict == "altered":
        for older in _older_texts(post):
            earlier = compare_text(shown, older, url_map)
            if earlier.verdict != "altered":
                return QuoteCheck(verdict="edited_since", mismatches=["the text shown is an earlier version of the post"],
                                  **{**fields, "similarity": earlier.similarity})
        newer = bool(ref.post_id and post.edit_ids and post.edit_ids[-1] != ref.post_id)
        if newer:
            return QuoteCheck(verdict="edited_since", mismatches=[
                f"the article cites {ref.post_id}; the post has a newer edit {post.edit_ids[-1]}"], **fields)
        if match.post_truncated:
            return QuoteCheck(verdict="unverified", mismatches=[
                "the archived text is truncated (long post); the quote goes beyond it"], **fields)
    return QuoteCheck(verdict=match.verdict, **fields)
