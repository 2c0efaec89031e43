"""Signing in and out: API tokens, the /login page, logout.

Why here and not in `web/auth.py`: that module holds the rules every router
uses; this one is the few endpoints that create and end credentials.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from joignable.schema.text import SafeName
from joignable.web.auth import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    User,
    allow_anonymous,
    current_user,
    unauthorized,
)
from joignable.web.signin import TooManyAttempts
from joignable.web.state import Services, get_services, templates

router = APIRouter(tags=["auth"])


class Credentials(BaseModel):
    username: SafeName = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=1000)


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: str
    user: dict[str, object]


def _address(request: Request) -> str:
    """The client's address as the server sees it (behind a proxy, uvicorn's
    `--forwarded-allow-ips` makes it the forwarded one)."""
    return request.client.host if request.client is not None else ""


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat()


@router.post("/api/auth/token", dependencies=[Depends(allow_anonymous)])
async def issue_token(
    body: Credentials, request: Request, services: Services = Depends(get_services)
) -> TokenOut:
    """Exchange a user name and password for a bearer token. 401 if they do not match."""
    try:
        user = await services.auth.authenticate(body.username, body.password, _address(request))
    except TooManyAttempts as exc:
        raise HTTPException(
            429, str(exc), headers={"Retry-After": str(int(exc.retry_after) + 1)}
        ) from None
    if user is None:
        raise unauthorized("wrong user name or password")
    token, expires = await services.auth.issue(user, "api")
    return TokenOut(access_token=token, expires_at=_iso(expires), user=user.public())


@router.delete("/api/auth/token", status_code=204)
async def revoke_token(
    request: Request,
    user: User = Depends(current_user),
    services: Services = Depends(get_services),
) -> Response:
    """End the bearer token (or the session) this request was made with."""
    header = request.headers.get("authorization", "")
    token = header.partition(" ")[2].strip() or request.cookies.get(SESSION_COOKIE, "")
    if token:
        await services.auth.revoke(token)
    return Response(status_code=204)


@router.get("/api/auth/me")
async def me(user: User = Depends(current_user)) -> dict[str, object]:
    """Who the credentials of this request belong to."""
    return user.public()


def _safe_next(value: str) -> str:
    """Only a local path: never an open redirect to another site."""
    if value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"


def _login_page(
    request: Request, services: Services, *, next_path: str, error: str = "", status: int = 200
) -> HTMLResponse:
    csrf = secrets.token_urlsafe(24)
    response = templates().TemplateResponse(
        request,
        "login.html",
        {"csrf_token": csrf, "next": _safe_next(next_path), "error": error},
        status_code=status,
    )
    response.set_cookie(
        CSRF_COOKIE,
        csrf,
        httponly=False,
        secure=services.settings.secure_cookies,
        samesite="strict",
        path="/",
    )
    return response


@router.get("/login", include_in_schema=False, dependencies=[Depends(allow_anonymous)])
async def login_form(
    request: Request, next: str = "/", services: Services = Depends(get_services)
) -> HTMLResponse:
    """The sign-in page."""
    return _login_page(request, services, next_path=next)


@router.post("/login", include_in_schema=False, dependencies=[Depends(allow_anonymous)])
async def login_submit(
    request: Request,
    username: str = Form("", max_length=100),
    password: str = Form("", max_length=1000),
    csrf_token: str = Form(""),
    next: str = Form("/"),
    services: Services = Depends(get_services),
) -> Response:
    """Check the form; on success open a session and go to `next`."""
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if not csrf_token or not secrets.compare_digest(csrf_token, cookie):
        return _login_page(
            request,
            services,
            next_path=next,
            error="The form expired; please sign in again.",
            status=400,
        )
    try:
        user = (
            await services.auth.authenticate(username, password, _address(request))
            if username
            else None
        )
    except TooManyAttempts as exc:
        return _login_page(
            request,
            services,
            next_path=next,
            error=f"Too many failed sign-ins: try again in {int(exc.retry_after) + 1} s.",
            status=429,
        )
    if user is None:
        return _login_page(
            request, services, next_path=next, error="Wrong user name or password.", status=401
        )
    token, _ = await services.auth.issue(user, "session")
    response = RedirectResponse(_safe_next(next), status_code=303)
    secure = services.settings.secure_cookies
    max_age = int(services.settings.session_ttl)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=max_age,
        httponly=True,
        secure=secure,
        samesite="lax",
        path="/",
    )
    response.set_cookie(
        CSRF_COOKIE,
        services.auth.csrf_token(token),
        max_age=max_age,
        httponly=False,
        secure=secure,
        samesite="strict",
        path="/",
    )
    return response


@router.post("/logout", include_in_schema=False)
async def logout(
    request: Request,
    user: User = Depends(current_user),
    services: Services = Depends(get_services),
) -> Response:
    """End the session (CSRF-checked like every unsafe request) and go to /login."""
    session = request.cookies.get(SESSION_COOKIE)
    if session:
        await services.auth.revoke(session)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
    return response
