"""Trusted timestamps for stored evidence: ask every configured TSA once, keep what they answer.

:func:`stamp` runs when a crawl has closed its WARC (and when a WACZ is signed): each authority
in ``RECEIPTS_TSA_URLS`` is asked for a token over the bytes; the ``timestamps`` document of their
digest becomes ``stamped`` when at least one answered. When none did, it stays ``pending`` and
:func:`retry_pending` (a daemon system job) asks again later, with a doubling wait. Nothing here
raises on a TSA failure: archiving never waits on an authority.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from receipts.db.archive import Archive
from receipts.db.timestamps import insert_timestamp, pending_timestamps, put_timestamp, timestamp_doc
from receipts.evidence.tsa import TsaConfig, TsaError, request_token, token_fields
from receipts.models import utcnow

log = logging.getLogger(__name__)

RETRY_CAP = 6 * 3600.0


def digest_id(data: bytes) -> str:
    return f"sha256:{hashlib.sha256(data).hexdigest()}"


def _new_doc(digest: str, subject: dict[str, Any], now: datetime, message: bytes | None) -> dict[str, Any]:
    doc: dict[str, Any] = {"_id": digest, "subject": subject, "status": "pending", "attempts": 0, "tokens": [],
                           "last_error": None, "created_at": now, "updated_at": now, "next_try_at": now}
    if message is not None:  # small subjects (a WACZ signature) keep their bytes for the retry
        doc["message"] = message
    return doc


def _attempt(doc: dict[str, Any], data: bytes, config: TsaConfig, now: datetime) -> dict[str, Any]:
    """Ask every configured TSA that has not answered yet; the updated document."""
    tokens = list(doc.get("tokens") or [])
    have = {t["tsa_url"] for t in tokens}
    errors = []
    for url in config.urls:
        if url in have:
            continue
        try:
            token = request_token(url, data, config)
        except TsaError as exc:
            errors.append(str(exc))
            continue
        tokens.append({"tsa_url": url, "token": token, **token_fields(token)})
    attempts = int(doc.get("attempts") or 0) + 1
    stamped = bool(tokens)
    wait = min(RETRY_CAP, max(1.0, config.retry) * 2 ** (attempts - 1))
    doc.update(tokens=tokens, attempts=attempts, status="stamped" if stamped else "pending",
               last_error="; ".join(errors) or None, updated_at=now,
               next_try_at=None if stamped else now + timedelta(seconds=wait))
    if not stamped:
        log.warning("timestamp pending", extra={"digest": doc["_id"], "error": doc["last_error"],
                                                "retry_in": round(wait, 1)})
    return doc


def stamp(archive: Archive, data: bytes, subject: dict[str, Any], config: TsaConfig,
          keep_message: bool = False) -> dict[str, Any] | None:
    """Timestamp *data* (``subject``: ``{"kind", "name"}``); its document, or None with no TSA configured."""
    if not config.urls:
        return None
    now = utcnow()
    digest = digest_id(data)
    insert_timestamp(archive, _new_doc(digest, subject, now, data if keep_message else None))
    doc = timestamp_doc(archive, digest)
    if doc is None or doc.get("status") == "stamped":
        return doc
    try:
        doc = _attempt(doc, data, config, now)
    except Exception as exc:  # never fail the caller (a crawl closing, an export)
        log.exception("timestamping failed", extra={"digest": digest})
        doc.update(last_error=f"{type(exc).__name__}: {exc}"[:300], updated_at=now)
    put_timestamp(archive, doc)
    return doc


def stamp_file(archive: Archive, path: Path, subject: dict[str, Any], config: TsaConfig) -> dict[str, Any] | None:
    """Timestamp the file at *path* (its sha256 is the message imprint)."""
    if not config.urls:
        return None
    return stamp(archive, path.read_bytes(), subject, config)


def queue(archive: Archive, digest_hex: str, subject: dict[str, Any], config: TsaConfig) -> None:
    """A ``pending`` document for a file to timestamp later (no request now: recovery, shutdown paths)."""
    if config.urls:
        insert_timestamp(archive, _new_doc(f"sha256:{digest_hex}", subject, utcnow(), None))


def _subject_bytes(doc: dict[str, Any], warc_dir: Path) -> tuple[bytes | None, str | None]:
    """The bytes a pending document covers, or why they cannot be had."""
    if doc.get("message") is not None:
        return bytes(doc["message"]), None
    subject = doc.get("subject") or {}
    if subject.get("kind") != "warc":
        return None, f"nothing kept to timestamp for {subject}"
    path = warc_dir / str(subject.get("name"))
    if not path.exists():
        return None, f"{path.name} is missing"
    data = path.read_bytes()
    if digest_id(data) != doc["_id"]:
        return None, f"{path.name} no longer has the digest {doc['_id']}"
    return data, None


def retry_pending(archive: Archive, config: TsaConfig, warc_dir: Path, now: datetime | None = None,
                  should_stop: Callable[[], bool] | None = None) -> dict[str, int]:
    """Ask again for the pending timestamps that are due; counts of ``stamped``, ``pending``, ``failed``.

    A run ends at the first document no TSA answered for (the rest wait for the next run, so an
    outage costs one round of timeouts per run), or when *should_stop* says so (the daemon drains).
    """
    counts = {"stamped": 0, "pending": 0, "failed": 0}
    if not config.urls:
        return counts
    now = now or utcnow()
    for doc in pending_timestamps(archive, now):
        if should_stop is not None and should_stop():
            break
        try:
            data, problem = _subject_bytes(doc, warc_dir)
            if data is None:
                doc.update(status="failed", last_error=problem, updated_at=now, next_try_at=None)
            else:
                doc = _attempt(doc, data, config, now)
        except OSError as exc:  # an unreadable file: try again later, keep going with the others
            doc.update(last_error=f"{type(exc).__name__}: {exc}"[:300], updated_at=now,
                       next_try_at=now + timedelta(seconds=RETRY_CAP))
        put_timestamp(archive, doc)
        counts[doc["status"]] = counts.get(doc["status"], 0) + 1
        if doc["status"] == "pending":
            break
    return counts
