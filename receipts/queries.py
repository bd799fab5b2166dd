"""Filters → MongoDB queries, shared by the API, the web UI, ``receipts query`` and the exports.

Every filter value is parsed strictly (ISO 8601 dates, enums, handle and domain patterns) and
placed into a query this module builds; a user-supplied dict or operator never reaches MongoDB.
Text search uses ``$text`` with the phrase as a plain string.

nx-27017 quirks shaped the queries: a dotted query on the indexed ``references.post_id`` finds
nothing (``$elemMatch`` works), ``$in`` on array-element fields and ``$not`` are not supported,
so "cites a deleted/edited post" and "edited" resolve to ``_id`` lists first.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, get_args
from urllib.parse import urlsplit

from receipts.db.archive import Archive
from receipts.db.keys import keyed, prefix_range, time_key
from receipts.db.pages import Listing
from receipts.db.reads import article_doc, article_ids, article_ids_for_url, post_doc
from receipts.db.words import TEXT_FIELDS, WORD_RE, text_of, tokens
from receipts.ids import id_time_prefix
from receipts.models import PlatformName

POST_STATUSES = ("live", "deleted", "edited", "unavailable", "error")
CITES = ("deleted", "edited")
PLATFORMS: tuple[str, ...] = get_args(PlatformName)
EVENT_TYPES = ("post_deleted", "post_unavailable", "post_restored", "post_edited", "media_changed",
               "article_changed", "embed_removed", "embed_added", "quote_changed")

# Keyset pagination sorts on ``_id`` only: nx-27017 compares datetimes to the second, so a
# ``first_seen_at < cursor`` clause silently skips documents stored within the same second.
# Articles come in canonical-URL order (grouped by outlet), posts newest post id first.
ARTICLE_SORT: list[tuple[str, int]] = [("_id", 1)]
POST_SORT: list[tuple[str, int]] = [("_id", -1)]
EVENT_SORT: list[tuple[str, int]] = [("created_at", 1), ("_id", 1)]

MAX_TEXT = 200
MAX_URL = 4096
# an X handle (``atrupar``), a domain handle (``jay.bsky.team``) or a fediverse account (``user@mastodon.social``)
HANDLE_RE = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,251}[A-Za-z0-9_])?(?:@[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?)?")
DOMAIN_RE = re.compile(r"(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*")
LANG_RE = re.compile(r"[a-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")
POST_KEY_RE = re.compile(r"(?P<platform>[a-z]{1,20}):(?P<id>\S{1,600})")
BARE_ID_RE = re.compile(r"[0-9]{1,25}")
BARE_ID_PLATFORM = "x"  # bare digits name an X post: the only kind of key before there were platforms
SHORT_ID_RE = re.compile(r"[0-9a-f]{16}")
EVENT_ID_RE = re.compile(r"ev[0-9a-z]{1,40}")


class QueryError(ValueError):
    """A filter value that does not parse; ``param`` names the offending parameter."""

    def __init__(self, param: str, message: str) -> None:
        super().__init__(f"{param}: {message}")
        self.param = param
        self.message = message


# Dates a filter may name: wide enough for any archived article or post, narrow enough that a bound
# plus a day or a UTC offset never leaves Python's datetime range (year 1 to 9999).
DATE_MIN = datetime(1000, 1, 1, tzinfo=UTC)
DATE_MAX = datetime(9000, 1, 1, tzinfo=UTC)


# -- value parsers ------------------------------------------------------------------------------
def parse_datetime(value: str, param: str, *, end: bool = False) -> datetime:
    """An ISO 8601 date or datetime (UTC when no offset). A bare date as an *end* bound covers that day.

    Years outside DATE_MIN..DATE_MAX are refused (``9999-12-31`` plus a day would overflow).
    """
    text = value.strip()
    if not text or len(text) > 40:
        raise QueryError(param, "expected an ISO 8601 date or datetime")
    try:
        if len(text) == 10:
            moment = datetime.combine(date.fromisoformat(text), time(0), tzinfo=UTC)
        else:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        if not DATE_MIN.year <= moment.year < DATE_MAX.year:
            raise OverflowError
        moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except OverflowError as exc:
        raise QueryError(param, f"{value!r} is out of range (years {DATE_MIN.year} to {DATE_MAX.year - 1})") from exc
    except ValueError as exc:
        raise QueryError(param, f"{value!r} is not an ISO 8601 date or datetime") from exc
    return moment + timedelta(days=1) if end and len(text) == 10 else moment


def parse_choice(value: str, param: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise QueryError(param, f"{value!r} is not one of {', '.join(choices)}")
    return value


def parse_handle(value: str, param: str = "handle") -> str:
    handle = value.strip().removeprefix("@")
    if not HANDLE_RE.fullmatch(handle):
        raise QueryError(param, "a handle is letters, digits, _ . - (an X handle, a domain, or user@server)")
    return handle


def parse_domain(value: str, param: str = "domain") -> str:
    domain = value.strip().lower().rstrip(".")
    if not DOMAIN_RE.fullmatch(domain):
        raise QueryError(param, f"{value!r} is not a host name")
    return domain


def parse_url(value: str, param: str = "url") -> str:
    url = value.strip()
    if len(url) > MAX_URL:
        raise QueryError(param, "URL too long")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise QueryError(param, "expected an absolute http(s) URL")
    return url


def parse_text(value: str, param: str = "q") -> str:
    if any(ord(ch) < 32 for ch in value.replace("\t", " ").replace("\n", " ").replace("\r", " ")):
        raise QueryError(param, "control characters (such as NUL) are not allowed in search text")
    text = " ".join(value.split())
    if not text:
        raise QueryError(param, "empty search text")
    if len(text) > MAX_TEXT:
        raise QueryError(param, f"search text is limited to {MAX_TEXT} characters")
    return text


def parse_language(value: str, param: str = "language") -> str:
    lang = value.strip()
    if not LANG_RE.fullmatch(lang):
        raise QueryError(param, f"{value!r} is not a language tag like 'en' or 'pt-BR'")
    return lang


def parse_bool(value: str | bool, param: str) -> bool:
    if isinstance(value, bool):
        return value
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise QueryError(param, "expected true or false")


def post_doc_id(value: str) -> str:
    """The stored key ``<platform>:<post id>`` from itself, or from bare X digits (keys from before platforms)."""
    text = value.strip()
    if BARE_ID_RE.fullmatch(text):
        return f"{BARE_ID_PLATFORM}:{text}"
    match = POST_KEY_RE.fullmatch(text)
    if not match or match["platform"] not in PLATFORMS:
        raise QueryError("id", f"a post id is '<platform>:<id>' ({', '.join(PLATFORMS)}) or X digits")
    return text


def short_id(article_id: str) -> str:
    """A stable 16-hex id for an article (sha1 of its canonical URL), for URLs that stay short."""
    return hashlib.sha1(article_id.encode()).hexdigest()[:16]


def _nonempty(value: str | None) -> str | None:
    return value if value is not None and value.strip() != "" else None


# -- filters ------------------------------------------------------------------------------------
@dataclass
class ArticleFilters:
    platform: str | None = None  # cites a post of this platform
    url: str | None = None
    domain: str | None = None
    published_from: str | None = None
    published_to: str | None = None
    language: str | None = None
    cites: str | None = None  # "deleted" | "edited"
    q: str | None = None

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in fields(cls)]


@dataclass
class PostFilters:
    platform: str | None = None
    handle: str | None = None
    created_from: str | None = None
    created_to: str | None = None
    status: str | None = None  # live | deleted | edited | unavailable | error
    has_media: str | bool | None = None
    q: str | None = None

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in fields(cls)]


@dataclass
class EventFilters:
    type: str | None = None  # comma-separated event types
    since: str | None = None  # an event id or an ISO 8601 time
    subject_id: str | None = None


def _range(field: str, start: str | None, end: str | None, names: tuple[str, str]) -> dict[str, Any]:
    bounds: dict[str, Any] = {}
    if _nonempty(start):
        bounds["$gte"] = parse_datetime(start, names[0])  # type: ignore[arg-type]
    if _nonempty(end):
        bounds["$lt" if len(end.strip()) == 10 else "$lte"] = parse_datetime(end, names[1], end=True)  # type: ignore[union-attr]
    if "$gte" in bounds and len(bounds) == 2 and list(bounds.values())[1] < bounds["$gte"]:
        raise QueryError(names[1], f"{names[1]} is before {names[0]}")
    return {field: bounds} if bounds else {}


def article_query(archive: Archive, f: ArticleFilters) -> dict[str, Any]:
    clauses: list[dict[str, Any]] = []
    if _nonempty(f.platform):
        platform = parse_choice(f.platform.strip(), "platform", PLATFORMS)  # type: ignore[union-attr]
        # $elemMatch: on nx-27017 a dotted query on an array of documents finds nothing
        clauses.append({"references": {"$elemMatch": {"platform": platform, "post_id": {"$ne": None}}}})
    if _nonempty(f.url):
        url = parse_url(f.url)  # type: ignore[arg-type]
        clauses.append({"$or": [{"_id": url}, {"url": url}, {"canonical_url": url}]})
    if _nonempty(f.domain):
        clauses.append({"domain": parse_domain(f.domain)})  # type: ignore[arg-type]
    published = _range("published_at", f.published_from, f.published_to, ("published_from", "published_to"))
    if published:
        clauses.append(published)
    if _nonempty(f.language):
        clauses.append({"language": parse_language(f.language)})  # type: ignore[arg-type]
    if _nonempty(f.cites):
        which = parse_choice(f.cites.strip(), "cites", CITES)  # type: ignore[union-attr]
        # flags kept by the crawls and re-checks (top-level equality: indexed, also on nx-27017)
        clauses.append({"cites_deleted" if which == "deleted" else "cites_edited": True})
    if _nonempty(f.q):
        clauses.append({"$text": {"$search": parse_text(f.q)}})  # type: ignore[arg-type]
    return _and(clauses)


def post_query(archive: Archive, f: PostFilters) -> dict[str, Any]:
    clauses: list[dict[str, Any]] = []
    if _nonempty(f.platform):
        clauses.append({"platform": parse_choice(f.platform.strip(), "platform", PLATFORMS)})  # type: ignore[union-attr]
    if _nonempty(f.handle):
        clauses.append({"handle_lc": parse_handle(f.handle).lower()})  # type: ignore[arg-type]
    created = _range("created_at", f.created_from, f.created_to, ("created_from", "created_to"))
    if created:
        clauses.append(created)
    if _nonempty(f.status):
        status = parse_choice(f.status.strip(), "status", POST_STATUSES)  # type: ignore[union-attr]
        clauses.append({"edited": True} if status == "edited" else {"status": status})
    if f.has_media is not None and (not isinstance(f.has_media, str) or f.has_media.strip()):
        clauses.append({"has_media": parse_bool(f.has_media, "has_media")})
    if _nonempty(f.q):
        clauses.append({"$text": {"$search": parse_text(f.q)}})  # type: ignore[arg-type]
    return _and(clauses)


def event_query(f: EventFilters) -> dict[str, Any]:
    query: dict[str, Any] = {}
    if _nonempty(f.type):
        types = [t.strip() for t in f.type.split(",") if t.strip()]  # type: ignore[union-attr]
        for t in types:
            parse_choice(t, "type", EVENT_TYPES)
        query["type"] = types[0] if len(types) == 1 else {"$in": types}
    if _nonempty(f.since):
        since = f.since.strip()  # type: ignore[union-attr]
        if EVENT_ID_RE.fullmatch(since):
            query["_id"] = {"$gt": since}
        else:
            query["created_at"] = {"$gt": parse_datetime(since, "since")}
    if _nonempty(f.subject_id):
        subject = f.subject_id.strip()  # type: ignore[union-attr]
        if len(subject) > MAX_URL:
            raise QueryError("subject_id", "too long")
        query["subject_id"] = subject
    return query


# -- events -------------------------------------------------------------------------------------
def since_bound(value: str) -> str:
    """The smallest event id after *value*: an event id, or an ISO 8601 time.

    Event ids start with their recording time in ms (``new_id``), so a time becomes an id bound:
    exact to the millisecond, where nx-27017 compares stored dates only to the second.
    """
    if value.startswith("ev"):
        if not EVENT_ID_RE.fullmatch(value):
            raise QueryError("since", "not an event id (ev + base-36 digits)")
        return value
    try:  # a "+" in a query string arrives as a space: 2025-01-01T00:00:00 00:00
        moment = parse_datetime(value.replace(" ", "+"), "since")
        return "ev" + id_time_prefix(int(moment.timestamp() * 1000)) + "~"
    except QueryError as exc:
        raise QueryError("since", f"must be an event id or an ISO 8601 time; {exc}") from exc
    except ValueError as exc:  # before 1970 or past what event ids can order
        raise QueryError("since", f"{value!r} is out of range (event times start in 1970)") from exc


def event_listing(types: list[str], since: str | None, subject_id: str | None) -> Listing:
    """Events after the id *since*, oldest first: one range of ``type_key`` (one type) or ``event_key``."""
    if len(types) == 1:
        key, prefix = "type_key", types[0] + " "
        low, high = prefix + ("e" + since if since else ""), types[0] + "!"
        where: dict[str, Any] = {}
    else:
        key, low, high = "event_key", ("e" + since) if since else None, None
        where = {"type": {"$in": types}} if types else {}
    if subject_id:
        where["subject_id"] = subject_id
    check = None
    if where:
        check = lambda d: (not types or d.get("type") in types) and (not subject_id or d.get("subject_id") == subject_id)  # noqa: E731
    return Listing(collection="events", key=key, direction=1, low=low, high=high, where=where, check=check)


def _and(clauses: list[dict[str, Any]]) -> dict[str, Any]:
    if not clauses:
        return {}
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


# -- lookups ------------------------------------------------------------------------------------
def find_article(archive: Archive, key: str) -> dict[str, Any] | None:
    """An article by canonical URL (its ``_id``), crawled URL, or 16-hex short id."""
    key = key.strip()
    if SHORT_ID_RE.fullmatch(key):
        for article_id in article_ids(archive):
            if short_id(article_id) == key:
                return article_doc(archive, article_id)
        return None
    if len(key) > MAX_URL:
        return None
    doc = article_doc(archive, key)
    if doc is None and key.startswith(("http://", "https://")):
        doc = article_doc(archive, key, by="url")
    return doc


def find_post(archive: Archive, key: str) -> dict[str, Any] | None:
    try:
        return post_doc(archive, post_doc_id(key))
    except QueryError:
        return None


# -- keyed listings (the API's and the UI's lists) ------------------------------------------------
PHRASE_RE = re.compile(r'"([^"]*)"')


def _parse_text(q: str) -> tuple[set[str], set[str], list[str]]:
    """(wanted tokens, negated tokens, phrases) of a ``$text`` search string, case-folded."""
    phrases = [p.casefold().strip() for p in PHRASE_RE.findall(q) if p.strip()]
    words = [w.casefold() for w in PHRASE_RE.sub(" ", q).split()]
    negated = {t for w in words if w.startswith("-") for t in WORD_RE.findall(w[1:])}
    wanted = {t for w in words if not w.startswith("-") for t in WORD_RE.findall(w)}
    return wanted, negated, phrases


def text_matcher(q: str, fields: tuple[str, ...]) -> Callable[[dict[str, Any]], bool]:
    """``$text`` semantics in Python: any word matches, every ``"phrase"`` must, no ``-word`` may (case-insensitive)."""
    wanted, negated, phrases = _parse_text(q)

    def match(doc: dict[str, Any]) -> bool:
        text = text_of(doc, fields)
        found = tokens(text)
        if negated & found or not all(p in text for p in phrases):
            return False
        return bool(wanted & found) if wanted else bool(phrases)

    return match


def words_matcher(q: str) -> Callable[[set[str]], bool] | None:
    """:func:`text_matcher` on a document's token set (``receipts.db.words``); None when *q* has a phrase."""
    wanted, negated, phrases = _parse_text(q)
    if phrases:
        return None
    return lambda found: bool(wanted & found) and not negated & found


def _bound(prefix: str | None, moment: datetime | None) -> str | None:
    return None if moment is None else keyed(prefix, time_key(moment))


def _dates(start: str | None, end: str | None, names: tuple[str, str]) -> tuple[datetime | None, datetime | None]:
    """(from, to) as datetimes: keys from *from* on, before *to* (an end datetime is inclusive: + 1 µs)."""
    bounds = _range("t", start, end, names).get("t", {})
    high = bounds.get("$lt")
    if "$lte" in bounds:
        high = bounds["$lte"] + timedelta(microseconds=1)
    return bounds.get("$gte"), high


def _listing(collection: str, key: str, prefix: str | None, direction: int, dates: tuple[datetime | None, datetime | None],
             where: dict[str, Any], text: str | None, text_fields: tuple[str, ...]) -> Listing:
    low, high = _bound(prefix, dates[0]), _bound(prefix, dates[1])
    span = prefix_range(prefix) or {}
    if low is None:
        low = span.get("$gt")
    if high is None:
        high = span.get("$lt")
    eqs = dict(where)
    check = (lambda d: all(d.get(k) == v for k, v in eqs.items())) if eqs else None
    return Listing(collection=collection, key=key, direction=direction, low=low, high=high, where=where, check=check,
                   text=text, match=text_matcher(text, text_fields) if text else None,
                   match_fields=text_fields if text else ())


def post_listing(archive: Archive, f: PostFilters) -> Listing:
    """The posts matching *f*, newest ``created_at`` first, on one sort key (``receipts.db.keys``)."""
    eq: list[tuple[str, str, Any]] = []  # (key field, key prefix, equality filter)
    if _nonempty(f.handle):
        handle = parse_handle(f.handle).lower()  # type: ignore[arg-type]
        eq.append(("handle_key", handle, {"handle_lc": handle}))
    if _nonempty(f.status):
        status = parse_choice(f.status.strip(), "status", POST_STATUSES)  # type: ignore[union-attr]
        eq.append(("edited_key", "edited", {"edited": True}) if status == "edited"
                  else ("status_key", status, {"status": status}))
    if f.has_media is not None and (not isinstance(f.has_media, str) or f.has_media.strip()):
        media = parse_bool(f.has_media, "has_media")
        eq.append(("media_key", "1" if media else "0", {"has_media": media}))
    if _nonempty(f.platform):
        platform = parse_choice(f.platform.strip(), "platform", PLATFORMS)  # type: ignore[union-attr]
        eq.append(("platform_key", platform, {"platform": platform}))
    dates = _dates(f.created_from, f.created_to, ("created_from", "created_to"))
    text = parse_text(f.q) if _nonempty(f.q) else None  # type: ignore[arg-type]
    key, prefix = (eq[0][0], eq[0][1]) if eq else ("recent_key", None)
    where = {k: v for _, _, cond in eq[1:] for k, v in cond.items()}
    listing = _listing("posts", key, prefix, -1, dates, where, text, ("text",))
    listing.projection = {"raw": 0}  # listings never show a post's raw JSON
    return listing


def article_listing(archive: Archive, f: ArticleFilters) -> Listing:
    """The articles matching *f*: canonical-URL order, or newest ``published_at`` first with a date range."""
    eq: list[tuple[str, str, dict[str, Any]]] = []
    where: dict[str, Any] = {}
    if _nonempty(f.domain):
        domain = parse_domain(f.domain)  # type: ignore[arg-type]
        eq.append(("domain_key", domain, {"domain": domain}))
    if _nonempty(f.language):
        language = parse_language(f.language)  # type: ignore[arg-type]
        eq.append(("language_key", language, {"language": language}))
    if _nonempty(f.cites):
        which = parse_choice(f.cites.strip(), "cites", CITES)  # type: ignore[union-attr]
        flag = "cites_deleted" if which == "deleted" else "cites_edited"
        eq.append((f"{flag}_key", "1", {flag: True}))
    dates = _dates(f.published_from, f.published_to, ("published_from", "published_to"))
    text = parse_text(f.q) if _nonempty(f.q) else None  # type: ignore[arg-type]
    if dates != (None, None):  # a date range pages on the published key; the other filters are equalities
        key, prefix, direction = "published_key", None, -1
        conditions = eq
    else:
        key, prefix, direction = (eq[0][0], eq[0][1], 1) if eq else ("url_key", None, 1)
        conditions = eq[1:]
    for _, _, cond in conditions:
        where.update(cond)
    listing = _listing("articles", key, prefix, direction, dates, where, text, TEXT_FIELDS)
    if text is None:
        listing.projection = {"body_text": 0}  # the text search reads the body; a listing never shows it
    else:
        listing.words = words_matcher(text)  # a word search walks article_words (small), a phrase the articles
    if _nonempty(f.platform):
        platform = parse_choice(f.platform.strip(), "platform", PLATFORMS)  # type: ignore[union-attr]
        # $elemMatch: on nx-27017 a dotted query on an array of documents finds nothing
        listing.where["references"] = {"$elemMatch": {"platform": platform, "post_id": {"$ne": None}}}
        plain = listing.check
        listing.check = lambda d: (plain is None or plain(d)) and any(
            r.get("platform") == platform and r.get("post_id") is not None for r in d.get("references") or [])
    if _nonempty(f.url):
        url = parse_url(f.url)  # type: ignore[arg-type]
        listing.ids = article_ids_for_url(archive, url)
    return listing
