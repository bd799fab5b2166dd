"""CSV: one row per reference, ``article_*``/``ref_*``/``post_*`` columns (``pandas.read_csv(path)``).

Booleans are ``true``/``false``, missing values empty, dates ISO 8601 UTC.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any, TextIO

from receipts.db.archive import Archive
from receipts.exports import iter_articles
from receipts.exports.records import ROW_COLUMNS, flat_rows


def _cell(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else value


def iter_csv_rows(rows: Iterable[dict[str, Any]], columns: list[str]) -> Iterator[str]:
    """CSV text for *rows* (header first), a chunk per row."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    yield buf.getvalue()
    for row in rows:
        buf.seek(0)
        buf.truncate()
        writer.writerow([_cell(row.get(c)) for c in columns])
        yield buf.getvalue()


def iter_csv(archive: Archive, query: dict[str, Any]) -> Iterator[str]:
    rows = (row for doc in iter_articles(archive, query) for row in flat_rows(archive, doc))
    yield from iter_csv_rows(rows, ROW_COLUMNS)


def write_csv(archive: Archive, query: dict[str, Any], out: TextIO) -> int:
    """Write the CSV to *out*; returns the number of data rows."""
    n = -1
    for chunk in iter_csv(archive, query):
        out.write(chunk)
        n += 1
    return n
