"""The submit form's remembered token: a cookie that lets this browser queue crawls, and nothing else.

The value is ``<expiry>.<HMAC-SHA256(token, "receipts-ui-submit:" + expiry)>``: not the token itself,
expiring, void once the token changes, and distinct from the read session (``receipts_session``),
which never authorises a write. Sent ``HttpOnly``, ``SameSite=Strict`` (``Secure`` over https); the
form's POST is also checked for a same-origin Fetch-Metadata/Origin, so another site cannot submit.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from fastapi import Request
from fastapi.responses import Response

from receipts.api.auth import read_token

SUBMIT_COOKIE = "receipts_submit"
SUBMIT_SECONDS = 30 * 86400


def _mac(token: str, expires: int) -> str:
    return hmac.new(token.encode(), f"receipts-ui-submit:{expires}".encode(), hashlib.sha256).hexdigest()


def new_submit_cookie(now: float | None = None) -> str:
    token = read_token()
    assert token is not None
    expires = int((now or time.time()) + SUBMIT_SECONDS)
    return f"{expires}.{_mac(token, expires)}"


def submit_cookie_valid(value: str | None, now: float | None = None) -> bool:
    token = read_token()
    if not value or token is None:
        return False
    expiry, _, mac = value.partition(".")
    if not expiry.isdigit() or len(expiry) > 12 or int(expiry) < (now or time.time()):
        return False
    return hmac.compare_digest(mac.encode(), _mac(token, int(expiry)).encode())


def may_submit(request: Request) -> bool:
    return submit_cookie_valid(request.cookies.get(SUBMIT_COOKIE))


def remember(response: Response, request: Request) -> None:
    response.set_cookie(SUBMIT_COOKIE, new_submit_cookie(), max_age=SUBMIT_SECONDS, path="/", httponly=True,
                        samesite="strict", secure=request.url.scheme == "https")


def forget(response: Response, request: Request) -> None:
    response.delete_cookie(SUBMIT_COOKIE, path="/", httponly=True, samesite="strict",
                           secure=request.url.scheme == "https")
