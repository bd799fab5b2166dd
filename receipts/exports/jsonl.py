"""JSON Lines: one object per reference with the flat ``article_*``/``ref_*``/``post_*`` keys
(``pandas.read_json(path, lines=True)``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, TextIO

from receipts.db.archive import Archive
from receipts.exports import iter_articles
from receipts.exports.records import flat_rows


def iter_jsonl(archive: Archive, query: dict[str, Any]) -> Iterator[str]:
    for doc in iter_articles(archive, query):
        for row in flat_rows(archive, doc):
            yield json.dumps(row, ensure_ascii=False) + "\n"


def write_jsonl(archive: Archive, query: dict[str, Any], out: TextIO) -> int:
    """Write the rows to *out*; returns how many."""
    n = 0
    for line in iter_jsonl(archive, query):
        out.write(line)
        n += 1
    return n
