"""The API documentation page, /docs (Swagger UI), with no CDN.

Why: FastAPI's own pages load Swagger UI and ReDoc from a CDN, so on a closed
network — where a contact center often runs — they stay blank. Swagger UI is
served here with the script and style files that the `fastapi-offline` package
ships (mounted at /static/api-docs by `web/app.py`). ReDoc is not offered: its
bundle still fetches a logo from its vendor's CDN. The page is public, like the
OpenAPI schema it renders: the API itself needs a bearer token. Swagger UI is started by a static file
(`static/api-docs.js`), not FastAPI's inline script, so the page passes the
Content-Security-Policy of `web/headers.py`.
"""

from __future__ import annotations

from html import escape
from importlib.resources import files
from pathlib import Path

from fastapi import APIRouter, Depends, Request
from fastapi.openapi.docs import get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse

from joignable.web.auth import allow_anonymous

ASSETS_URL = "/static/api-docs"
OAUTH2_REDIRECT = "/docs/oauth2-redirect"

router = APIRouter(include_in_schema=False, dependencies=[Depends(allow_anonymous)])


def assets_dir() -> Path:
    """The folder of Swagger UI's and ReDoc's files inside the installed package."""
    return Path(str(files("fastapi_offline") / "static"))


@router.get("/docs")
async def swagger_ui(request: Request) -> HTMLResponse:
    """The Swagger UI page: assets and start script from this server only."""
    root = request.scope.get("root_path", "")
    title = escape(f"{request.app.title} — API")
    assets = f"{root}{ASSETS_URL}"
    openapi = escape(f"{root}{request.app.openapi_url}")
    redirect = escape(f"{root}{OAUTH2_REDIRECT}")
    return HTMLResponse(
        f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>{title}</title>
  <link rel="stylesheet" href="{assets}/swagger-ui.css">
  <link rel="shortcut icon" href="{assets}/favicon.png">
</head>
<body>
  <div id="swagger-ui" data-openapi="{openapi}" data-oauth2-redirect="{redirect}"></div>
  <script src="{assets}/swagger-ui-bundle.js"></script>
  <script src="{root}/static/api-docs.js"></script>
</body>
</html>
"""
    )


@router.get(OAUTH2_REDIRECT)
async def swagger_ui_redirect() -> HTMLResponse:
    return get_swagger_ui_oauth2_redirect_html()
