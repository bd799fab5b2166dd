"""Bearer-token auth: writes always need the token; reads only with ``RECEIPTS_API_READ_TOKEN_REQUIRED=1``.

The token is ``RECEIPTS_API_TOKEN`` or, when unset, one generated on the daemon's first start and
kept in ``RECEIPTS_DATA_DIR/api-token`` (mode 0600), where ``receipts submit`` also finds it.

Reads also accept the web UI's session cookie (set by ``/login``): ``<expiry>.<HMAC-SHA256(token,
expiry)>``, so the cookie is not the token itself, expires, stops working when the token changes,
and never authorises a write. Every comparison is constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import time
from pathlib import Path

from fastapi import Request

from receipts.api.common import ApiError
from receipts.settings import Settings, get_settings

TOKEN_FILE = "api-token"
SESSION_COOKIE = "receipts_session"
SESSION_SECONDS = 7 * 86400


def token_path(settings: Settings | None = None) -> Path:
    return (settings or get_settings()).data_dir / TOKEN_FILE


def read_token(settings: Settings | None = None) -> str | None:
    """The configured or stored token, without creating one."""
    settings = settings or get_settings()
    if settings.api_token:
        return settings.api_token
    try:
        return token_path(settings).read_text().strip() or None
    except OSError:
        return None


def ensure_token(settings: Settings | None = None) -> tuple[str, bool]:
    """The write token, generating and storing one if needed; ``(token, generated_now)``."""
    settings = settings or get_settings()
    existing = read_token(settings)
    if existing:
        return existing, False
    path = token_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process won the race
        return path.read_text().strip(), False
    with os.fdopen(fd, "w") as fh:
        fh.write(token + "\n")
    return token, True


def _presented(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def token_matches(given: str | None) -> bool:
    """*given* is the API token (constant-time)."""
    expected = read_token()
    return bool(given) and expected is not None and secrets.compare_digest(given.encode(), expected.encode())


def _mac(purpose: str, token: str, expires: int) -> str:
    return hmac.new(token.encode(), f"receipts-ui-{purpose}:{expires}".encode(), hashlib.sha256).hexdigest()


def new_signed_cookie(purpose: str, seconds: int, now: float | None = None) -> str:
    """``<expiry>.<HMAC of purpose and expiry under the token>``: a cookie that proves a token check
    happened without holding the token (call only after checking the token)."""
    token = read_token()
    assert token is not None
    expires = int((now or time.time()) + seconds)
    return f"{expires}.{_mac(purpose, token, expires)}"


def signed_cookie_valid(purpose: str, value: str | None, now: float | None = None) -> bool:
    """*value* is an unexpired :func:`new_signed_cookie` for *purpose* under the current token."""
    token = read_token()
    if not value or token is None:
        return False
    expiry, _, mac = value.partition(".")
    if not expiry.isdigit() or len(expiry) > 12 or int(expiry) < (now or time.time()):
        return False
    return hmac.compare_digest(mac.encode(), _mac(purpose, token, int(expiry)).encode())


def new_session(now: float | None = None) -> str:
    """A session cookie value for the current token (call only after checking the token)."""
    return new_signed_cookie("session", SESSION_SECONDS, now)


def session_valid(value: str | None, now: float | None = None) -> bool:
    return signed_cookie_valid("session", value, now)


def read_authorised(request: Request) -> bool:
    """The request carries the token (bearer header) or a valid UI session cookie."""
    return token_matches(_presented(request)) or session_valid(request.cookies.get(SESSION_COOKIE))


def _check(request: Request) -> None:
    given = _presented(request)
    if given is None:
        raise ApiError(401, "unauthorized", "missing bearer token (Authorization: Bearer <token>)",
                       headers={"WWW-Authenticate": "Bearer"})
    if not token_matches(given):
        raise ApiError(401, "unauthorized", "invalid bearer token", headers={"WWW-Authenticate": "Bearer"})


def require_write(request: Request) -> None:
    """FastAPI dependency for every write route (the bearer header only, never the cookie)."""
    _check(request)


def require_read(request: Request) -> None:
    """FastAPI dependency for read routes: open unless the read token is required."""
    if get_settings().api_read_token_required and not session_valid(request.cookies.get(SESSION_COOKIE)):
        _check(request)
