"""Units of issue 14 without a database: the TSA request guard and the WACZ signing key."""

from __future__ import annotations

import base64
import hashlib
import os
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from tsa_support import LocalTSA, make_tsa_ca

from receipts.evidence.signing import SigningError, load_signing_key, sign_hash, verify_signed_data
from receipts.evidence.tsa import TsaConfig, TsaError, load_roots, request_token, verify_token
from receipts.settings import Settings

TSA_URL = "https://tsa.receipts.test/tsr"


@pytest.fixture(scope="module")
def tsa(tmp_path_factory: pytest.TempPathFactory):
    with LocalTSA(make_tsa_ca(tmp_path_factory.mktemp("ca"))) as server:
        yield server


def test_a_mapped_tsa_is_reached_on_loopback_an_unmapped_loopback_one_is_refused(tsa: LocalTSA) -> None:
    mapped = TsaConfig(urls=(TSA_URL,), origin_map=tsa.origin_map("https://tsa.receipts.test"))
    token = request_token(TSA_URL, b"evidence", mapped)
    assert verify_token(token, hashlib.sha256(b"evidence").hexdigest(), load_roots(tsa.ca.ca_file)) == []

    direct = f"{tsa.base_url}/tsr"  # the same server, not routed by the map: a private address
    before = tsa.requests
    with pytest.raises(TsaError, match="non-public address"):
        request_token(direct, b"evidence", TsaConfig(urls=(direct,)))
    with pytest.raises(TsaError, match="cloud metadata"):
        request_token("http://metadata.google.internal/tsr", b"evidence", TsaConfig(urls=()))
    assert tsa.requests == before
    assert request_token(direct, b"evidence", TsaConfig(urls=(direct,), allow_private=True))  # operator's choice


def test_an_unreachable_tsa_raises_tsa_error(tsa: LocalTSA) -> None:
    config = TsaConfig(urls=(TSA_URL,), origin_map=tsa.origin_map("https://tsa.receipts.test"), timeout=5)
    tsa.available = False
    try:
        with pytest.raises(TsaError, match="tsa.receipts.test"):
            request_token(TSA_URL, b"evidence", config)
    finally:
        tsa.available = True


def _settings(tmp_path: Path, key: str | None = None) -> Settings:
    return Settings(mongodb_uri=None, db_name="x", data_dir=tmp_path, signing_key=key)


def test_the_generated_key_is_private_and_reused(tmp_path: Path) -> None:
    first = load_signing_key(_settings(tmp_path))
    assert first.generated and first.key.curve.name == "secp384r1"
    path = tmp_path / "keys" / "wacz-signing.pem"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    again = load_signing_key(_settings(tmp_path))
    assert not again.generated and again.public_key_b64 == first.public_key_b64


def test_an_operator_p256_key_signs_and_verifies_and_a_wrong_hash_fails(tmp_path: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    loaded = load_signing_key(_settings(tmp_path, pem))
    assert loaded.source == "RECEIPTS_SIGNING_KEY" and not (tmp_path / "keys").exists()
    key_file = tmp_path / "op.pem"
    key_file.write_text(pem)
    assert load_signing_key(_settings(tmp_path, str(key_file))).public_key_b64 == loaded.public_key_b64

    signed = sign_hash(loaded.key, "sha256:" + "ab" * 32, "2026-01-01T00:00:00Z", "Receipts test")
    assert len(base64.b64decode(signed["signature"])) == 64
    assert verify_signed_data(signed, "sha256:" + "ab" * 32, "2026-01-01T00:00:00Z") == []
    problems = verify_signed_data(signed, "sha256:" + "cd" * 32, "2026-01-01T00:01:00Z")
    assert len(problems) == 2 and "hash" in problems[0] and "created" in problems[1]
    forged = dict(signed, hash="sha256:" + "cd" * 32)
    assert verify_signed_data(forged, forged["hash"], None) == ["signature does not verify with its publicKey"]


def test_an_unusable_signing_key_is_refused(tmp_path: Path) -> None:
    rsa_free = "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n"
    with pytest.raises(SigningError, match="RECEIPTS_SIGNING_KEY"):
        load_signing_key(_settings(tmp_path, rsa_free))
    with pytest.raises(SigningError, match="cannot read"):
        load_signing_key(_settings(tmp_path, str(tmp_path / "missing.pem")))
    other = ec.generate_private_key(ec.SECP521R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    with pytest.raises(SigningError, match="P-256 or P-384"):
        load_signing_key(_settings(tmp_path, other))


def test_tsa_settings_default_pair_empty_disables_and_crawler_settings_win(monkeypatch: pytest.MonkeyPatch) -> None:
    from scrapy.settings import Settings as ScrapySettings

    from pipelines.evidence import tsa_config
    from receipts.settings import DEFAULT_TSA_URLS, get_settings, reset_settings

    monkeypatch.delenv("RECEIPTS_TSA_URLS", raising=False)
    monkeypatch.delenv("RECEIPTS_TSA_CA_FILE", raising=False)
    reset_settings()
    try:
        assert get_settings().tsa_urls == DEFAULT_TSA_URLS and get_settings().tsa_ca_file is None
        assert all(u.startswith(("https://", "http://")) for u in DEFAULT_TSA_URLS) and len(DEFAULT_TSA_URLS) == 2
        monkeypatch.setenv("RECEIPTS_TSA_URLS", "")
        monkeypatch.setenv("RECEIPTS_TSA_CA_FILE", "/etc/receipts/tsa-roots.pem")
        reset_settings()
        assert get_settings().tsa_urls == () and str(get_settings().tsa_ca_file) == "/etc/receipts/tsa-roots.pem"
        from crawlers.config import settings_keys

        # the environment reaches the crawl only through the crawler's settings (settings_keys)
        assert tsa_config(ScrapySettings(settings_keys(get_settings()))).urls == ()
        assert tsa_config(ScrapySettings()).urls == DEFAULT_TSA_URLS  # unset: the documented defaults
        crawler = ScrapySettings({"RECEIPTS_TSA_URLS": "https://a.example/tsr, https://b.example/tsr",
                                  "RECEIPTS_ORIGIN_MAP": {"https://a.example": "http://127.0.0.1:9"},
                                  "RECEIPTS_ALLOW_PRIVATE": False, "USER_AGENT": "Receipts/test"})
        config = tsa_config(crawler)
        assert config.urls == ("https://a.example/tsr", "https://b.example/tsr")
        assert config.origin_map == {"https://a.example": "http://127.0.0.1:9"} and config.user_agent == "Receipts/test"
    finally:
        reset_settings()
