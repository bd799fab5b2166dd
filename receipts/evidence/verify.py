"""``receipts verify``: recompute every stored hash and name each mismatch.

Checks GridFS files (``mediafiles`` and ``bodies``: ``_id`` is the sha256 of the bytes), every
WARC file against the sha256 recorded when its crawl closed (``warcs`` collection), and every
WARC record's ``WARC-Block-Digest`` / ``WARC-Payload-Digest``, recomputed here rather than
trusted to a library; then every RFC 3161 timestamp token and WACZ signature
(:mod:`receipts.evidence.proofs`). ``objects`` holds one entry per thing checked (``--json`` prints
one line each).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from warcio.archiveiterator import ArchiveIterator

from receipts.db.archive import BODY_BUCKET, MEDIA_BUCKET, Archive
from receipts.db.evidence import warc_docs
from receipts.evidence.select import select_article
from receipts.evidence.warc import file_sha256
from receipts.settings import get_settings

_HTTP_RECORDS = {"response", "request", "revisit"}
_MAX_HTTP_HEAD = 1 << 20


@dataclass
class Mismatch:
    kind: str  # "media", "body", "warc-file", "warc-record", "timestamp", "wacz", "wacz-signature"
    name: str
    expected: str
    actual: str
    detail: str = ""

    def __str__(self) -> str:
        extra = f" ({self.detail})" if self.detail else ""
        return f"{self.kind} {self.name}: expected {self.expected}, actual {self.actual}{extra}"


@dataclass
class VerifyReport:
    counts: Counter[str] = field(default_factory=Counter)
    mismatches: list[Mismatch] = field(default_factory=list)
    objects: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.mismatches

    def checked(self, kind: str, name: str, since: int, **extra: Any) -> None:
        """One object checked: its mismatches are those added since index *since*."""
        found = self.mismatches[since:]
        self.objects.append({"kind": kind, "name": name, "ok": not found, **extra,
                             "problems": [str(m) for m in found]})

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "counts": dict(self.counts), "mismatches": [m.__dict__ for m in self.mismatches]}


def _sha256_blob(archive: Archive, bucket: str, file_id: str) -> tuple[str, int]:
    stream = archive.bucket(bucket).open_download_stream(file_id)
    h = hashlib.sha256()
    size = 0
    while chunk := stream.readchunk():
        h.update(chunk)
        size += len(chunk)
    return h.hexdigest(), size


def verify_blobs(archive: Archive, bucket: str, ids: set[str] | None, report: VerifyReport) -> None:
    """Each file's bytes must hash to its ``_id``; *ids* limits the check (None = every file)."""
    kind = "media" if bucket == MEDIA_BUCKET else "body"
    query: dict[str, Any] = {} if ids is None else {"_id": {"$in": sorted(ids)}}
    found: set[str] = set()
    for f in archive.bucket(bucket).find(query):
        file_id = str(f._id)
        found.add(file_id)
        report.counts[f"{kind}_files"] += 1
        since = len(report.mismatches)
        try:
            actual, size = _sha256_blob(archive, bucket, file_id)
        except Exception as exc:  # missing or damaged chunks
            report.mismatches.append(Mismatch(kind, f"{bucket}/{file_id}", file_id, "unreadable", str(exc)))
            report.checked(kind, f"{bucket}/{file_id}", since)
            continue
        if actual != file_id or size != f.length:
            report.mismatches.append(Mismatch(kind, f"{bucket}/{file_id}", f"sha256:{file_id} ({f.length} bytes)",
                                              f"sha256:{actual} ({size} bytes)"))
        report.checked(kind, f"{bucket}/{file_id}", since)
    for missing in sorted((ids or set()) - found):
        since = len(report.mismatches)
        report.mismatches.append(Mismatch(kind, f"{bucket}/{missing}", f"sha256:{missing}", "missing"))
        report.checked(kind, f"{bucket}/{missing}", since)


def _record_digests(record: Any) -> tuple[str, str | None]:
    """sha256 of the record block and of its payload (the block minus HTTP headers)."""
    block = hashlib.sha256()
    payload = hashlib.sha256()
    has_http = record.rec_type in _HTTP_RECORDS and (record.rec_headers.get_header("WARC-Target-URI") or "").startswith(
        ("http:", "https:"))
    head = b""
    in_payload = not has_http
    while chunk := record.raw_stream.read(1 << 16):
        block.update(chunk)
        if in_payload:
            payload.update(chunk)
            continue
        head += chunk
        end = head.find(b"\r\n\r\n")
        if end >= 0:
            in_payload = True
            payload.update(head[end + 4:])
            head = b""
        elif len(head) > _MAX_HTTP_HEAD:
            in_payload, head = True, b""
    return f"sha256:{block.hexdigest()}", (f"sha256:{payload.hexdigest()}" if in_payload else None)


def _normalise(digest: str) -> str:
    """``algo:value`` with value in lower-case hex, whatever base it was written in."""
    import base64

    algo, _, value = digest.partition(":")
    algo = algo.lower()
    if algo != "sha256":
        return digest
    try:
        if len(value) == 64:
            return f"sha256:{value.lower()}"
        if len(value) in (52, 56):
            return f"sha256:{base64.b32decode(value.upper() + '=' * (-len(value) % 8)).hex()}"
    except ValueError:
        pass
    return digest


def verify_warc(path: Path, expected_sha256: str | None, report: VerifyReport) -> str | None:
    """Check one WARC file and its records; returns its actual sha256 hex (None when missing)."""
    since = len(report.mismatches)
    actual = _verify_warc(path, expected_sha256, report)
    report.checked("warc-file", path.name, since, sha256=actual)
    return actual


def _verify_warc(path: Path, expected_sha256: str | None, report: VerifyReport) -> str | None:
    name = path.name
    if not path.exists():
        report.mismatches.append(Mismatch("warc-file", name, f"sha256:{expected_sha256}", "missing"))
        return None
    report.counts["warc_files"] += 1
    actual, _ = file_sha256(path)
    if expected_sha256 and actual != expected_sha256:
        report.mismatches.append(Mismatch("warc-file", name, f"sha256:{expected_sha256}", f"sha256:{actual}"))
    with path.open("rb") as fh:
        it = ArchiveIterator(fh, no_record_parse=True)
        try:
            for record in it:
                record_id = record.rec_headers.get_header("WARC-Record-ID") or f"@{it.get_record_offset()}"
                report.counts["warc_records"] += 1
                block, payload = _record_digests(record)
                for header, value in (("WARC-Block-Digest", block), ("WARC-Payload-Digest", payload)):
                    stated = record.rec_headers.get_header(header)
                    if stated is None or value is None:
                        continue
                    if _normalise(stated) != value:
                        report.mismatches.append(Mismatch("warc-record", f"{name} {record_id}", stated, value,
                                                          f"{header}, offset {it.get_record_offset()}"))
        except Exception as exc:  # damaged gzip member or record header
            report.mismatches.append(Mismatch("warc-file", name, "readable WARC", "unreadable",
                                              f"{type(exc).__name__}: {exc}"))
    return actual


def verify_archive(archive: Archive, article_url: str | None = None, warc_dir: Path | None = None) -> VerifyReport:
    """Verify everything, or only the evidence of one article; LookupError for an unknown article."""
    warc_dir = warc_dir or get_settings().warc_dir
    report = VerifyReport()
    if article_url is None:
        verify_blobs(archive, MEDIA_BUCKET, None, report)
        verify_blobs(archive, BODY_BUCKET, None, report)
        docs = warc_docs(archive)
    else:
        ev = select_article(archive, article_url)
        verify_blobs(archive, MEDIA_BUCKET, ev.media_sha256 | ev.blob_ids(MEDIA_BUCKET), report)
        verify_blobs(archive, BODY_BUCKET, ev.blob_ids(BODY_BUCKET), report)
        known = {d["_id"]: d for d in warc_docs(archive, ev.warc_files)}
        docs = [known.get(name, {"_id": name}) for name in sorted(ev.warc_files)]
    actual: dict[str, str | None] = {}
    for doc in docs:
        if doc.get("sha256") is None:  # still being written, or its crawl died: records are still checked
            report.counts["warc_files_unsealed"] += 1
        actual[doc["_id"]] = verify_warc(warc_dir / doc["_id"], doc.get("sha256"), report)
    from receipts.evidence.proofs import verify_timestamps

    verify_timestamps(archive, report, docs, actual, whole_archive=article_url is None)
    return report
