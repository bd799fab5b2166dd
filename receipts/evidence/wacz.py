"""``receipts export wacz``: one article's evidence as a WACZ 1.1.1 package.

The package holds only that article's records: each capture's record group (response, request,
metadata) and the article's resource records are copied byte for byte (whole gzip members, so
their digests still hold) from the crawl WARCs into ``archive/data.warc.gz``, after a warcinfo
record describing the export. ``indexes/index.cdxj`` is built by ``cdxj_indexer`` (response and
resource records; metadata records stay unindexed so they never shadow a page in replay).
``pages/pages.jsonl`` lists the article and, per post, the URL of its best captured page (the
post's own page when the browser rendered it, else the capture the post was read from).

Evidence that holds up (issue 14): ``datapackage-digest.json`` carries an anonymous ``signedData``
(:mod:`receipts.evidence.signing`) and, when a TSA answered, ``timeSignature`` (base64 DER
``TimeStampResp`` over the raw signature bytes) and ``timestampCert`` (its PEM chain), the fields
the wacz-auth spec gives an RFC 3161 timestamp of the signature. The source crawl WARCs' tokens
are packed as ``timestamps/<warc>.<n>.tsr`` with ``timestamps/timestamps.json`` naming the file,
digest, TSA, time and serial of each (listed in ``datapackage.json`` like every other file).
"""

from __future__ import annotations

import base64
import hashlib
import json
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from receipts.db.archive import Archive
from receipts.db.evidence import warc_docs
from receipts.db.timestamps import timestamp_docs
from receipts.evidence.select import ArticleEvidence, select_article
from receipts.evidence.signing import (
    SigningKey,
    key_fingerprint,
    load_signing_key,
    sign_hash,
    signature_bytes,
)
from receipts.evidence.timestamps import stamp
from receipts.evidence.tsa import TsaConfig
from receipts.evidence.warc import WARC_VERSION, Sha256WARCWriter
from receipts.models import Capture, utcnow
from receipts.settings import Settings, get_settings

WACZ_VERSION = "1.1.1"
WARC_IN_PACKAGE = "data.warc.gz"
PAGES_HEADER = {"format": "json-pages-1.0", "id": "pages", "title": "All Pages"}


@dataclass
class WaczSummary:
    path: Path
    article_url: str
    records_copied: int
    captures: int
    captures_without_warc: int
    pages: int
    bytes: int
    signing_key: SigningKey | None = None
    signed_by: str | None = None  # sha256 fingerprint of the public key
    signature_timestamp: str | None = None  # "stamped", "pending", or None without a TSA
    warc_tokens: int = 0


def _iso(moment: datetime) -> str:
    moment = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _software() -> str:
    from importlib import metadata

    try:
        return f"Receipts {metadata.version('receipts')}"
    except metadata.PackageNotFoundError:
        return "Receipts"


def _copy_range(src: Path, offset: int, length: int, out: BinaryIO) -> None:
    with src.open("rb") as fh:
        fh.seek(offset)
        remaining = length
        while remaining > 0:
            chunk = fh.read(min(remaining, 1 << 20))
            if not chunk:
                raise ValueError(f"{src.name}: truncated at offset {offset + length - remaining}")
            out.write(chunk)
            remaining -= len(chunk)


def write_selected_warc(ev: ArticleEvidence, out_path: Path, warc_dir: Path) -> tuple[int, int]:
    """The article's records in one WARC; returns (record groups copied, captures without WARC span)."""
    spans: list[tuple[str, int, int]] = []
    missing = 0
    resource_ids = {entry.get("record_id") for _, entry in ev.resources}
    for capture in ev.captures:
        span = capture.meta.get("warc") or {}
        if capture.warc_file and "offset" in span and "length" in span:
            spans.append((capture.warc_file, int(span["offset"]), int(span["length"])))
        elif not (capture.warc_record_id and capture.warc_record_id in resource_ids):  # screenshots: resources
            missing += 1
    spans.extend((name, int(e["offset"]), int(e["length"])) for name, e in ev.resources)
    seen: set[tuple[str, int]] = set()
    with out_path.open("wb") as out:
        writer = Sha256WARCWriter(out, gzip=True, warc_version=WARC_VERSION)
        writer.write_record(writer.create_warcinfo_record(WARC_IN_PACKAGE, {
            "software": _software(), "format": "WARC File Format 1.1",
            "description": f"Receipts evidence for {ev.article.url}",
            "receipts-source-warcs": ", ".join(sorted(ev.warc_files)),
        }))
        for name, offset, length in spans:
            if (name, offset) in seen:
                continue
            seen.add((name, offset))
            _copy_range(warc_dir / name, offset, length, out)
    return len(seen), missing


def _cdxj(warc_path: Path, out_path: Path) -> None:
    from cdxj_indexer.main import CDXJIndexer

    with out_path.open("w", encoding="utf-8") as out:
        CDXJIndexer(out, [str(warc_path)], sort=True, post_append=True, filename=WARC_IN_PACKAGE,
                    records="response,revisit,resource").process_all()


def _page_for(captures: list[Capture], preferred: str | None, fallback_id: str | None) -> Capture | None:
    ok = [c for c in captures if c.http_status and 200 <= c.http_status < 300 and c.warc_record_id]
    for c in ok:
        if preferred and c.fetched_url == preferred:
            return c
    for c in ok:
        if c.id == fallback_id:
            return c
    return ok[-1] if ok else None


def build_pages(ev: ArticleEvidence) -> list[dict[str, Any]]:
    """One page for the article and one per post, each at a URL present in the WARC."""
    pages: list[dict[str, Any]] = []
    article_caps = [c for c in ev.captures if c.target_type == "article" or c.id in ev.article.capture_ids]
    cap = _page_for(article_caps, ev.article.url, None) or _page_for(article_caps, ev.article.canonical_url, None)
    if cap is not None:
        pages.append({"id": cap.id, "url": cap.fetched_url, "ts": _iso(cap.fetched_at),
                      "title": ev.article.title or ev.article.url})
    for post in ev.posts:
        cap = _page_for([c for c in ev.captures if c.target_id == post.id], post.url, post.last_capture_id)
        if cap is None:
            continue
        who = f"@{post.author.handle}" if post.author.handle else post.id
        title = f"{who}: {(post.text or post.status)[:100]}"
        pages.append({"id": cap.id, "url": cap.fetched_url, "ts": _iso(cap.fetched_at), "title": title})
    return pages


def _file_entry(path: Path, name_in_zip: str) -> dict[str, Any]:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return {"name": Path(name_in_zip).name.lower(), "path": name_in_zip, "hash": f"sha256:{h.hexdigest()}",
            "bytes": path.stat().st_size}


def write_warc_tokens(archive: Archive, ev: ArticleEvidence, root: Path) -> dict[str, Path]:
    """The source WARCs' tokens as ``timestamps/*.tsr`` plus ``timestamps/timestamps.json`` (name → file)."""
    sealed = {d["_id"]: d["sha256"] for d in warc_docs(archive, ev.warc_files) if d.get("sha256")}
    docs = {d["_id"]: d for d in timestamp_docs(archive, {f"sha256:{h}" for h in sealed.values()})}
    files: dict[str, Path] = {}
    listing = []
    for name, sha in sorted(sealed.items()):
        for n, token in enumerate((docs.get(f"sha256:{sha}") or {}).get("tokens") or []):
            in_zip = f"timestamps/{name}.{n}.tsr"
            path = root / f"{name}.{n}.tsr"
            path.write_bytes(token["token"])
            files[in_zip] = path
            gen = token.get("gen_time")
            listing.append({"file": name, "sha256": sha, "token": in_zip, "tsa_url": token.get("tsa_url"),
                            "gen_time": _iso(gen) if gen else None, "serial": token.get("serial")})
    if listing:
        index = root / "timestamps.json"
        index.write_text(json.dumps(listing, indent=2))
        files["timestamps/timestamps.json"] = index
    return files


def signed_digest(archive: Archive, package_bytes: bytes, created: str, key: SigningKey, tsa: TsaConfig,
                  name: str) -> tuple[dict[str, Any], str | None]:
    """``datapackage-digest.json`` with its ``signedData``; and the signature's timestamp status."""
    digest: dict[str, Any] = {"path": "datapackage.json",
                              "hash": "sha256:" + hashlib.sha256(package_bytes).hexdigest()}
    signed = sign_hash(key.key, digest["hash"], created, _software())
    doc = stamp(archive, signature_bytes(signed), {"kind": "wacz", "name": name, "hash": digest["hash"]}, tsa,
                keep_message=True)
    status = doc.get("status") if doc else None
    if doc and doc.get("tokens"):
        token = doc["tokens"][0]
        signed["timeSignature"] = base64.b64encode(token["token"]).decode()
        signed["timestampCert"] = "\n".join(token.get("chain") or [])
    digest["signedData"] = signed
    return digest, status


def export_wacz(archive: Archive, article_url: str, output: Path, warc_dir: Path | None = None,
                settings: Settings | None = None) -> WaczSummary:
    """Write the signed WACZ of the article at *article_url* to *output*; LookupError when not archived.

    SigningError when ``RECEIPTS_SIGNING_KEY`` is unusable.
    """
    settings = settings or get_settings()
    warc_dir = warc_dir or settings.warc_dir
    ev = select_article(archive, article_url)
    key = load_signing_key(settings)
    with tempfile.TemporaryDirectory(prefix="receipts-wacz-") as tmp:
        root = Path(tmp)
        files = {"archive/" + WARC_IN_PACKAGE: root / WARC_IN_PACKAGE, "indexes/index.cdxj": root / "index.cdxj",
                 "pages/pages.jsonl": root / "pages.jsonl"}
        copied, missing = write_selected_warc(ev, files["archive/" + WARC_IN_PACKAGE], warc_dir)
        _cdxj(files["archive/" + WARC_IN_PACKAGE], files["indexes/index.cdxj"])
        pages = build_pages(ev)
        with files["pages/pages.jsonl"].open("w", encoding="utf-8") as fh:
            for line in [PAGES_HEADER, *pages]:
                fh.write(json.dumps(line, ensure_ascii=False) + "\n")
        tokens = write_warc_tokens(archive, ev, root)
        files.update(tokens)
        main = pages[0] if pages else None
        package: dict[str, Any] = {
            "profile": "data-package",
            "resources": [_file_entry(path, name) for name, path in files.items()],
            "created": _iso(utcnow()),
            "wacz_version": WACZ_VERSION,
            "software": _software(),
            "title": ev.article.title or ev.article.url,
            "description": f"Receipts evidence: {ev.article.url} and the {len(ev.posts)} posts it references",
        }
        if main:
            package["mainPageUrl"], package["mainPageDate"] = main["url"], main["ts"]
        package_bytes = json.dumps(package, indent=2, ensure_ascii=False).encode()
        digest, stamped = signed_digest(archive, package_bytes, package["created"], key,
                                        TsaConfig.from_settings(settings), output.name)
        output.parent.mkdir(parents=True, exist_ok=True)
        partial = output.with_name(output.name + ".part")
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_STORED) as zf:
            for name, path in files.items():
                zf.write(path, name)
            zf.writestr("datapackage.json", package_bytes)
            zf.writestr("datapackage-digest.json", json.dumps(digest, indent=2))
        partial.replace(output)
    return WaczSummary(output, ev.article.url, copied, len(ev.captures), missing, len(pages), output.stat().st_size,
                       signing_key=key, signed_by=key_fingerprint(key.public_key_b64), signature_timestamp=stamped,
                       warc_tokens=sum(1 for name in tokens if name.endswith(".tsr")))
