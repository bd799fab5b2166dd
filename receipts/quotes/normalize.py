"""Normalising quoted text so that only meaning-bearing differences remain.

Two levels. :func:`normalize_text` removes what a page or an embed changes without changing
what the post says: HTML entities, Unicode composition, whitespace and line breaks, curly vs
straight quotes, dash variants, ellipsis glyphs, emoji (embeds often render them as ``<img>``),
and the post's own link texts (``Post.links``, filled by its platform: a shortened or display URL
stands for its expanded URL, a media placeholder such as X's ``pic.x.com/…`` vanishes).
:func:`words` goes one step further, to the word sequence (case and punctuation dropped): an article that splits a post around its attribution (“A,” she posted.
“B”) changes a full stop into a comma, which is not an alteration of the quote.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Mapping

_QUOTES = str.maketrans({
    "‘": "'", "’": "'", "‚": "'", "‛": "'", "′": "'", "`": "'", "´": "'",
    "“": '"', "”": '"', "„": '"', "‟": '"', "″": '"', "«": '"', "»": '"', "‹": "'", "›": "'",
    "‐": "-", "‑": "-", "‒": "-", "–": "-", "—": "-", "―": "-", "−": "-", "⁃": "-",
    "\u00a0": " ", "\u2007": " ", "\u202f": " ", "\u2009": " ", "\u200a": " ", "\u3000": " ",
})
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\ufe0e\ufe0f\u00ad]")
_ELLIPSIS = re.compile(r"…|\.\s?\.\s?\.")
_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"']+|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}/[^\s<>\"']*", re.I)
_SPACE = re.compile(r"\s+")
_WORD_EDGE = re.compile(r"^[^\w@#]+|[^\w]+$")


def _is_emoji(ch: str) -> bool:
    code = ord(ch)
    if 0x1F1E6 <= code <= 0x1F1FF or 0x1F3FB <= code <= 0x1F3FF:  # flags, skin tones
        return True
    return unicodedata.category(ch) == "So" and code >= 0x2190


def strip_emoji(text: str) -> str:
    return "".join(ch for ch in text if not _is_emoji(ch))


def canonical_url(url: str) -> str:
    """A URL as a comparable token: no scheme, no ``www.``, no trailing slash or ellipsis, host lower-cased."""
    url = re.sub(r"^(?:https?://)?(?:www\.)?", "", url.strip(), flags=re.I)
    url = url.rstrip("…").rstrip(".,;:!?)").rstrip("/")
    host, sep, rest = url.partition("/")
    return host.lower() + sep + rest


def _replace_urls(text: str, url_map: Mapping[str, str | None]) -> str:
    def repl(m: re.Match[str]) -> str:
        key = canonical_url(m.group(0))
        if key in url_map:
            target = url_map[key]
            return "" if target is None else canonical_url(target)
        return key

    return _URL.sub(repl, text)


def normalize_text(text: str, url_map: Mapping[str, str | None] | None = None) -> str:
    """Level-1 normal form (see the module docstring). Idempotent."""
    previous = None
    while previous != text:  # entities may be double-escaped (&amp;amp;)
        previous, text = text, html.unescape(text)
    text = unicodedata.normalize("NFC", text)
    text = _INVISIBLE.sub("", text).translate(_QUOTES)
    text = _ELLIPSIS.sub("...", text)
    text = _replace_urls(text, url_map or {})
    text = strip_emoji(text)
    return _SPACE.sub(" ", text).strip()


def words(text: str) -> list[str]:
    """Level-2 normal form: case-folded words of a level-1 text, punctuation at word edges dropped."""
    out: list[str] = []
    for token in text.split(" "):
        token = _WORD_EDGE.sub("", token.replace("...", " ").strip())
        for part in token.split():
            part = _WORD_EDGE.sub("", part)
            if part:
                out.append(part.casefold())
    return out


def strip_ellipses(text: str) -> tuple[str, bool, bool]:
    """A level-1 text without a leading/trailing ``...`` (or ``[...]``): (text, cut_at_start, cut_at_end)."""
    stripped = text.strip()
    start = bool(re.match(r"^(?:\[\.\.\.\]|\(\.\.\.\)|\.\.\.)\s*", stripped))
    stripped = re.sub(r"^(?:\[\.\.\.\]|\(\.\.\.\)|\.\.\.)\s*", "", stripped)
    end = bool(re.search(r"\s*(?:\[\.\.\.\]|\(\.\.\.\)|\.\.\.)$", stripped))
    stripped = re.sub(r"\s*(?:\[\.\.\.\]|\(\.\.\.\)|\.\.\.)$", "", stripped)
    return stripped, start, end


def split_elisions(text: str) -> list[str]:
    """Pieces of a quote the article joined with an ellipsis (``A ... B`` → ``[A, B]``)."""
    return [p.strip() for p in re.split(r"\s*(?:\[\.\.\.\]|\(\.\.\.\)|\.\.\.)\s*", text) if p.strip()]
