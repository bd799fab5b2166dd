"""Exports of the archive as files: JSONL and CSV (one row per reference), PROV-O JSON-LD; WACZ is in
:mod:`receipts.evidence.wacz`. Each module streams text chunks so the API can serve them as downloads."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from receipts.db.archive import Archive
from receipts.db.reads import matching_articles
from receipts.queries import ARTICLE_SORT

FORMATS = ("jsonl", "csv", "prov", "wacz")
MEDIA_TYPES = {"jsonl": "application/x-ndjson", "csv": "text/csv; charset=utf-8",
               "prov": "application/ld+json", "wacz": "application/wacz"}
EXTENSIONS = {"jsonl": "jsonl", "csv": "csv", "prov": "jsonld", "wacz": "wacz"}


def iter_articles(archive: Archive, query: dict[str, Any], limit: int | None = None) -> Iterator[dict[str, Any]]:
    """Article documents matching *query*, in the API's order."""
    yield from matching_articles(archive, query, ARTICLE_SORT, limit)
