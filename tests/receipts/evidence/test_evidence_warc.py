"""The WARC writer on its own: a gzip-encoded response as Scrapy hands it over, resources, and the
record-digest check of ``receipts verify`` (no database needed)."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import zlib
from pathlib import Path

from scrapy import Request
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.http import HtmlResponse, Response
from scrapy.utils.test import get_crawler
from warcio.archiveiterator import ArchiveIterator

from receipts.evidence.verify import VerifyReport, verify_warc
from receipts.evidence.warc import CrawlWarc, post_urn
from receipts.models import Capture

HTML = ("<!doctype html><title>Évidence</title>" + "<p>receipts</p>" * 200).encode()


def _decoded_response() -> tuple[Request, Response, int]:
    """A gzip response run through Scrapy's own decompression middleware."""
    wire = gzip.compress(HTML)
    request = Request("https://news.example/a")
    raw = HtmlResponse("https://news.example/a", status=200, body=wire, request=request, headers={
        "Content-Type": "text/html; charset=utf-8", "Content-Encoding": "gzip", "Content-Length": str(len(wire)),
        "Set-Cookie": ["a=1", "b=2"]})
    mw = HttpCompressionMiddleware.from_crawler(get_crawler())
    decoded = mw.process_response(request, raw)
    assert decoded.body == HTML
    return request, decoded, len(wire)


def _records(path: Path) -> list:
    with path.open("rb") as fh:
        return [(r.rec_type, dict(r.rec_headers.headers), r.raw_stream.read())
                for r in ArchiveIterator(fh, no_record_parse=True)]


def test_decoded_body_gets_headers_that_match_it(tmp_path: Path) -> None:
    request, response, wire_len = _decoded_response()
    warc = CrawlWarc(tmp_path / "cr1.warc.gz", "cr1", {"scrapy": "2.19", "user_agent": "ua"}).open()
    cap = Capture(id="cap1", crawl_id="cr1", target_type="article", route="article", requested_url=request.url,
                  fetched_url=response.url, http_status=200, content_type="text/html; charset=utf-8",
                  request_headers={"User-Agent": "ua", "Accept-Encoding": "gzip"})
    span = warc.write_capture(cap, response.body, response)
    warc.write_resource(post_urn("x:1"), "application/json", b'{"id": "x:1"}', {"target_id": "x:1",
                                                                            "capture_id": "cap1"})
    sha, size = warc.close()
    assert (sha, size) == (hashlib.sha256((tmp_path / "cr1.warc.gz").read_bytes()).hexdigest(),
                           (tmp_path / "cr1.warc.gz").stat().st_size)

    recs = _records(tmp_path / "cr1.warc.gz")
    assert [r[0] for r in recs] == ["warcinfo", "response", "request", "metadata", "resource", "metadata"]
    _, resp_headers, block = recs[1]
    assert resp_headers["WARC-Record-ID"] == span.record_id
    head, payload = block.split(b"\r\n\r\n", 1)
    assert payload == HTML
    lines = head.decode().split("\r\n")
    assert lines[0] == "HTTP/1.1 200 OK"
    assert f"Content-Length: {len(HTML)}" in lines
    assert not any(line.lower().startswith(("content-encoding", "transfer-encoding")) for line in lines)
    assert "Set-Cookie: a=1" in lines and "Set-Cookie: b=2" in lines  # repeated headers kept
    assert resp_headers["WARC-Payload-Digest"] == "sha256:" + hashlib.sha256(HTML).hexdigest()
    assert resp_headers["WARC-Block-Digest"] == "sha256:" + hashlib.sha256(block).hexdigest()

    req_block = recs[2][2]
    assert req_block.startswith(b"GET /a HTTP/1.1\r\nHost: news.example\r\n")
    meta = json.loads(recs[3][2])
    assert meta["http_headers_rewritten"]["Content-Length"] == str(wire_len)
    assert meta["payload_note"] and meta["body_sha256"] == hashlib.sha256(HTML).hexdigest()
    assert recs[3][1]["WARC-Concurrent-To"] == span.record_id
    assert recs[4][1]["WARC-Target-URI"] == "urn:receipts:post:x:1"
    assert recs[4][1]["WARC-Concurrent-To"] == span.record_id  # derived from that capture
    assert warc.resources[0].target_id == "x:1"

    report = VerifyReport()
    verify_warc(tmp_path / "cr1.warc.gz", sha, report)
    assert report.ok and report.counts["warc_records"] == 6


def test_failed_fetch_and_bodies_without_http_status(tmp_path: Path) -> None:
    warc = CrawlWarc(tmp_path / "cr2.warc.gz", "cr2").open()
    failed = Capture(id="c1", target_type="post", route="syndication", requested_url="https://x.example/p",
                     outcome="error", error="TimeoutError: took too long")
    shot = Capture(id="c2", target_type="screenshot", route="browser", requested_url="https://x.com/a/status/1",
                   content_type="image/png")
    first = warc.write_capture(failed, None)
    second = warc.write_capture(shot, b"\x89PNG\r\n\x1a\nfake")
    warc.close()
    recs = {r[1]["WARC-Record-ID"]: r for r in _records(tmp_path / "cr2.warc.gz")}
    assert recs[first.record_id][0] == "metadata"
    assert json.loads(recs[first.record_id][2])["error"] == "TimeoutError: took too long"
    assert recs[second.record_id][0] == "resource" and recs[second.record_id][2].startswith(b"\x89PNG")


def test_verify_names_the_record_whose_bytes_changed(tmp_path: Path) -> None:
    path = tmp_path / "cr3.warc.gz"
    warc = CrawlWarc(path, "cr3").open()
    spans = [warc.write_resource(f"urn:receipts:test:{i}", "text/plain", f"resource {i}".encode() * 50)
             for i in range(3)]
    entry = warc.resources[1]
    sha, _ = warc.close()
    raw = path.read_bytes()
    # rewrite the middle resource's gzip member with one changed payload byte
    d = zlib.decompressobj(16 + 15)
    member = bytearray(d.decompress(raw[entry.offset:entry.offset + entry.length]))
    member[member.index(b"resource 1") + 3] ^= 0x01
    tail = d.unused_data
    path.write_bytes(raw[:entry.offset] + gzip.compress(bytes(member)) + tail + raw[entry.offset + entry.length:])

    report = VerifyReport()
    verify_warc(path, sha, report)
    named = {(m.kind, m.name.split(" ")[-1]) for m in report.mismatches}
    assert named == {("warc-file", path.name), ("warc-record", spans[1])}
    assert {m.detail.split(",")[0] for m in report.mismatches if m.kind == "warc-record"} == {
        "WARC-Block-Digest", "WARC-Payload-Digest"}
    # warcio's own digest checker agrees
    with path.open("rb") as fh:
        problems = [r.digest_checker.problems for r in ArchiveIterator(io.BytesIO(fh.read()), check_digests=True)
                    if r.rec_headers.get_header("WARC-Record-ID") == spans[1]]
    assert problems and problems[0]
