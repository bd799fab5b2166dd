"""The WACZ signing key and the anonymous ``signedData`` of ``datapackage-digest.json``.

As the WACZ Signing and Verification spec (wacz-auth 0.1.0) describes its anonymous signature:
``signature`` is ECDSA with SHA-256 over the UTF-8 ``hash`` string (``sha256:<hex>`` of
``datapackage.json``), base64 of the raw ``r‖s`` value as WebCrypto produces and checks it;
``publicKey`` is the base64 DER SubjectPublicKeyInfo. ReplayWeb.page imports that key as P-384,
so the generated key is P-384; an operator's key (``RECEIPTS_SIGNING_KEY``: PEM text or a PEM
file) may be P-256 or P-384. Without one, a key is generated on first use at
``RECEIPTS_DATA_DIR/keys/wacz-signing.pem`` (0600, in a 0700 directory).
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from receipts.private import private_dir
from receipts.settings import Settings

KEY_FILE = "keys/wacz-signing.pem"
CURVES = {"secp256r1": 32, "secp384r1": 48}


class SigningError(ValueError):
    """The configured signing key cannot be used."""


@dataclass
class SigningKey:
    key: ec.EllipticCurvePrivateKey
    source: str  # "RECEIPTS_SIGNING_KEY", or the generated file's path
    generated: bool = False

    @property
    def public_key_b64(self) -> str:
        return public_key_b64(self.key.public_key())

    @property
    def public_pem(self) -> str:
        return self.key.public_key().public_bytes(serialization.Encoding.PEM,
                                                  serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def public_key_b64(key: ec.EllipticCurvePublicKey) -> str:
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode()


def key_fingerprint(public_b64: str) -> str:
    """``sha256:<hex>`` of the DER public key: how a key is named in reports."""
    return "sha256:" + hashlib.sha256(base64.b64decode(public_b64)).hexdigest()


def _load_pem(data: bytes, source: str) -> ec.EllipticCurvePrivateKey:
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise SigningError(f"{source}: not an unencrypted PEM private key ({exc})") from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name not in CURVES:
        raise SigningError(f"{source}: the WACZ signing key must be ECDSA P-256 or P-384")
    return key


def load_signing_key(settings: Settings) -> SigningKey:
    """``RECEIPTS_SIGNING_KEY`` (PEM text or file), else the key under the data dir (made on first use)."""
    configured = settings.signing_key
    if configured:
        if configured.lstrip().startswith("-----BEGIN"):
            return SigningKey(_load_pem(configured.encode(), "RECEIPTS_SIGNING_KEY"), "RECEIPTS_SIGNING_KEY")
        path = Path(configured).expanduser()
        try:
            return SigningKey(_load_pem(path.read_bytes(), str(path)), str(path))
        except OSError as exc:
            raise SigningError(f"RECEIPTS_SIGNING_KEY: cannot read {path}: {exc}") from exc
    path = settings.data_dir / KEY_FILE
    if path.exists():
        return SigningKey(_load_pem(path.read_bytes(), str(path)), str(path))
    private_dir(path.parent)
    key = ec.generate_private_key(ec.SECP384R1())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use that one
        return SigningKey(_load_pem(path.read_bytes(), str(path)), str(path))
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    return SigningKey(key, str(path), generated=True)


def sign_hash(key: ec.EllipticCurvePrivateKey, hash_value: str, created: str, software: str) -> dict[str, Any]:
    """The anonymous ``signedData`` for *hash_value* (the ``hash`` of ``datapackage-digest.json``)."""
    der = key.sign(hash_value.encode(), ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(der)
    size = CURVES[key.curve.name]
    raw = r.to_bytes(size, "big") + s.to_bytes(size, "big")
    return {"hash": hash_value, "created": created, "software": software,
            "signature": base64.b64encode(raw).decode(), "publicKey": public_key_b64(key.public_key())}


def signature_bytes(signed: dict[str, Any]) -> bytes:
    return base64.b64decode(signed.get("signature") or "")


def verify_signed_data(signed: dict[str, Any], expected_hash: str, created: str | None) -> list[str]:
    """Every problem with an anonymous ``signedData``; [] when the signature holds."""
    problems: list[str] = []
    if signed.get("hash") != expected_hash:
        problems.append(f"signedData hash {signed.get('hash')} is not the datapackage.json hash {expected_hash}")
    if created is not None and signed.get("created") != created:
        problems.append(f"signedData created {signed.get('created')} is not the package's created {created}")
    if not signed.get("publicKey"):
        kind = "domain-certificate" if signed.get("domainCert") else "unknown"
        return [*problems, f"{kind} signature: only anonymous (publicKey) signatures are checked"]
    try:
        public = serialization.load_der_public_key(base64.b64decode(signed["publicKey"]))
        raw = signature_bytes(signed)
    except (ValueError, TypeError) as exc:
        return [*problems, f"unreadable publicKey or signature: {exc}"]
    if not isinstance(public, ec.EllipticCurvePublicKey) or public.curve.name not in CURVES:
        return [*problems, "publicKey is not an ECDSA P-256 or P-384 key"]
    size = CURVES[public.curve.name]
    der = (encode_dss_signature(int.from_bytes(raw[:size], "big"), int.from_bytes(raw[size:], "big"))
           if len(raw) == 2 * size else raw)  # raw r‖s (WebCrypto) or DER
    try:
        public.verify(der, str(signed.get("hash") or "").encode(), ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError):
        problems.append("signature does not verify with its publicKey")
    return problems
