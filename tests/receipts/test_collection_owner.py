"""Only ``receipts/db/`` talks to MongoDB collections (issue 11): an AST scan of every other module.

A collection call is a MongoDB method (``find_one``, ``update_one``, ``aggregate`` …) or a ``find``
on an attribute named like a collection, or ``db[...]``. Front doors, engines and the rest of the
core reach the archive through ``receipts.db`` functions and ``Archive`` methods instead.
"""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import ROOT

PACKAGES = ("receipts", "scheduler", "pipelines", "crawlers")
OWNER = ROOT / "receipts" / "db"
MONGO_ONLY = {
    "find_one", "insert_one", "insert_many", "update_one", "update_many", "delete_one", "delete_many",
    "count_documents", "estimated_document_count", "aggregate", "bulk_write", "replace_one",
    "find_one_and_update", "find_one_and_delete", "find_one_and_replace", "create_index", "create_indexes",
    "drop_index", "list_indexes", "index_information", "list_collection_names", "get_collection",
    "drop_collection", "watch",
}
AMBIGUOUS = {"find", "distinct", "drop", "rename"}  # also str/list/set methods: only on a collection-like name
COLLECTIONS = {"articles", "posts", "captures", "crawls", "media", "events", "jobs", "sources", "webhooks",
               "deliveries", "secrets", "locks", "leases", "scheduler_jobs", "collection", "coll"}


def _receiver_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return None


def collection_calls(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and _receiver_name(node.value) in ("db", "database"):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno} db[...]")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            method, receiver = node.func.attr, _receiver_name(node.func.value)
            if method in MONGO_ONLY or (method in AMBIGUOUS and receiver in COLLECTIONS | {"db"}):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {receiver}.{method}()")
    return found


def test_only_receipts_db_calls_collections() -> None:
    calls = [call for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))
             if OWNER not in path.parents for call in collection_calls(path)]
    assert calls == [], "collection calls outside receipts/db/:\n" + "\n".join(calls)


def test_the_scan_sees_a_collection_call(tmp_path: Path) -> None:
    sample = ROOT / "receipts" / "_scan_sample.py"
    try:
        sample.write_text("def f(archive, db):\n    archive.posts.find({})\n    db['jobs'].update_one({}, {})\n"
                          "    'abc'.find('b')\n")
        assert [c.split(" ", 1)[1] for c in collection_calls(sample)] == ["posts.find()", "db[...]",
                                                                          "db[...].update_one()"] or \
            sorted(c.split(" ", 1)[1] for c in collection_calls(sample)) == sorted(
                ["posts.find()", "db[...]", "None.update_one()"])
    finally:
        sample.unlink()
