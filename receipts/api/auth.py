"""Bearer-token auth: writes always need the token; reads only with ``RECEIPTS_API_READ_TOKEN_REQUIRED=1``.

The token is ``RECEIPTS_API_TOKEN`` or, when unset, one generated on the daemon's first start and
kept in ``RECEIPTS_DATA_DIR/api-token`` (mode 0600), where ``receipts submit`` also finds it.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from fastapi import Request

from receipts.api.common import ApiError
from receipts.settings import Settings, get_settings

TOKEN_FILE = "api-token"


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


def _check(request: Request) -> None:
    expected = read_token()
    given = _presented(request)
    if given is None:
        raise ApiError(401, "unauthorized", "missing bearer token (Authorization: Bearer <token>)",
                       headers={"WWW-Authenticate": "Bearer"})
    if expected is None or not secrets.compare_digest(given.encode(), expected.encode()):
        raise ApiError(401, "unauthorized", "invalid bearer token", headers={"WWW-Authenticate": "Bearer"})


def require_write(request: Request) -> None:
    """FastAPI dependency for every write route."""
    _check(request)


def require_read(request: Request) -> None:
    """FastAPI dependency for read routes: open unless the read token is required."""
    if get_settings().api_read_token_required:
        _check(request)
