"""The API documentation page, /docs (Swagger UI), with no CDN.

Why: FastAPI's own pages load Swagger UI and ReDoc from a CDN, so on a closed
network — where a contact center often runs — they stay blank. Swagger UI is
served here with the script and style files that the `fastapi-offline` package
ships (mounted at /static/api-docs by `web/app.py`). ReDoc is not offered: its
bundle still fetches a logo from its vendor's CDN. The page is public, like the
OpenAPI schema it renders: the API itself needs a bearer token.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import APIRouter, Depends, Request
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
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
    root = request.scope.get("root_path", "")
    return get_swagger_ui_html(
        openapi_url=f"{root}{request.app.openapi_url}",
        title=f"{request.app.title} — API",
        oauth2_redirect_url=f"{root}{OAUTH2_REDIRECT}",
        swagger_js_url=f"{root}{ASSETS_URL}/swagger-ui-bundle.js",
        swagger_css_url=f"{root}{ASSETS_URL}/swagger-ui.css",
        swagger_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
    )


@router.get(OAUTH2_REDIRECT)
async def swagger_ui_redirect() -> HTMLResponse:
    return get_swagger_ui_oauth2_redirect_html()
