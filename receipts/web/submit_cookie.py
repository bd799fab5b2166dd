"""The submit form's remembered token: a cookie that lets this browser queue crawls, and nothing else.

The value is ``<expiry>.<HMAC-SHA256(token, "receipts-ui-submit:" + expiry)>``: not the token itself,
expiring, void once the token changes, and distinct from the read session (``receipts_session``),
which never authorises a write. Sent ``HttpOnly``, ``SameSite=Strict`` (``Secure`` over https); the
form's POST is also checked for a same-origin Fetch-Metadata/Origin, so another site cannot submit.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from receipts.api.auth import new_signed_cookie, signed_cookie_valid

SUBMIT_COOKIE = "receipts_submit"
SUBMIT_SECONDS = 30 * 86400


def new_submit_cookie(now: float | None = None) -> str:
    return new_signed_cookie("submit", SUBMIT_SECONDS, now)


def submit_cookie_valid(value: str | None, now: float | None = None) -> bool:
    return signed_cookie_valid("submit", value, now)


def may_submit(request: Request) -> bool:
    return submit_cookie_valid(request.cookies.get(SUBMIT_COOKIE))


def remember(response: Response, request: Request) -> None:
    response.set_cookie(SUBMIT_COOKIE, new_submit_cookie(), max_age=SUBMIT_SECONDS, path="/", httponly=True,
                        samesite="strict", secure=request.url.scheme == "https")


def forget(response: Response, request: Request) -> None:
    response.delete_cookie(SUBMIT_COOKIE, path="/", httponly=True, samesite="strict",
                           secure=request.url.scheme == "https")
