"""``/login`` and ``/logout`` for the web UI when reads require the token, and the UI's public stylesheet.

A browser cannot send an ``Authorization`` header on a link, so the login form takes the token once
and sets a session cookie (``HttpOnly``, ``SameSite=Strict``, ``Secure`` over https; see
:mod:`receipts.api.auth`). UI pages without a valid session redirect here; the pages stay script-free.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from receipts.api.auth import SESSION_COOKIE, SESSION_SECONDS, new_session, read_authorised, token_matches
from receipts.api.timeouts import DeadlineRoute
from receipts.settings import get_settings

HERE = Path(__file__).resolve().parent
router = APIRouter(route_class=DeadlineRoute, include_in_schema=False)


class LoginRequired(Exception):
    """Raised by UI routes when reads need the token and the browser has no session."""


def require_read_ui(request: Request) -> None:
    """FastAPI dependency for UI pages: like ``require_read``, but a browser is sent to ``/login``."""
    if get_settings().api_read_token_required and not read_authorised(request):
        raise LoginRequired()


def safe_next(value: str | None) -> str:
    """A same-origin path to return to after logging in (anything else: ``/``)."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")) or len(value) > 2000:
        return "/"
    if any(ord(ch) < 32 for ch in value) or urlsplit(value).netloc:
        return "/"
    return value


def _login_page(request: Request, next_path: str, error: str | None = None, status: int = 200) -> HTMLResponse:
    from receipts.web.routes import page

    return page("login.html", status, title="Log in", next=next_path, error=error)


def _same_origin(request: Request) -> bool:
    """The login form was posted from this site (login CSRF): Fetch Metadata, else the Origin header.

    Pages here send ``Referrer-Policy: no-referrer``, so a browser's own form post says ``Origin: null``;
    ``Sec-Fetch-Site`` tells same-origin from cross-site. Clients sending neither (curl) are let through.
    """
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site in ("same-origin", "none")
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return True
    return urlsplit(origin).netloc.lower() == (request.headers.get("host") or "").lower()


@router.get("/static/receipts.css")
def stylesheet() -> Response:
    return Response((HERE / "static" / "receipts.css").read_bytes(), media_type="text/css",
                    headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "max-age=300"})


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/") -> Response:  # noqa: A002
    if not get_settings().api_read_token_required or read_authorised(request):
        return RedirectResponse(safe_next(next), status_code=303)
    return _login_page(request, safe_next(next))


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request) -> Response:
    if not _same_origin(request):
        return _login_page(request, "/", "Log in from this site's own login page.", 403)
    form = parse_qs((await request.body()).decode("utf-8", "replace"), max_num_fields=5)
    token = (form.get("token") or [""])[0].strip()
    next_path = safe_next((form.get("next") or ["/"])[0])
    if not token_matches(token):
        return _login_page(request, next_path, "That is not the API token.", 401)
    response = RedirectResponse(next_path, status_code=303)
    response.set_cookie(SESSION_COOKIE, new_session(), max_age=SESSION_SECONDS, path="/", httponly=True,
                        samesite="strict", secure=request.url.scheme == "https")
    return response


@router.post("/logout")
def logout(request: Request) -> Response:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict",
                           secure=request.url.scheme == "https")
    return response


def install(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def _to_login(request: Request, exc: LoginRequired) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse("/login?" + urlencode({"next": target}), status_code=303)

    app.include_router(router)
