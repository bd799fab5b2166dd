"""RFC 3161 trusted timestamps: ask an authority (TSA) for a token over some bytes, read it, verify it.

The ASN.1 and CMS work is rfc3161-client's (Trail of Bits): it builds the ``TimeStampReq`` (SHA-256
message imprint, a nonce, the TSA's certificate requested) and parses and verifies the
``TimeStampResp``. A stored token is the whole DER ``TimeStampResp``, so ``openssl ts -verify -in``
reads it as it is. Requests go through ``RECEIPTS_ORIGIN_MAP`` like every other outbound request; an
unmapped TSA host must resolve to public addresses unless ``RECEIPTS_ALLOW_PRIVATE=1``.
"""

from __future__ import annotations

import hashlib
import re
import socket
import ssl
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from rfc3161_client import (
    HashAlgorithm,
    PKIStatus,
    TimestampRequestBuilder,
    TimeStampResponse,
    VerificationError,
    VerifierBuilder,
    decode_timestamp_response,
)

from receipts.origin import is_mapped, route
from receipts.settings import Settings
from receipts.urlcheck import address_problem, host_problem

SHA256_OID = x509.ObjectIdentifier("2.16.840.1.101.3.4.2.1")
QUERY_TYPE = "application/timestamp-query"
REPLY_TYPE = "application/timestamp-reply"
CLOCK_SKEW = timedelta(minutes=5)
MAX_REPLY_BYTES = 1 << 20


class TsaError(Exception):
    """A TSA did not answer with a usable token; the message says why, in one line."""


@dataclass(frozen=True)
class TsaConfig:
    """What a TSA request needs (built from the process settings or a crawler's)."""

    urls: tuple[str, ...]
    origin_map: dict[str, str] = field(default_factory=dict)
    allow_private: bool = False
    user_agent: str = Settings.user_agent
    timeout: float = Settings.tsa_timeout
    retry: float = Settings.tsa_retry

    @classmethod
    def from_settings(cls, s: Settings) -> TsaConfig:
        return cls(urls=s.tsa_urls, origin_map=s.origin_map, allow_private=s.allow_private,
                   user_agent=s.user_agent, timeout=s.tsa_timeout, retry=s.tsa_retry)


def _check_target(url: str, config: TsaConfig) -> str:
    """The URL to POST to: mapped origins are operator-trusted; others must be public."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TsaError(f"not an http(s) TSA URL: {url}")
    if is_mapped(url, config.origin_map):
        return route(url, config.origin_map)
    if not config.allow_private:
        host = parts.hostname
        if problem := host_problem(host):
            raise TsaError(problem)
        try:
            infos = socket.getaddrinfo(host, parts.port or 443, proto=socket.IPPROTO_TCP)
        except (socket.gaierror, UnicodeError) as exc:
            raise TsaError(f"cannot resolve {host}: {exc}") from exc
        if problem := address_problem(host, (info[4][0] for info in infos)):
            raise TsaError(problem)
    return url


def request_token(url: str, data: bytes, config: TsaConfig) -> bytes:
    """A granted ``TimeStampResp`` (DER) from the TSA at *url* over sha256(*data*); TsaError otherwise."""
    request = (TimestampRequestBuilder().data(data).hash_algorithm(HashAlgorithm.SHA256)
               .nonce(nonce=True).cert_request(cert_request=True).build())
    target = _check_target(url, config)
    headers = {"Content-Type": QUERY_TYPE, "Accept": REPLY_TYPE, "User-Agent": config.user_agent}
    try:
        timeout = httpx.Timeout(config.timeout, connect=min(config.timeout, 5.0))
        with httpx.Client(timeout=timeout, follow_redirects=False) as client:
            reply = client.post(target, content=request.as_bytes(), headers=headers)
    except httpx.HTTPError as exc:
        raise TsaError(f"{url}: {type(exc).__name__}: {exc}"[:300]) from exc
    if reply.status_code != 200:
        raise TsaError(f"{url}: HTTP {reply.status_code}")
    body = reply.content
    if len(body) > MAX_REPLY_BYTES:
        raise TsaError(f"{url}: reply of {len(body)} bytes")
    try:
        response = decode_timestamp_response(body)
    except Exception as exc:  # not a TimeStampResp
        raise TsaError(f"{url}: unreadable reply: {exc}"[:300]) from exc
    if response.status not in (PKIStatus.GRANTED, PKIStatus.GRANTED_WITH_MODS):
        raise TsaError(f"{url}: status {response.status} {' '.join(response.status_string)}".strip())
    info = response.tst_info
    if info.message_imprint.message != hashlib.sha256(data).digest():
        raise TsaError(f"{url}: the token covers another digest")
    if request.nonce is not None and info.nonce != request.nonce:
        raise TsaError(f"{url}: nonce mismatch")
    return response.as_bytes()


def _pem(der: bytes) -> str:
    return x509.load_der_x509_certificate(der).public_bytes(Encoding.PEM).decode()


def token_fields(token: bytes) -> dict[str, Any]:
    """What is stored beside a token: ``gen_time``, ``serial``, ``policy`` and the PEM ``chain`` it carries."""
    response = decode_timestamp_response(token)
    info = response.tst_info
    return {"gen_time": info.gen_time.astimezone(UTC) if info.gen_time.tzinfo else info.gen_time.replace(tzinfo=UTC),
            "serial": str(info.serial_number), "policy": info.policy.dotted_string,
            "chain": sorted(_pem(der) for der in response.signed_data.certificates)}


def load_roots(ca_file: Path | None) -> list[x509.Certificate]:
    """The trusted roots: the PEM bundle *ca_file*, else the system's store (empty when there is none)."""
    paths: list[Path] = []
    if ca_file is not None:
        paths = [ca_file]
    else:
        defaults = ssl.get_default_verify_paths()
        if defaults.cafile:
            paths = [Path(defaults.cafile)]
        elif defaults.capath:
            paths = sorted(p for p in Path(defaults.capath).glob("*") if p.suffix in (".pem", ".crt"))
    roots: list[x509.Certificate] = []
    seen: set[bytes] = set()
    for path in paths:
        try:
            with warnings.catch_warnings():  # a few store roots have non-positive serials
                warnings.simplefilter("ignore")
                certs = x509.load_pem_x509_certificates(path.read_bytes())
        except (OSError, ValueError):
            continue
        for cert in certs:
            der = cert.public_bytes(Encoding.DER)
            if der not in seen:
                seen.add(der)
                roots.append(cert)
    return roots


def _short(message: str) -> str:
    """OpenSSL's error stack cut to its reasons (``data: "…"`` parts), else the first 300 characters."""
    reasons = re.findall(r'reason: "([^"]*)"(?:, file: "[^"]*", line: \d+, data: "([^"]*)")?', message)
    if reasons:
        return "; ".join(f"{r}: {d}" if d else r for r, d in reasons)[:300]
    return message[:300]


def _gen_time(response: TimeStampResponse) -> datetime:
    moment = response.tst_info.gen_time
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def verify_token(token: bytes, digest_hex: str, roots: list[x509.Certificate], now: datetime | None = None,
                 stated_time: datetime | None = None) -> list[str]:
    """Every problem with *token* as a proof that *digest_hex* (sha256) existed at its time; [] when none.

    Checked: the message imprint is SHA-256 of the expected digest; the TSA's CMS signature over the
    token info, with a signer certificate for time-stamping that chains to *roots* at the token's
    time; the time is not in the future and is the one recorded with it (*stated_time*).
    """
    try:
        response = decode_timestamp_response(token)
        info = response.tst_info
        imprint = info.message_imprint
    except Exception as exc:  # damaged DER
        return [f"unreadable token: {type(exc).__name__}: {exc}"[:300]]
    problems: list[str] = []
    if imprint.hash_algorithm != SHA256_OID:
        problems.append(f"message imprint uses {imprint.hash_algorithm.dotted_string}, not SHA-256")
    elif imprint.message.hex() != digest_hex.lower():
        problems.append(f"message imprint sha256:{imprint.message.hex()} is not the digest sha256:{digest_hex}")
    if not roots:
        problems.append("no trusted roots (RECEIPTS_TSA_CA_FILE or the system store) to check the TSA against")
    else:
        try:
            VerifierBuilder(roots=list(roots)).build().verify(response, imprint.message)
        except (VerificationError, ValueError) as exc:
            problems.append(f"TSA signature or chain: {_short(str(exc))}")
    moment = _gen_time(response)
    if moment > (now or datetime.now(UTC)) + CLOCK_SKEW:
        problems.append(f"generated in the future ({moment.isoformat()})")
    if stated_time is not None and abs(moment - stated_time) > timedelta(seconds=1):
        problems.append(f"token time {moment.isoformat()} is not the recorded {stated_time.isoformat()}")
    return problems
