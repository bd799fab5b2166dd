"""The ``timestamps`` collection: RFC 3161 tokens, one document per timestamped digest.

``_id`` is the digest the tokens cover (``sha256:<hex>``: a WARC file, or the signature of an
exported WACZ). Fields: ``subject`` (``{"kind": "warc" | "wacz", "name": …}``), ``status``
(``pending`` until one authority answered, then ``stamped``), ``attempts``, ``next_try_at``,
``last_error``, and ``tokens``: per authority ``tsa_url``, ``gen_time``, ``serial`` (decimal
string), ``policy``, ``token`` (the DER ``TimeStampResp``, stored base64: nx-27017 cannot keep
bytes inside arrays) and ``chain`` (PEM certificates the token carries); a WACZ signature's
document keeps the signed bytes in ``message`` (base64) for a retry. Documents are written whole
(nx-27017 turns a ``$set`` datetime into a string). The functions here take and return bytes.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from receipts.db.archive import Archive
from receipts.db.dates import as_utc

TIMESTAMPS = "timestamps"
_DATES = ("created_at", "updated_at", "next_try_at")


def _read(doc: dict[str, Any] | None) -> dict[str, Any] | None:
    if doc is None:
        return None
    for key in _DATES:
        if key in doc:
            doc[key] = as_utc(doc[key])
    for token in doc.get("tokens") or []:
        token["gen_time"] = as_utc(token.get("gen_time"))
        if isinstance(token.get("token"), str):
            token["token"] = base64.b64decode(token["token"])
    if isinstance(doc.get("message"), str):
        doc["message"] = base64.b64decode(doc["message"])
    return doc


def _stored(doc: dict[str, Any]) -> dict[str, Any]:
    out = dict(doc)
    out["tokens"] = [{**t, "token": base64.b64encode(t["token"]).decode() if isinstance(t.get("token"), bytes)
                      else t.get("token")} for t in doc.get("tokens") or []]
    if isinstance(doc.get("message"), bytes):
        out["message"] = base64.b64encode(doc["message"]).decode()
    return out


def timestamp_doc(archive: Archive, digest: str) -> dict[str, Any] | None:
    """The document of *digest* (``sha256:<hex>``), or None."""
    return _read(archive.db[TIMESTAMPS].find_one({"_id": digest}))


def timestamp_docs(archive: Archive, digests: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """The documents of *digests* (every one, by ``_id``, when None)."""
    coll = archive.db[TIMESTAMPS]
    cursor = coll.find({}).sort("_id", 1) if digests is None else coll.find({"_id": {"$in": sorted(set(digests))}})
    return [d for d in (_read(doc) for doc in cursor) if d is not None]


def pending_timestamps(archive: Archive, now: datetime, limit: int = 50) -> list[dict[str, Any]]:
    """``pending`` documents whose ``next_try_at`` has come (a full scan: the collection is small)."""
    out = []
    for doc in archive.db[TIMESTAMPS].find({"status": "pending"}):
        doc = _read(doc)
        if doc is not None and (doc.get("next_try_at") is None or doc["next_try_at"] <= now):
            out.append(doc)
        if len(out) >= limit:
            break
    return out


def insert_timestamp(archive: Archive, doc: dict[str, Any]) -> bool:
    """Insert *doc* unless its digest already has one; True when inserted."""
    fields = {k: v for k, v in _stored(doc).items() if k != "_id"}
    result = archive.db[TIMESTAMPS].update_one({"_id": doc["_id"]}, {"$setOnInsert": fields}, upsert=True)
    return result.upserted_id is not None


def put_timestamp(archive: Archive, doc: dict[str, Any]) -> None:
    """Write (insert or replace) a timestamp document by its ``_id``."""
    archive.db[TIMESTAMPS].replace_one({"_id": doc["_id"]}, _stored(doc), upsert=True)
