"""``/docs`` (Swagger UI), ``/redoc`` and the OpenAPI schema, with every asset served from this origin.

The Swagger UI and ReDoc bundles come from the ``fastapi-offline`` package (files in its ``static``
folder, served at ``/docs/assets``); the pages load nothing else — no CDN, no fonts, no validator
badge, and ReDoc's hard-wired Redocly logo URL is pointed at the local favicon — and send a CSP that allows scripts from this origin only (no inline script: Swagger's
start-up code is its own small file). The pages and the schema are read routes: behind the token
(header or UI login cookie) when ``RECEIPTS_API_READ_TOKEN_REQUIRED=1``; the bundles are public files.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from receipts.api.auth import require_read
from receipts.api.timeouts import DeadlineRoute

ASSETS = Path(fastapi_offline.__file__).resolve().parent / "static"
ASSETS_URL = "/docs/assets"
OPENAPI_URL = "/api/v1/openapi.json"
REDOC_REMOTE_LOGO = b"https://cdn.redoc.ly/redoc/logo-mini.svg"
DOCS_CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            "font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; form-action 'self'; "
            "base-uri 'none'; frame-ancestors 'none'")
HEADERS = {"Content-Security-Policy": DOCS_CSP, "X-Content-Type-Options": "nosniff",
           "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY", "Cache-Control": "no-store"}

SWAGGER_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · API</title>
<link rel="stylesheet" href="{assets}/swagger-ui.css"><link rel="icon" href="{assets}/favicon.png">
</head><body><div id="swagger-ui"></div>
<script src="{assets}/swagger-ui-bundle.js"></script><script src="/docs/swagger-init.js"></script>
</body></html>
"""
REDOC_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · API reference</title><link rel="icon" href="{assets}/favicon.png">
</head><body><redoc spec-url="{openapi}"></redoc><script src="{assets}/redoc.standalone.js"></script>
</body></html>
"""

router = APIRouter(route_class=DeadlineRoute, include_in_schema=False, dependencies=[Depends(require_read)])


def _page(html: str) -> HTMLResponse:
    return HTMLResponse(html, headers=HEADERS)


@router.get("/docs", response_class=HTMLResponse)
def swagger_ui(request: Request) -> HTMLResponse:
    return _page(SWAGGER_PAGE.format(title=request.app.title, assets=ASSETS_URL))


@router.get("/docs/swagger-init.js")
def swagger_init() -> Response:
    options = {"url": OPENAPI_URL, "dom_id": "#swagger-ui", "deepLinking": True, "validatorUrl": None,
               "layout": "BaseLayout", "showExtensions": True, "showCommonExtensions": True}
    script = (f"window.ui = SwaggerUIBundle(Object.assign({json.dumps(options)}, "
              "{presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset]}));\n")
    return Response(script, media_type="text/javascript", headers=HEADERS)


@functools.cache
def _redoc_bundle() -> bytes:
    """ReDoc's bundle, with its one hard-wired remote asset (the Redocly logo) pointed at the local favicon."""
    data = (ASSETS / "redoc.standalone.js").read_bytes()
    return data.replace(REDOC_REMOTE_LOGO, f"{ASSETS_URL}/favicon.png".encode())


@router.get(f"{ASSETS_URL}/redoc.standalone.js")
def redoc_bundle() -> Response:
    return Response(_redoc_bundle(), media_type="text/javascript",
                    headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "max-age=86400"})


@router.get("/redoc", response_class=HTMLResponse)
def redoc(request: Request) -> HTMLResponse:
    return _page(REDOC_PAGE.format(title=request.app.title, assets=ASSETS_URL, openapi=OPENAPI_URL))


@router.get(OPENAPI_URL)
def openapi_schema(request: Request) -> JSONResponse:
    schema: dict[str, Any] = request.app.openapi()
    return JSONResponse(schema, headers={"Cache-Control": "no-store"})


def install(app: FastAPI) -> None:
    """Serve the docs on *app* (created with ``docs_url=None, redoc_url=None, openapi_url=None``)."""
    app.include_router(router)  # first: its patched ReDoc bundle wins over the plain file
    app.mount(ASSETS_URL, StaticFiles(directory=str(ASSETS)), name="docs-assets")
