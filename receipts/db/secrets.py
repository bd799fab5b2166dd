"""Per-archive secrets (e.g. the key that signs pagination cursors), kept in the ``secrets`` collection.

One document per name, keyed by ``_id``: the first process to need a secret inserts a random one and
every other process (API, CLI, other daemons on the same database) reads that one back, so a cursor
made by one verifies in another. A duplicate ``_id`` insert is how a race is settled.
"""

from __future__ import annotations

import secrets
import threading

from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

COLLECTION = "secrets"
_cache: dict[tuple[int, str, str], bytes] = {}
_lock = threading.Lock()


def archive_secret(db: Database, name: str) -> bytes:
    """The archive's secret *name* (32 random bytes), created on first use."""
    key = (id(db.client), db.name, name)
    with _lock:
        if key in _cache:
            return _cache[key]
    coll = db[COLLECTION]
    doc = coll.find_one({"_id": name})
    if doc is None:
        try:
            coll.insert_one({"_id": name, "value": secrets.token_hex(32)})
        except DuplicateKeyError:
            pass  # another process made it first: use theirs
        doc = coll.find_one({"_id": name})
    assert doc is not None
    value = bytes.fromhex(doc["value"])
    with _lock:
        _cache[key] = value
    return value
