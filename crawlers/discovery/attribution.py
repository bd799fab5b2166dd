"""Posts quoted in prose without an ID: flattened embed footers and "…,” X wrote on X" quotes.

Both work on the body text paragraphs (outside embeds) and produce ``attribution`` hits whose
offsets point at the quoted text. Only quotes attributed to social posting count: "Hegseth said"
is speech, "Vietor wrote" / "posted … on X" / "tweeted" are posts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from crawlers.platforms.hits import Hit

from .body import BodyText, SpanSet

# "— Aaron Rupar (@atrupar) February 13, 2025" (the date link of an embed, flattened to text)
FLAT_FOOTER = re.compile(
    r"(?:^|\s)(?:[—–―]|-{1,2})\s*(?P<name>[^\n()—–]{0,80}?)\s*\(\s*@(?P<handle>[A-Za-z0-9_]{1,15})\s*\)"
    r"\s*(?P<date>[^\n()]{3,40}?(?:\d{4}|日))\s*$")
_MEDIA_TAIL = re.compile(r"(?:pic\.(?:twitter|x)\.com|t\.co)/[A-Za-z0-9]+\s*$")
_MEDIA_TOKEN = re.compile(r"(?:https?://)?(?:pic\.(?:twitter|x)\.com|t\.co)/[A-Za-z0-9]+")

_VERB = re.compile(
    r"\b(tweeted|tweets|retweeted|posted|posts|wrote|writes|replied|responded|said|says|added|quipped|"
    r"noted|argued|commented|declared|shared|joked|warned)\b", re.IGNORECASE)
_STRONG = frozenset({"tweeted", "tweets", "retweeted", "posted", "posts", "wrote", "writes"})
_ON_X = re.compile(r"\b(?:on|to|via)\s+(?:X|Twitter)\b|\bX\s+post\b|\btweet\b|\bon social media\b"
                   r"|\bin a post\b|\bonline\b")
_OTHER = re.compile(
    r"\b(?:Truth Social|Bluesky|Threads|Facebook|Instagram|Mastodon|TikTok|LinkedIn|Substack|Telegram|"
    r"YouTube|Reddit|blog|op-ed|letter|memo|book|e-?mail|statement|column|essay|report|newsletter|filing|"
    r"court|text message)\b", re.IGNORECASE)
_HANDLE = re.compile(r"(?<![\w@])@([A-Za-z0-9_]{1,15})\b")
_NAME_TOKEN = r"[A-Z][\w’'\-.]*"
_NAME_SEQ = re.compile(rf"{_NAME_TOKEN}(?:\s+(?:{_NAME_TOKEN}|de|van|von|da|del|der|bin|al))*")
_STOP = frozenset({
    "The", "A", "An", "On", "In", "X", "Twitter", "He", "She", "They", "It", "His", "Her", "Their", "We",
    "I", "And", "But", "Also", "Then", "Later", "Earlier", "Meanwhile", "However", "Still", "After",
    "Before", "When", "While", "As", "At", "For", "Of", "To", "Via", "Online", "Thursday", "Friday",
    "Monday", "Tuesday", "Wednesday", "Saturday", "Sunday",
})
_TITLES = frozenset({
    "President", "Former", "Secretary", "Senator", "Sen.", "Rep.", "Representative", "Gov.", "Governor",
    "Mr.", "Mrs.", "Ms.", "Dr.", "Prof.", "Professor", "Gen.", "General", "Prime", "Minister", "Judge",
    "Justice", "Chairman", "CEO", "Defense", "Vice", "Speaker", "Leader", "Sir", "Lord", "Lady", "Mayor",
})
_OPEN = {"“": "”", '"': '"', "«": "»", "„": "“"}


@dataclass
class _Quote:
    start: int  # first char inside the quote (paragraph-relative)
    end: int  # closing quote position (exclusive end of the text)
    closed: bool


def _quotes(text: str) -> list[_Quote]:
    found: list[_Quote] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        close = _OPEN.get(ch)
        if close is None:
            i += 1
            continue
        j = text.find(close, i + 1)
        if j < 0:
            found.append(_Quote(i + 1, n, False))
            break
        found.append(_Quote(i + 1, j, True))
        i = j + 1
    return found


def _social(clause: str) -> bool:
    first = re.split(r"(?<=[.!?;])\s", clause.strip(), maxsplit=1)[0]
    words = first.split()
    if not words or len(words) > 25:
        return False
    verb = _VERB.search(first)
    if not verb or len(first[: verb.start()].split()) > 8:
        return False
    if _OTHER.search(first):
        return False
    return verb.group(1).lower() in _STRONG or bool(_ON_X.search(first))


def _strip_titles(tokens: list[str]) -> list[str]:
    while tokens and (tokens[0] in _TITLES or tokens[0] in _STOP):
        tokens = tokens[1:]
    return tokens


def _names(clause: str) -> list[str]:
    names = []
    for m in _NAME_SEQ.finditer(clause):
        tokens = _strip_titles(m.group(0).rstrip(".").split())
        if not tokens or any(t.endswith(("’s", "'s")) for t in tokens):
            continue
        names.append(" ".join(tokens))
    return names


class _NameIndex:
    """Surname → the first full name ending in it ("Vietor" → "Tommy Vietor"), built in one pass."""

    def __init__(self, body: str) -> None:
        self._body = body
        self._index: dict[str, str] | None = None

    def resolve(self, surname: str) -> str:
        if self._index is None:
            self._index = {}
            for m in _NAME_SEQ.finditer(self._body):
                tokens = _strip_titles(m.group(0).rstrip(".,").split())
                if len(tokens) < 2 or any(t.endswith(("’s", "'s", ",")) for t in tokens):
                    continue
                initial = len(tokens) >= 3 and re.fullmatch(r"[A-Z]\.", tokens[-2])
                self._index.setdefault(tokens[-1], " ".join(tokens[-3:] if initial else tokens[-2:]))
        return self._index.get(surname, surname)


def _person(clause: str, names_index: _NameIndex) -> tuple[str | None, str | None]:
    handle_match = _HANDLE.search(clause)
    handle = handle_match.group(1) if handle_match else None
    names = _names(_HANDLE.sub(" ", clause))
    multi = [n for n in names if " " in n]
    if multi:
        return multi[0], handle
    if names:
        return names_index.resolve(names[0]), handle
    return None, handle


def _clean_part(text: str) -> str:
    return text.strip().rstrip(",").strip()


def quote_attributions(body: BodyText, skip: list[tuple[int, int]]) -> list[Hit]:
    hits: list[Hit] = []
    text = body.text
    skipped = SpanSet(skip)
    names_index = _NameIndex(text)
    for index, para in enumerate(body.paragraphs):
        if para.start in skipped:
            continue
        ptext = text[para.start:para.end]
        if not any(ch in ptext for ch in _OPEN):
            continue
        quotes = _quotes(ptext)
        used: set[int] = set()
        for qi, q in enumerate(quotes):
            if qi in used:
                continue
            after_end = quotes[qi + 1].start - 1 if qi + 1 < len(quotes) else len(ptext)
            clause = ptext[q.end + 1: after_end] if q.closed else ""
            group: list[_Quote] = []
            if clause.strip() and _social(clause):
                group = [q]
                # “A,” Vietor wrote. “B” — a quote right after the one-sentence attribution continues the post
                rest = re.split(r"(?<=[.!?;])\s", clause.strip(), maxsplit=1)
                if qi + 1 < len(quotes) and (len(rest) == 1 or not rest[1].strip()):
                    group.append(quotes[qi + 1])
                    used.add(qi + 1)
            else:
                before_start = quotes[qi - 1].end + 1 if qi else 0
                lead = ptext[before_start: q.start - 1]
                sentence = re.split(r"(?<=[.!?])\s", lead)[-1]
                if sentence.rstrip().endswith((":", ",")) and _social(sentence):
                    group, clause = [q], sentence
            if not group:
                continue
            parts = [_clean_part(ptext[g.start:g.end]) for g in group]
            displayed = " ".join(p for p in parts if p)
            if not displayed:
                continue
            name, handle = _person(clause, names_index)
            start, end = para.start + group[0].start, para.start + group[-1].end
            hits.append(Hit(kind="attribution", displayed_text=displayed, display_name=name, handle=handle,
                            offsets=(start, end), paragraph_index=index, element=para.element,
                            variant="quote", in_body=True))
    return hits


def footer_attributions(body: BodyText, skip: list[tuple[int, int]],
                        foreign_links: list[tuple[int, int]] | None = None) -> list[Hit]:
    """Flattened embeds: "— Name (@handle) Date" lines in prose, with the tweet text around them.

    A footer whose handle or date is a link to another site (bsky.app, a Mastodon instance) is skipped.
    """
    hits: list[Hit] = []
    text = body.text
    paras = body.paragraphs
    skipped = SpanSet(skip)
    foreign = SpanSet(foreign_links or [])

    def free(i: int) -> bool:
        p = paras[i]
        return p.start not in skipped and not FLAT_FOOTER.search(text[p.start:p.end])

    for index, para in enumerate(paras):
        if para.start in skipped:
            continue
        ptext = text[para.start:para.end]
        if "@" not in ptext:
            continue
        m = FLAT_FOOTER.search(ptext)
        if not m or foreign.overlaps(para.start + m.start(), para.end):
            continue
        pieces: list[tuple[int, int]] = []
        inline = ptext[: m.start()].strip()
        if inline:
            pieces.append((para.start, para.start + len(ptext[: m.start()].rstrip())))
        elif index > 0 and free(index - 1):
            prev = paras[index - 1]
            pieces.append((prev.start, prev.end))
        if index + 1 < len(paras) and free(index + 1):
            nxt = paras[index + 1]
            if _MEDIA_TAIL.search(text[nxt.start:nxt.end]):
                pieces.append((nxt.start, nxt.end))
        displayed = "\n".join(text[s:e].strip() for s, e in pieces) or None
        media = _MEDIA_TOKEN.search(displayed or "")
        start = min([para.start, *[s for s, _ in pieces]])
        end = max([para.end, *[e for _, e in pieces]])
        hits.append(Hit(
            kind="attribution", handle=m.group("handle"), display_name=m.group("name").strip() or None,
            displayed_date=m.group("date").strip(), displayed_text=displayed, offsets=(start, end),
            paragraph_index=index, element=para.element, variant="flattened-footer", in_body=True,
            media_url=("https://" + media.group(0).split("://")[-1]) if media else None,
        ))
    return hits
