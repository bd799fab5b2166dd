"""Article metadata: canonical URL, title, byline, dates, language.

Sources in order of trust: JSON-LD (incl. ``@graph``), OpenGraph/article meta, other meta
conventions (parsely, sailthru, Dublin Core), ``<link rel>``, visible markup as a last resort.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

from dateutil import parser as dateparser
from lxml import etree

_ARTICLE_TYPES = ("NewsArticle", "Article", "BlogPosting", "ReportageNewsArticle", "AnalysisNewsArticle",
                  "OpinionNewsArticle", "ReviewNewsArticle", "LiveBlogPosting", "BackgroundNewsArticle",
                  "TechArticle", "ScholarlyArticle", "SocialMediaPosting", "Report")
_TITLE_SEPARATORS = re.compile(r"\s+(?:\||–|—|-|·|::|»|/)\s+")
_PUBLISHED_META = ("article:published_time", "og:published_time", "og:article:published_time",
                   "datepublished", "date", "pubdate", "publishdate", "publish-date", "publish_date",
                   "parsely-pub-date", "sailthru.date", "dc.date", "dc.date.issued", "dcterms.created",
                   "article.published", "published_time", "cxenseparse:recs:publishtime")
_MODIFIED_META = ("article:modified_time", "og:updated_time", "datemodified", "last-modified",
                  "dcterms.modified", "article.updated", "modified_time", "lastmod")


@dataclass
class Metadata:
    canonical_url: str
    title: str | None = None
    byline: str | None = None
    published_at: datetime | None = None
    modified_at: datetime | None = None
    language: str | None = None


def _clean(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    value = " ".join(value.split())
    return value or None


def parse_date(value: Any) -> datetime | None:
    """Any common date string → tz-aware UTC (naive values are taken as UTC)."""
    text = _clean(value)
    if not text or len(text) > 80:
        return None
    try:
        if re.fullmatch(r"\d{10}(?:\d{3})?", text):
            stamp = int(text) / (1000 if len(text) == 13 else 1)
            return datetime.fromtimestamp(stamp, UTC)
        dt = dateparser.parse(text)
    except (ValueError, OverflowError, TypeError, dateparser.ParserError):
        return None
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    try:
        return dt.astimezone(UTC)
    except (ValueError, OverflowError):
        return None


def absolutise(href: str | None, base: str) -> str | None:
    href = _clean(href)
    if not href:
        return None
    try:
        full = urljoin(base, href) if base else href
        parts = urlsplit(full)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", parts.query, ""))


def _drop_fragment(url: str) -> str:
    try:
        parts = urlsplit(url)
        return urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, ""))
    except ValueError:
        return url


# --- JSON-LD -------------------------------------------------------------------------------------

def _load_json(text: str) -> Any:
    text = text.strip()
    text = re.sub(r"^\s*(?://\s*)?<!\[CDATA\[|(?://\s*)?\]\]>\s*$", "", text)
    text = text.strip().rstrip(";")
    try:
        return json.loads(text, strict=False)
    except (ValueError, RecursionError):
        return None


def _nodes(data: Any, depth: int = 0) -> Iterator[dict[str, Any]]:
    if depth > 8:
        return
    if isinstance(data, list):
        for item in data:
            yield from _nodes(item, depth + 1)
    elif isinstance(data, dict):
        yield data
        for key in ("@graph", "mainEntity", "itemListElement"):
            if key in data:
                yield from _nodes(data[key], depth + 1)


def _types(node: dict[str, Any]) -> list[str]:
    t = node.get("@type")
    if isinstance(t, str):
        return [t]
    if isinstance(t, list):
        return [x for x in t if isinstance(x, str)]
    return []


def jsonld_article(doc: etree._Element) -> dict[str, Any] | None:
    """The most article-like JSON-LD node on the page."""
    best: tuple[int, dict[str, Any]] | None = None
    for script in doc.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json" or not script.text:
            continue
        for node in _nodes(_load_json(script.text)):
            types = _types(node)
            if any(t in _ARTICLE_TYPES for t in types):
                rank = 3
            elif any(t.endswith("Article") or t.endswith("Posting") for t in types):
                rank = 2
            elif "WebPage" in types or "headline" in node:
                rank = 1
            else:
                continue
            if best is None or rank > best[0]:
                best = (rank, node)
    return best[1] if best else None


def _person_names(value: Any) -> list[str]:
    if isinstance(value, str):
        name = _clean(value)
        return [name] if name and not name.startswith("http") else []
    if isinstance(value, dict):
        name = _clean(value.get("name"))
        return [name] if name else []
    if isinstance(value, list):
        names: list[str] = []
        for item in value[:10]:
            for name in _person_names(item):
                if name not in names:
                    names.append(name)
        return names
    return []


# --- meta helpers --------------------------------------------------------------------------------

def _meta_map(doc: etree._Element) -> dict[str, str]:
    found: dict[str, str] = {}
    for meta in doc.iter("meta"):
        key = meta.get("property") or meta.get("name") or meta.get("itemprop") or meta.get("http-equiv")
        value = meta.get("content")
        if key and value is not None:
            found.setdefault(key.strip().lower(), value)
    return found


def _strip_site_suffix(title: str, site_name: str | None, guess: bool) -> str:
    """Drop " | Site" / "Site - " parts: the og:site_name when known, else a short last segment."""
    seps = list(_TITLE_SEPARATORS.finditer(title))
    if not seps:
        return title
    first, last = seps[0], seps[-1]
    head, tail = title[: last.start()].strip(), title[last.end():].strip()
    site = (site_name or "").strip().lower()
    if site and tail.lower() == site:
        return head or title
    if site and title[: first.start()].strip().lower() == site:
        return title[first.end():].strip() or title
    if guess and head and len(tail.split()) <= 5:
        # "|", "·", "»", dashes other than "-" almost always introduce the site name; " - " only when short
        if last.group(0).strip() != "-" or len(tail) < len(head):
            return head
    return title


def _title(doc: etree._Element, meta: dict[str, str], ld: dict[str, Any] | None) -> str | None:
    site = meta.get("og:site_name")
    for candidate in (meta.get("og:title"), (ld or {}).get("headline"), meta.get("twitter:title")):
        title = _clean(candidate)
        if title:
            return _strip_site_suffix(title, site, guess=False)
    title_el = doc.find(".//title")
    if title_el is not None:
        title = _clean(title_el.text_content())
        if title:
            return _strip_site_suffix(title, site, guess=True)
    h1 = doc.find(".//h1")
    return _clean(h1.text_content()) if h1 is not None else None


def _byline(doc: etree._Element, meta: dict[str, str], ld: dict[str, Any] | None) -> str | None:
    names = _person_names((ld or {}).get("author"))
    if names:
        return ", ".join(names)
    for key in ("author", "article:author", "parsely-author", "sailthru.author", "dc.creator", "byl"):
        value = _clean(meta.get(key))
        if value and not value.startswith("http"):
            return re.sub(r"^by\s+", "", value, flags=re.IGNORECASE)
    try:
        nodes = doc.xpath(
            "//a[contains(concat(' ', normalize-space(@rel), ' '), ' author ')]"
            " | //*[@itemprop='author']"
            " | //*[contains(concat(' ', normalize-space(@class), ' '), ' byline ')"
            " or contains(concat(' ', normalize-space(@class), ' '), ' author-name ')]")
    except etree.XPathError:
        nodes = []
    for node in nodes:
        if not isinstance(node.tag, str):
            continue
        inner = node.find(".//*[@itemprop='name']")
        text = _clean((inner if inner is not None else node).text_content())
        if text and len(text) < 200:
            return re.sub(r"^by\s+", "", text, flags=re.IGNORECASE)
    return None


def _dates(doc: etree._Element, meta: dict[str, str],
           ld: dict[str, Any] | None) -> tuple[datetime | None, datetime | None]:
    ld = ld or {}
    published = parse_date(ld.get("datePublished")) or parse_date(ld.get("dateCreated"))
    modified = parse_date(ld.get("dateModified"))
    for key in _PUBLISHED_META:
        if published:
            break
        published = parse_date(meta.get(key))
    for key in _MODIFIED_META:
        if modified:
            break
        modified = parse_date(meta.get(key))
    if published is None:
        for time_el in doc.iter("time"):
            published = parse_date(time_el.get("datetime"))
            if published:
                break
    return published, modified


def _normalise_lang(value: Any) -> str | None:
    text = _clean(value)
    if not text:
        return None
    text = text.replace("_", "-").split(",")[0].strip()
    if not re.fullmatch(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*", text):
        return None
    head, *rest = text.split("-")
    return "-".join([head.lower(), *[r.upper() if len(r) == 2 else r for r in rest]])


def _language(doc: etree._Element, meta: dict[str, str], ld: dict[str, Any] | None) -> str | None:
    in_language = (ld or {}).get("inLanguage")
    if isinstance(in_language, dict):
        in_language = in_language.get("name") or in_language.get("alternateName")
    for candidate in (doc.get("lang"), doc.get("xml:lang"), meta.get("og:locale"), in_language,
                      meta.get("content-language"), meta.get("language")):
        lang = _normalise_lang(candidate)
        if lang:
            return lang
    return None


def _canonical(doc: etree._Element, meta: dict[str, str], ld: dict[str, Any] | None, url: str) -> str:
    for link in doc.iter("link"):
        rels = (link.get("rel") or "").lower().split()
        if "canonical" in rels:
            found = absolutise(link.get("href"), url)
            if found:
                return found
    found = absolutise(meta.get("og:url"), url)
    if found:
        return found
    if ld:
        main = ld.get("mainEntityOfPage")
        for candidate in (ld.get("url"), main.get("@id") if isinstance(main, dict) else main):
            found = absolutise(candidate if isinstance(candidate, str) else None, url)
            if found:
                return found
    return _drop_fragment(url)


def extract_metadata(doc: etree._Element, url: str) -> Metadata:
    meta = _meta_map(doc)
    ld = jsonld_article(doc)
    published, modified = _dates(doc, meta, ld)
    return Metadata(
        canonical_url=_canonical(doc, meta, ld, url),
        title=_title(doc, meta, ld),
        byline=_byline(doc, meta, ld),
        published_at=published,
        modified_at=modified,
        language=_language(doc, meta, ld),
    )
