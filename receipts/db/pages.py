"""One page of a listing: the keyset-paginated read behind the API's and the web UI's lists."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pymongo.collection import Collection


def page_docs(collection: Collection, query: dict[str, Any], sort: Sequence[tuple[str, int]], limit: int,
              projection: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Up to *limit* documents of *collection* matching *query*, in *sort* order."""
    return list(collection.find(query, projection).sort(list(sort)).limit(limit))
