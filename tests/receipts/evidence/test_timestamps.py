"""Evidence that holds up (issue 14): RFC 3161 tokens from a local authority, a signed WACZ, ``receipts verify``.

A local TSA (``openssl ts -reply`` with its own test CA, tsa_support.py) stands in for the public
authorities, reached through ``RECEIPTS_ORIGIN_MAP`` like every other origin. One crawl serves the
module; tests run in file order and the tampering tests restore what they change.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat
import subprocess
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import BIN, ReceiptsEnv
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from tsa_support import LocalTSA, TsaCA, make_tsa_ca

from fakeweb import ARTICLE_URL

TSA_URL = "https://tsa.receipts.test/tsr"  # never resolved: the origin map sends it to the local TSA


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> TsaCA:
    return make_tsa_ca(tmp_path_factory.mktemp("tsa-ca"))


@pytest.fixture(scope="module")
def tsa(ca: TsaCA) -> Iterator[LocalTSA]:
    with LocalTSA(ca) as server:
        yield server


def _env(nx: Any, fakeweb: Any, tsa: LocalTSA, data_dir: Path, **extra: str) -> ReceiptsEnv:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("RECEIPTS_")}
    environ.update({
        "RECEIPTS_MONGODB_URI": nx.uri, "RECEIPTS_DB_NAME": "t_" + uuid.uuid4().hex[:12],
        "RECEIPTS_DATA_DIR": str(data_dir),
        "RECEIPTS_ORIGIN_MAP": json.dumps({**fakeweb.origin_map(), **tsa.origin_map("https://tsa.receipts.test")}),
        "RECEIPTS_RETRY_MAX_WAIT": "5", "RECEIPTS_BROWSER": "0",
        "RECEIPTS_TSA_URLS": TSA_URL, "RECEIPTS_TSA_CA_FILE": str(tsa.ca.ca_file), "RECEIPTS_TSA_TIMEOUT": "5",
        **extra,
    })
    return ReceiptsEnv(env=environ, db_name=environ["RECEIPTS_DB_NAME"], data_dir=data_dir, uri=nx.uri)


@pytest.fixture(scope="module")
def env(nx: Any, fakeweb: Any, tsa: LocalTSA, tmp_path_factory: pytest.TempPathFactory) -> ReceiptsEnv:
    data_dir = tmp_path_factory.mktemp("timestamps") / "var"
    data_dir.mkdir()
    return _env(nx, fakeweb, tsa, data_dir)


@pytest.fixture(scope="module")
def crawl(env: ReceiptsEnv, tsa: LocalTSA) -> dict[str, Any]:
    before = tsa.requests
    report = env.crawl_json(ARTICLE_URL)
    assert tsa.requests > before, "the crawl asked no TSA"
    doc = env.db["crawls"].find_one({"_id": report["crawl"]["id"]})
    assert doc is not None and doc["status"] == "done"
    return doc


def _warc(env: ReceiptsEnv, crawl: dict[str, Any]) -> Path:
    return env.data_dir / "warc" / crawl["warc_files"][0]


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _openssl_verify(tmp: Path, token: bytes, ca_file: Path, *, data: Path | None = None,
                    digest: str | None = None) -> subprocess.CompletedProcess:
    tsr = tmp / f"t{uuid.uuid4().hex[:6]}.tsr"
    tsr.write_bytes(token)
    what = ["-data", str(data)] if data is not None else ["-digest", str(digest)]
    return subprocess.run(["openssl", "ts", "-verify", "-in", str(tsr), *what, "-CAfile", str(ca_file)],
                          capture_output=True, text=True)


def _json_lines(proc: subprocess.CompletedProcess) -> list[dict[str, Any]]:
    return [json.loads(line) for line in proc.stdout.splitlines()]


def test_the_crawl_timestamps_its_warc_and_openssl_agrees(env: ReceiptsEnv, crawl: dict[str, Any],
                                                          tsa: LocalTSA, tmp_path: Path) -> None:
    path = _warc(env, crawl)
    digest = _sha(path.read_bytes())
    doc = env.db["timestamps"].find_one({"_id": f"sha256:{digest}"})
    assert doc is not None, "no timestamps document for the WARC"
    assert doc["status"] == "stamped", doc.get("last_error")
    assert doc["subject"] == {"kind": "warc", "name": path.name,
                                                            "crawl_id": crawl["_id"]}
    [token] = doc["tokens"]
    assert token["tsa_url"] == TSA_URL and int(token["serial"]) > 0 and token["policy"] == "1.3.6.1.4.1.99999.1"
    assert token["chain"] and "BEGIN CERTIFICATE" in token["chain"][0]
    # the standard tool accepts the stored token over the file itself, with the TSA's root only
    proc = _openssl_verify(tmp_path, base64.b64decode(token["token"]), tsa.ca.ca_file, data=path)
    assert proc.returncode == 0 and "Verification: OK" in proc.stdout, proc.stdout + proc.stderr

    proc = env.run("verify", "--json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = _json_lines(proc)
    stamps = [o for o in lines if o["kind"] == "timestamp"]
    assert [(o["name"], o["ok"], o["digest"]) for o in stamps] == [
        (f"warc {path.name} {TSA_URL}", True, f"sha256:{digest}")]
    assert any(o["kind"] == "warc-file" and o["name"] == path.name and o["ok"] for o in lines)
    assert lines[-1]["kind"] == "summary" and lines[-1]["counts"]["timestamp_tokens"] == 1


def test_a_token_from_an_untrusted_authority_fails(env: ReceiptsEnv, crawl: dict[str, Any],
                                                   tmp_path: Path) -> None:
    other = make_tsa_ca(tmp_path / "other", "Other")
    proc = env.run("verify", extra_env={"RECEIPTS_TSA_CA_FILE": str(other.ca_file)})
    assert proc.returncode == 1
    bad = [line for line in proc.stdout.splitlines() if line.startswith("MISMATCH timestamp")]
    assert len(bad) == 1 and "TSA signature or chain" in bad[0] and "issuer certificate" in bad[0], proc.stdout


@pytest.fixture(scope="module")
def wacz(env: ReceiptsEnv, crawl: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("wacz") / "evidence.wacz"
    proc = env.run("export", "wacz", "--article", ARTICLE_URL, "-o", str(out), check=True)
    return {"path": out, "proc": proc}


def test_export_signs_the_wacz_with_a_generated_key(env: ReceiptsEnv, wacz: dict[str, Any], tsa: LocalTSA,
                                                    tmp_path: Path) -> None:
    key_path = env.data_dir / "keys" / "wacz-signing.pem"
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(key_path.parent.stat().st_mode) == 0o700
    proc = wacz["proc"]
    assert "generated a WACZ signing key" in proc.stderr and "BEGIN PUBLIC KEY" in proc.stderr
    assert "timestamped" in proc.stdout and "1 WARC timestamp tokens packed" in proc.stdout
    key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name == "secp384r1"  # ReplayWeb.page's curve

    with zipfile.ZipFile(wacz["path"]) as zf:
        package_bytes = zf.read("datapackage.json")
        digest = json.loads(zf.read("datapackage-digest.json"))
        listing = json.loads(zf.read("timestamps/timestamps.json"))
        packed = zf.read(listing[0]["token"])
    package = json.loads(package_bytes)
    signed = digest["signedData"]
    assert digest["hash"] == signed["hash"] == "sha256:" + _sha(package_bytes)
    assert signed["created"] == package["created"] and signed["software"].startswith("Receipts")
    # the anonymous signature, checked here with cryptography alone: raw r‖s over the hash string
    public = serialization.load_der_public_key(base64.b64decode(signed["publicKey"]))
    assert public.public_numbers() == key.public_key().public_numbers()
    raw = base64.b64decode(signed["signature"])
    assert len(raw) == 96
    der = encode_dss_signature(int.from_bytes(raw[:48], "big"), int.from_bytes(raw[48:], "big"))
    public.verify(der, signed["hash"].encode(), ec.ECDSA(hashes.SHA256()))
    # the signature's RFC 3161 token, by openssl, over the signature bytes
    proc = _openssl_verify(tmp_path, base64.b64decode(signed["timeSignature"]), tsa.ca.ca_file, digest=_sha(raw))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "BEGIN CERTIFICATE" in signed["timestampCert"]
    # the WARC's token travels in the package, listed in datapackage.json like every file
    warc_name = listing[0]["file"]
    assert listing[0]["sha256"] == env.db["warcs"].find_one({"_id": warc_name})["sha256"]
    assert listing[0]["token"] in {r["path"] for r in package["resources"]}
    proc = _openssl_verify(tmp_path, packed, tsa.ca.ca_file, data=env.data_dir / "warc" / warc_name)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # the signature's token is kept in the archive too
    stamp = env.db["timestamps"].find_one({"_id": "sha256:" + _sha(raw)})
    assert stamp["status"] == "stamped" and stamp["subject"]["kind"] == "wacz"


def test_wacz_validate_accepts_the_signed_package(wacz: dict[str, Any]) -> None:
    proc = subprocess.run([str(BIN / "wacz"), "validate", "-f", str(wacz["path"])], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Validation succeeded" in proc.stdout and "Has signature" in proc.stdout


def _rezip(src: Path, dst: Path, replace: dict[str, bytes]) -> None:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", compression=zipfile.ZIP_STORED) as zout:
        for item in zin.infolist():
            zout.writestr(item, replace.get(item.filename, zin.read(item.filename)))


def test_verify_checks_the_wacz_signature_and_names_each_failure(env: ReceiptsEnv, wacz: dict[str, Any],
                                                                 tmp_path: Path) -> None:
    path = wacz["path"]
    proc = env.run("verify", "--wacz", str(path), "--json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    kinds = {(o["kind"], o["ok"]) for o in _json_lines(proc)}
    assert {("wacz", True), ("wacz-signature", True), ("timestamp", True), ("summary", True)} == kinds

    with zipfile.ZipFile(path) as zf:
        digest = json.loads(zf.read("datapackage-digest.json"))
    # another key's signature over the same hash: a forged signature no longer verifies
    forged = dict(digest, signedData=dict(digest["signedData"]))
    raw = bytearray(base64.b64decode(forged["signedData"]["signature"]))
    raw[10] ^= 0x01
    forged["signedData"]["signature"] = base64.b64encode(bytes(raw)).decode()
    bad = tmp_path / "forged.wacz"
    _rezip(path, bad, {"datapackage-digest.json": json.dumps(forged).encode()})
    proc = env.run("verify", "--wacz", str(bad))
    assert proc.returncode == 1
    lines = [line for line in proc.stdout.splitlines() if line.startswith("MISMATCH")]
    assert any(line.startswith("MISMATCH wacz-signature forged.wacz") and "does not verify" in line
               for line in lines), proc.stdout
    assert any(line.startswith("MISMATCH timestamp forged.wacz timeSignature") and "message imprint" in line
               for line in lines), proc.stdout

    # one changed byte in the packaged pages: the file hash names it
    with zipfile.ZipFile(path) as zf:
        pages = bytearray(zf.read("pages/pages.jsonl"))
    pages[5] ^= 0x01
    _rezip(path, bad, {"pages/pages.jsonl": bytes(pages)})
    proc = env.run("verify", "--wacz", str(bad))
    assert proc.returncode == 1
    assert any(line.startswith("MISMATCH wacz forged.wacz pages/pages.jsonl") for line in proc.stdout.splitlines())


def test_a_tampered_token_is_caught(env: ReceiptsEnv, crawl: dict[str, Any]) -> None:
    path = _warc(env, crawl)
    coll = env.db["timestamps"]
    doc = coll.find_one({"_id": f"sha256:{_sha(path.read_bytes())}"})
    tampered = bytearray(base64.b64decode(doc["tokens"][0]["token"]))  # stored base64
    tampered[-8] ^= 0x01  # inside the TSA's signature value
    forged = base64.b64encode(bytes(tampered)).decode()
    coll.replace_one({"_id": doc["_id"]}, {**doc, "tokens": [{**doc["tokens"][0], "token": forged}]})
    try:
        proc = env.run("verify", "--article", ARTICLE_URL)
        assert proc.returncode == 1
        bad = [line for line in proc.stdout.splitlines() if line.startswith("MISMATCH")]
        assert len(bad) == 1, proc.stdout
        assert bad[0].startswith(f"MISMATCH timestamp warc {path.name} {TSA_URL}") and "signature" in bad[0]
    finally:
        coll.replace_one({"_id": doc["_id"]}, doc)
    assert env.run("verify").returncode == 0


def test_a_changed_warc_byte_no_longer_matches_its_token(env: ReceiptsEnv, crawl: dict[str, Any]) -> None:
    path = _warc(env, crawl)
    original = path.read_bytes()
    raw = bytearray(original)
    raw[len(raw) // 3] ^= 0xFF
    path.write_bytes(bytes(raw))
    try:
        proc = env.run("verify", "--json")
        assert proc.returncode == 1
        lines = _json_lines(proc)
        failed = {o["kind"] for o in lines if not o["ok"]}
        assert {"warc-file", "timestamp", "summary"} <= failed
        stamp = next(o for o in lines if o["kind"] == "timestamp" and not o["ok"])
        assert "no longer has the digest its tokens cover" in " ".join(stamp["problems"])
        assert stamp["name"] == f"warc {path.name}"
    finally:
        path.write_bytes(original)
    assert env.run("verify").returncode == 0


def test_an_unreachable_tsa_leaves_pending_and_the_daemon_completes_it(nx: Any, fakeweb: Any, tsa: LocalTSA,
                                                                      tmp_path: Path) -> None:
    from daemon_support import DaemonProc, wait_for

    data_dir = tmp_path / "var"
    data_dir.mkdir()
    renv = _env(nx, fakeweb, tsa, data_dir, RECEIPTS_TSA_RETRY="1s")
    tsa.available = False
    try:
        report = renv.crawl_json(ARTICLE_URL)
    finally:
        tsa.available = True
    crawl = renv.db["crawls"].find_one({"_id": report["crawl"]["id"]})
    assert crawl["status"] == "done" and crawl["warc_files"]
    path = data_dir / "warc" / crawl["warc_files"][0]
    stamp_id = f"sha256:{_sha(path.read_bytes())}"
    doc = renv.db["timestamps"].find_one({"_id": stamp_id})
    assert doc["status"] == "pending" and doc["tokens"] == [] and doc["attempts"] == 1
    assert TSA_URL in doc["last_error"]
    proc = renv.run("verify")
    assert proc.returncode == 0 and "1 timestamps pending" in proc.stdout, proc.stdout

    daemon = DaemonProc(renv, "tsa")
    try:
        daemon.start()
        done = wait_for(lambda: (d := renv.db["timestamps"].find_one({"_id": stamp_id})) and d["status"] == "stamped"
                        and d, timeout=60, what="the daemon to complete the pending timestamp")
    finally:
        daemon.cleanup()
    assert done["attempts"] == 2 and done["last_error"] is None and len(done["tokens"]) == 1
    proc = renv.run("verify", "--json")
    assert proc.returncode == 0, proc.stdout
    assert [o["ok"] for o in _json_lines(proc) if o["kind"] == "timestamp"] == [True]


def test_a_recovered_warc_is_queued_and_stamped_by_the_retry(receipts_env: ReceiptsEnv, tsa: LocalTSA,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import gzip

    from receipts.db import get_database
    from receipts.db.archive import Archive
    from receipts.evidence.recover import recover_interrupted
    from receipts.evidence.timestamps import retry_pending
    from receipts.evidence.tsa import TsaConfig
    from receipts.models import Crawl
    from receipts.settings import get_settings, reset_settings

    monkeypatch.setenv("RECEIPTS_TSA_URLS", TSA_URL)
    monkeypatch.setenv("RECEIPTS_ORIGIN_MAP", json.dumps(tsa.origin_map("https://tsa.receipts.test")))
    reset_settings()
    archive = Archive(get_database())
    archive.start_crawl(Crawl(id="crdead0001"))
    warc_dir = receipts_env.data_dir / "warc"
    warc_dir.mkdir()
    whole = gzip.compress(b"WARC/1.1\r\nWARC-Type: warcinfo\r\n\r\n")
    (warc_dir / "crdead0001.warc.gz").write_bytes(whole + gzip.compress(b"cut off")[:9])  # a torn last member
    assert recover_interrupted(archive, warc_dir) == ["crdead0001"]
    stamp_id = f"sha256:{_sha(whole)}"
    doc = receipts_env.db["timestamps"].find_one({"_id": stamp_id})
    assert doc["status"] == "pending" and doc["attempts"] == 0  # queued: no request on the recovery path
    before = tsa.requests
    counts = retry_pending(archive, TsaConfig.from_settings(get_settings()), warc_dir)
    assert counts["stamped"] == 1 and tsa.requests == before + 1
    assert receipts_env.db["timestamps"].find_one({"_id": stamp_id})["status"] == "stamped"
