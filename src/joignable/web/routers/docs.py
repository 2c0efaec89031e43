"""The API documentation page, /docs (Swagger UI), with no CDN.

Why: FastAPI's own pages load Swagger UI and ReDoc from a CDN, so on a closed
network — where a contact center often runs — they stay blank. Swagger UI is
served here with the script and style files that the `fastapi-offline` package
ships (mounted at /static/api-docs by `web/app.py`). ReDoc is not offered: its
bundle still fetches a logo from its vendor's CDN. The page is public, like the
OpenAPI schema it renders: the API itself needs a bearer token. Swagger UI is started by a static file
(`static/api-docs.js`), not FastAPI's inline script, so the page passes the
Content-Security-Policy of `web/headers.py`.

The schema declares the bearer token (`document_security`), so "Authorize"
in Swagger UI takes a token from `POST /api/auth/token` and "Try it out"
sends it: with a bearer token no CSRF token is asked for.
"""

from __future__ import annotations

from html import escape
from importlib.resources import files
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_oauth2_redirect_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, RedirectResponse

from joignable.web.auth import Public, allow_anonymous

ASSETS_URL = "/static/api-docs"
OAUTH2_REDIRECT = "/docs/oauth2-redirect"

router = APIRouter(include_in_schema=False, dependencies=[Depends(allow_anonymous)])


def assets_dir() -> Path:
    """The folder of Swagger UI's and ReDoc's files inside the installed package."""
    return Path(str(files("fastapi_offline") / "static"))


@router.get("/favicon.ico")
async def favicon() -> RedirectResponse:
    """Browsers and feed readers ask for /favicon.ico before reading a page's
    icon link: send them to the icon, instead of a 404 in every log."""
    return RedirectResponse("/static/favicon.svg", status_code=301)


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


BEARER = "bearerToken"


def document_security(app: FastAPI, public_paths: set[tuple[str, str]]) -> None:
    """Make `app`'s OpenAPI schema declare the bearer token: a security scheme,
    required by every operation but those in `public_paths` ((METHOD, path)
    pairs, e.g. sign-in), which say they need none."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            schema.setdefault("components", {})["securitySchemes"] = {
                BEARER: {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "a token from POST /api/auth/token",
                }
            }
            for path, operations in schema.get("paths", {}).items():
                for method, operation in operations.items():
                    public = (method.upper(), path) in public_paths
                    operation["security"] = [] if public else [{BEARER: []}]
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def public_operations(routes: list[Any]) -> set[tuple[str, str]]:
    """The (METHOD, path) of every flattened route that allows anonymous use."""
    out: set[tuple[str, str]] = set()
    for route in routes:
        dependant = getattr(route, "dependant", None)
        if dependant is not None and _public(dependant):
            out.update((m, route.path) for m in getattr(route, "methods", ()) or ())
    return out


def _public(dependant: Any) -> bool:
    return any(isinstance(d.call, Public) or _public(d) for d in dependant.dependencies)
