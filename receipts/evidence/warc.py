"""The per-crawl WARC 1.1 file: request/response/metadata records for every capture, resources.

warcio writes the records; digests are ``sha256:<hex>`` (warcio's default is base32 sha1).
Scrapy hands the crawler a decoded body (gzip/deflate/br removed, chunking undone), so the
stored HTTP headers are rewritten to describe the stored payload: ``Content-Encoding`` and
``Transfer-Encoding`` dropped, ``Content-Length`` set to the payload length. The original
values are kept in the capture's metadata record under ``http_headers_rewritten``.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from io import BytesIO
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urlsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from receipts.models import Capture, sha256_hex, utcnow

WARC_VERSION = "1.1"
POST_URN = "urn:receipts:post:{key}"  # the normalised post JSON resource (key = "x:<id>")
_DROP_HEADERS = {"content-encoding", "transfer-encoding", "content-length"}


def post_urn(post_key: str) -> str:
    return POST_URN.format(key=post_key)


def warc_name(crawl_id: str) -> str:
    return f"{crawl_id}.warc.gz"


def file_sha256(path: Path) -> tuple[str, int]:
    """sha256 hex and size of a file, streamed."""
    h = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size


def sha256_digest(data: bytes) -> str:
    return f"sha256:{sha256_hex(data)}"


def warc_date(moment: datetime) -> str:
    """WARC 1.1 date: UTC, microseconds, ``Z``."""
    moment = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class _Sha256Digester:
    def __init__(self) -> None:
        self._h = hashlib.sha256()

    def update(self, buff: bytes) -> None:
        self._h.update(buff)

    def __str__(self) -> str:
        return f"sha256:{self._h.hexdigest()}"


class Sha256WARCWriter(WARCWriter):
    """A warcio writer whose block and payload digests are ``sha256:<hex>``."""

    @staticmethod
    def _create_digester() -> _Sha256Digester:  # type: ignore[override]
        return _Sha256Digester()


def _header_pairs(headers: Any) -> list[tuple[str, str]]:
    """Scrapy ``Headers`` (repeated values kept) or a plain dict → header pairs."""
    if headers is None:
        return []
    if hasattr(headers, "getlist"):
        out: list[tuple[str, str]] = []
        for key, values in headers.items():
            name = key.decode("latin-1") if isinstance(key, bytes) else str(key)
            for value in values:
                out.append((name, value.decode("latin-1") if isinstance(value, bytes) else str(value)))
        return out
    return [(str(k), str(v)) for k, v in dict(headers).items()]


def payload_headers(pairs: Iterable[tuple[str, str]], body_length: int) -> tuple[list[tuple[str, str]], dict[str, str]]:
    """Headers that describe the decoded payload we store, and the original values we replaced."""
    kept: list[tuple[str, str]] = []
    rewritten: dict[str, str] = {}
    for name, value in pairs:
        if name.lower() in _DROP_HEADERS:
            rewritten[name] = value
            continue
        kept.append((name, value))
    kept.append(("Content-Length", str(body_length)))
    if rewritten.get("Content-Length") == str(body_length) and len(rewritten) == 1:
        rewritten = {}  # only Content-Length, unchanged: nothing was rewritten
    return kept, rewritten


@dataclass
class RecordSpan:
    record_id: str
    offset: int
    length: int


@dataclass
class ResourceEntry:
    record_id: str
    uri: str
    content_type: str
    target_id: str | None
    offset: int
    length: int
    sha256: str

    def to_doc(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class CrawlWarc:
    """The WARC file of one crawl: open, write captures and resources, close (returns its sha256)."""

    path: Path
    crawl_id: str
    provenance: dict[str, Any] = field(default_factory=dict)
    records: int = 0
    resources: list[ResourceEntry] = field(default_factory=list)
    response_ids: dict[str, str] = field(default_factory=dict)  # capture id → record id

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._fh: BinaryIO | None = None
        self._writer: Sha256WARCWriter | None = None

    @property
    def name(self) -> str:
        return self.path.name

    def open(self) -> CrawlWarc:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = self.path.open("ab")  # never truncate evidence: a resumed crawl appends
        fcntl.flock(self._fh, fcntl.LOCK_EX)  # held while writing: recover.py knows a live writer by it
        self._writer = Sha256WARCWriter(self._fh, gzip=True, warc_version=WARC_VERSION)
        info = {"software": f"Receipts {self.provenance.get('receipts_version') or ''}".strip(),
                "format": "WARC File Format 1.1",
                "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
                "hostname": self.provenance.get("hostname"), "http-header-user-agent": self.provenance.get("user_agent"),
                "receipts-crawl-id": self.crawl_id,
                "receipts-provenance": json.dumps(self.provenance, sort_keys=True, default=str)}
        self._write([self._writer.create_warcinfo_record(self.name, info)])
        return self

    def _write(self, records: list[Any]) -> RecordSpan:
        """Write records back to back; returns the first record's id and the span of the group."""
        assert self._fh is not None and self._writer is not None, "WARC is not open"
        start = self._fh.tell()
        for record in records:
            self._writer.write_record(record)
        self._fh.flush()
        self.records += len(records)
        return RecordSpan(records[0].rec_headers.get_header("WARC-Record-ID"), start, self._fh.tell() - start)

    # -- captures ---------------------------------------------------------------------------
    def write_capture(self, capture: Capture, body: bytes | None, response: Any = None) -> RecordSpan:
        """Write the capture's records and return the span; the id is the response record's
        (a resource record's for a body without HTTP status, the metadata record's without a body)."""
        assert self._writer is not None, "WARC is not open"
        w = self._writer
        uri = capture.fetched_url or capture.requested_url
        date = warc_date(capture.fetched_at)
        records: list[Any] = []
        rewritten: dict[str, str] = {}
        anchor_id: str | None = None
        if body is not None and capture.http_status is not None:
            pairs = _header_pairs(response.headers if response is not None else capture.headers)
            pairs, rewritten = payload_headers(pairs, len(body))
            protocol = (getattr(response, "protocol", None) or "HTTP/1.1") if response is not None else "HTTP/1.1"
            reason = _reason(capture.http_status)
            http = StatusAndHeaders(f"{capture.http_status} {reason}".strip(), pairs, protocol=protocol)
            digest = sha256_digest(body)
            resp = w.create_warc_record(uri, "response", payload=BytesIO(body), length=len(body), http_headers=http,
                                        warc_headers_dict={"WARC-Date": date, "WARC-Payload-Digest": digest})
            anchor_id = resp.rec_headers.get_header("WARC-Record-ID")
            records.append(resp)
            records.append(self._request_record(capture, uri, date, anchor_id))
        elif body is not None:  # bytes that did not come over HTTP (a rendered screenshot): a resource
            ctype = capture.content_type or "application/octet-stream"
            res = w.create_warc_record(uri, "resource", payload=BytesIO(body), length=len(body), warc_content_type=ctype,
                                       warc_headers_dict={"WARC-Date": date, "Content-Type": ctype})
            anchor_id = res.rec_headers.get_header("WARC-Record-ID")
            records.append(res)
        meta_headers = {"WARC-Date": date, "Content-Type": "application/json"}
        if anchor_id:
            meta_headers["WARC-Concurrent-To"] = anchor_id
        data = json.dumps(self.capture_provenance(capture, body, rewritten), sort_keys=True, default=str,
                          ensure_ascii=False).encode()
        records.append(w.create_warc_record(uri, "metadata", payload=BytesIO(data), length=len(data),
                                            warc_content_type="application/json", warc_headers_dict=meta_headers))
        with self._lock:
            span = self._write(records)
        if anchor_id is None:
            anchor_id = span.record_id
        self.response_ids[capture.id] = anchor_id
        return RecordSpan(anchor_id, span.offset, span.length)

    def _request_record(self, capture: Capture, uri: str, date: str, concurrent_to: str) -> Any:
        parts = urlsplit(uri)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        pairs = [(k, v) for k, v in capture.request_headers.items() if k.lower() != "host"]
        http = StatusAndHeaders(f"{capture.method} {target} HTTP/1.1", [("Host", parts.netloc), *pairs],
                                is_http_request=True)
        assert self._writer is not None
        return self._writer.create_warc_record(uri, "request", http_headers=http,
                                               warc_headers_dict={"WARC-Date": date,
                                                                  "WARC-Concurrent-To": concurrent_to})

    def capture_provenance(self, capture: Capture, body: bytes | None, rewritten: dict[str, str]) -> dict[str, Any]:
        """The metadata record of one capture: who fetched what, how, when, with which hashes."""
        p = self.provenance
        return {
            "capture_id": capture.id, "crawl_id": capture.crawl_id or self.crawl_id,
            "route": capture.route, "target_type": capture.target_type, "target_id": capture.target_id,
            "requested_url": capture.requested_url, "fetched_url": capture.fetched_url,
            "transport_url": capture.transport_url, "method": capture.method,
            "fetched_at": warc_date(capture.fetched_at), "written_at": warc_date(utcnow()),
            "http_status": capture.http_status, "content_type": capture.content_type,
            "body_sha256": sha256_hex(body) if body is not None else None,
            "body_size": len(body) if body is not None else None,
            "outcome": capture.outcome, "error": capture.error,
            "attempt": capture.meta.get("attempt"), "redirect_urls": capture.meta.get("redirect_urls") or [],
            "user_agent": capture.request_headers.get("User-Agent") or p.get("user_agent"),
            "http_headers_rewritten": rewritten or None,
            "payload_note": ("payload stored as decoded by the crawler; HTTP headers rewritten to match it"
                             if rewritten else None),
            "software": {k: p.get(k) for k in ("software", "receipts_version", "python", "scrapy", "playwright",
                                               "scrapy_playwright", "chromium", "warcio", "platform")},
            "hostname": p.get("hostname"),
        }

    # -- resources --------------------------------------------------------------------------
    def write_resource(self, uri: str, content_type: str, data: bytes, meta: dict[str, Any] | None = None) -> str:
        """A ``resource`` record (screenshot, normalised post JSON); returns its record id.

        ``meta`` may name ``target_id`` (post or article the resource belongs to), ``capture_id``
        (linked with ``WARC-Concurrent-To``) and ``date``; the rest goes into a metadata record.
        """
        assert self._writer is not None, "WARC is not open"
        meta = dict(meta or {})
        date = warc_date(meta.get("date") or utcnow())
        headers = {"WARC-Date": date, "Content-Type": content_type}
        concurrent = self.response_ids.get(meta.get("capture_id") or "")
        if concurrent:
            headers["WARC-Concurrent-To"] = concurrent
        rec = self._writer.create_warc_record(uri, "resource", payload=BytesIO(data), length=len(data),
                                              warc_content_type=content_type, warc_headers_dict=headers)
        record_id = rec.rec_headers.get_header("WARC-Record-ID")
        info = {"resource_uri": uri, "content_type": content_type, "sha256": sha256_hex(data), "bytes": len(data),
                "crawl_id": self.crawl_id, **{k: v for k, v in meta.items() if k != "date"}}
        blob = json.dumps(info, sort_keys=True, default=str, ensure_ascii=False).encode()
        md = self._writer.create_warc_record(uri, "metadata", payload=BytesIO(blob), length=len(blob),
                                             warc_content_type="application/json",
                                             warc_headers_dict={"WARC-Date": date, "WARC-Concurrent-To": record_id})
        with self._lock:
            span = self._write([rec, md])
        self.resources.append(ResourceEntry(record_id, uri, content_type, meta.get("target_id"), span.offset,
                                            span.length, sha256_hex(data)))
        return record_id

    def close(self) -> tuple[str, int]:
        """Close the file; returns its sha256 hex and size."""
        with self._lock:
            if self._fh is not None:
                self._fh.close()
                self._fh = None
                self._writer = None
        return file_sha256(self.path)


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
