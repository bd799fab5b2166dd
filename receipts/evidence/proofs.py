"""``receipts verify``'s proofs: RFC 3161 timestamp tokens and signed WACZ packages.

A token must carry a SHA-256 message imprint equal to the digest it is stored under (and, for a
WARC, to the file's digest now), a valid TSA signature, a signer certificate that chains to the
trusted roots (``RECEIPTS_TSA_CA_FILE``, else the system's store) at the token's time, and a time
that is not in the future and is the one recorded with it. A WACZ must hold exactly the files its
``datapackage.json`` lists, with their hashes; ``datapackage-digest.json`` must hash
``datapackage.json``; its ``signedData`` signature must verify, and its ``timeSignature`` and
packed WARC tokens must hold as above.
"""

from __future__ import annotations

import base64
import hashlib
import json
import zipfile
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from cryptography import x509

from receipts.db.archive import Archive
from receipts.db.dates import as_utc
from receipts.db.timestamps import timestamp_docs
from receipts.evidence.signing import key_fingerprint, signature_bytes, verify_signed_data
from receipts.evidence.tsa import load_roots, verify_token
from receipts.evidence.verify import Mismatch, VerifyReport
from receipts.settings import get_settings

DIGEST_FILE = "datapackage-digest.json"
PACKAGE_FILE = "datapackage.json"


@cache
def _roots(ca_file: Path | None) -> tuple[x509.Certificate, ...]:
    return tuple(load_roots(ca_file))


def trusted_roots() -> list[x509.Certificate]:
    return list(_roots(get_settings().tsa_ca_file))


def check_token(report: VerifyReport, name: str, token: bytes, digest_hex: str,
                stated_time: datetime | None = None, tsa_url: str | None = None) -> None:
    """One token, one object line; each problem a ``timestamp`` mismatch."""
    since = len(report.mismatches)
    report.counts["timestamp_tokens"] += 1
    for problem in verify_token(token, digest_hex, trusted_roots(), stated_time=stated_time):
        report.mismatches.append(Mismatch("timestamp", name, f"a valid RFC 3161 token over sha256:{digest_hex}",
                                          problem, tsa_url or ""))
    report.checked("timestamp", name, since, digest=f"sha256:{digest_hex}", tsa_url=tsa_url,
                   gen_time=stated_time.isoformat() if stated_time else None)


def verify_timestamps(archive: Archive, report: VerifyReport, warcs: list[dict[str, Any]],
                      actual: dict[str, str | None], whole_archive: bool) -> None:
    """The tokens of the WARC files *warcs* (``actual``: their sha256 now), and of every WACZ when *whole_archive*."""
    wanted = {f"sha256:{d['sha256']}": d["_id"] for d in warcs if d.get("sha256")}
    docs = timestamp_docs(archive, None if whole_archive else wanted)
    have = {d["_id"] for d in docs}
    report.counts["warc_files_unstamped"] += len(set(wanted) - have)
    for doc in docs:
        subject = doc.get("subject") or {}
        label = f"{subject.get('kind', '?')} {subject.get('name', doc['_id'])}"
        status = doc.get("status")
        if status == "pending":
            report.counts["timestamps_pending"] += 1
            report.objects.append({"kind": "timestamp", "name": label, "ok": True, "status": "pending",
                                   "digest": doc["_id"], "last_error": doc.get("last_error"), "problems": []})
            continue
        if status == "failed":
            since = len(report.mismatches)
            report.mismatches.append(Mismatch("timestamp", label, "a token", "none obtained",
                                              doc.get("last_error") or ""))
            report.checked("timestamp", label, since, digest=doc["_id"], status="failed")
            continue
        digest_hex = doc["_id"].partition(":")[2]
        if subject.get("kind") == "warc" and subject.get("name") in actual:
            now_hex = actual[subject["name"]]
            if now_hex is not None and now_hex != digest_hex:
                since = len(report.mismatches)
                report.mismatches.append(Mismatch("timestamp", label, doc["_id"], f"sha256:{now_hex}",
                                                  "the file no longer has the digest its tokens cover"))
                report.checked("timestamp", label, since, digest=doc["_id"])
        for token in doc.get("tokens") or []:
            check_token(report, f"{label} {token.get('tsa_url')}", bytes(token["token"]), digest_hex,
                        stated_time=as_utc(token.get("gen_time")), tsa_url=token.get("tsa_url"))


def _member_sha256(zf: zipfile.ZipFile, name: str) -> tuple[str, int]:
    h = hashlib.sha256()
    size = 0
    with zf.open(name) as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
            size += len(chunk)
    return f"sha256:{h.hexdigest()}", size


def verify_wacz(path: Path, report: VerifyReport) -> None:
    """A WACZ package: file hashes, the digest, the signature and every token it carries."""
    since = len(report.mismatches)
    report.counts["wacz_files"] += 1
    name = path.name
    try:
        zf = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        report.mismatches.append(Mismatch("wacz", name, "a readable ZIP", "unreadable", str(exc)))
        report.checked("wacz", name, since)
        return
    with zf:
        members = set(zf.namelist())
        try:
            package_bytes = zf.read(PACKAGE_FILE)
            package = json.loads(package_bytes)
            digest = json.loads(zf.read(DIGEST_FILE)) if DIGEST_FILE in members else None
        except (KeyError, ValueError) as exc:
            report.mismatches.append(Mismatch("wacz", name, f"{PACKAGE_FILE} (and {DIGEST_FILE})", "unreadable",
                                              str(exc)))
            report.checked("wacz", name, since)
            return
        listed = {r.get("path"): r for r in package.get("resources") or []}
        for member in sorted(members - {PACKAGE_FILE, DIGEST_FILE} - set(listed)):
            report.mismatches.append(Mismatch("wacz", f"{name} {member}", f"listed in {PACKAGE_FILE}", "not listed"))
        for member, resource in sorted(listed.items()):
            if member not in members:
                report.mismatches.append(Mismatch("wacz", f"{name} {member}", resource.get("hash", "?"), "missing"))
                continue
            actual, size = _member_sha256(zf, member)
            if actual != resource.get("hash") or (resource.get("bytes") is not None and size != resource["bytes"]):
                report.mismatches.append(Mismatch("wacz", f"{name} {member}",
                                                  f"{resource.get('hash')} ({resource.get('bytes')} bytes)",
                                                  f"{actual} ({size} bytes)"))
        package_hash = "sha256:" + hashlib.sha256(package_bytes).hexdigest()
        if digest is None:
            report.mismatches.append(Mismatch("wacz-signature", name, DIGEST_FILE, "missing"))
        elif digest.get("hash") != package_hash:
            report.mismatches.append(Mismatch("wacz", f"{name} {DIGEST_FILE}", package_hash, str(digest.get("hash"))))
        report.checked("wacz", name, since, files=len(listed))
        if digest is not None:
            _verify_signature(report, name, digest, package_hash, package.get("created"))
        _verify_packed_tokens(report, name, zf, members)


def _verify_signature(report: VerifyReport, name: str, digest: dict[str, Any], package_hash: str,
                      created: str | None) -> None:
    since = len(report.mismatches)
    signed = digest.get("signedData")
    if not signed:
        report.mismatches.append(Mismatch("wacz-signature", name, "signedData", "unsigned"))
        report.checked("wacz-signature", name, since)
        return
    report.counts["wacz_signatures"] += 1
    for problem in verify_signed_data(signed, package_hash, created):
        report.mismatches.append(Mismatch("wacz-signature", name, "a valid signature of " + package_hash, problem))
    key = key_fingerprint(signed["publicKey"]) if signed.get("publicKey") else None
    report.checked("wacz-signature", name, since, key=key, created=signed.get("created"))
    if signed.get("timeSignature"):
        try:
            token = base64.b64decode(signed["timeSignature"])
            sig_hex = hashlib.sha256(signature_bytes(signed)).hexdigest()
        except ValueError as exc:
            since = len(report.mismatches)
            report.mismatches.append(Mismatch("timestamp", f"{name} timeSignature", "base64", "unreadable", str(exc)))
            report.checked("timestamp", f"{name} timeSignature", since)
            return
        check_token(report, f"{name} timeSignature", token, sig_hex)


def _verify_packed_tokens(report: VerifyReport, name: str, zf: zipfile.ZipFile, members: set[str]) -> None:
    if "timestamps/timestamps.json" not in members:
        return
    try:
        listing = json.loads(zf.read("timestamps/timestamps.json"))
    except ValueError as exc:
        since = len(report.mismatches)
        report.mismatches.append(Mismatch("wacz", f"{name} timestamps/timestamps.json", "JSON", "unreadable",
                                          str(exc)))
        report.checked("wacz", f"{name} timestamps/timestamps.json", since)
        return
    for entry in listing:
        label = f"{name} {entry.get('token')} ({entry.get('file')})"
        if entry.get("token") not in members:
            since = len(report.mismatches)
            report.mismatches.append(Mismatch("timestamp", label, "the token file", "missing"))
            report.checked("timestamp", label, since)
            continue
        check_token(report, label, zf.read(entry["token"]), str(entry.get("sha256")),
                    stated_time=as_utc(entry.get("gen_time")), tsa_url=entry.get("tsa_url"))
