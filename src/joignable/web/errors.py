"""How the server answers what goes wrong: a rule refused (409), a center that
cannot take a write now (503 + Retry-After), a bad configuration or request
(422 naming the field, never echoing the input), a page that needs a login
(303 to /login), a page that is not the signed-in user's (an HTML 403 linking
to their own), and anything else (500 with no detail; the traceback goes to
the log only).

Why one module: the 503 answer and its `Retry-After` are also given by
`/healthz` (routers/ops.py); both read `RETRY_AFTER_S` here.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import OperationalError

from joignable.core.commands import CommandRejected
from joignable.core.routing.lifecycle import InvalidTransition
from joignable.service.config import ConfigError
from joignable.service.runner import RunnerUnavailable
from joignable.store import StoreError
from joignable.web.auth import CSRF_COOKIE, LoginRequired, PageRefused
from joignable.web.state import templates

log = logging.getLogger(__name__)

RETRY_AFTER_S = "2"  # seconds a client waits after a 503 (the store probe backs off to 5 s)


def _error(status: int, detail: Any) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status)


def install_error_handlers(app: FastAPI) -> None:
    async def rejected(_: Request, exc: Exception) -> Response:
        return _error(409, str(exc))

    async def unavailable(_: Request, exc: Exception) -> Response:
        log.warning("service unavailable: %s", exc)
        response = _error(503, "the center is temporarily unavailable; retry")
        response.headers["Retry-After"] = RETRY_AFTER_S
        return response

    async def bad_config(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, ConfigError)
        problems = [{"loc": list(p.loc), "msg": p.message} for p in exc.problems]
        return _error(422, problems)

    async def invalid_request(_: Request, exc: Exception) -> Response:
        # The field and the problem, never the input: FastAPI's default echoes
        # `input` (a 100 MB body would come back) and `ctx` may not encode.
        assert isinstance(exc, RequestValidationError)
        problems = [
            {
                "loc": list(e.get("loc", ())),
                "msg": str(e.get("msg", "")),
                "type": str(e.get("type", "")),
            }
            for e in exc.errors()
        ]
        return _error(422, problems)

    async def login_required(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, LoginRequired)
        return RedirectResponse(f"/login?next={quote(exc.next_path, safe='/')}", status_code=303)

    async def page_refused(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, PageRefused)
        context = {
            "user": exc.user,
            "message": exc.message,
            "csrf_token": request.cookies.get(CSRF_COOKIE, ""),
        }
        return templates().TemplateResponse(
            request, "page_refused.html", context, status_code=exc.status
        )

    async def internal(request: Request, exc: Exception) -> Response:
        log.error("internal error on %s %s", request.method, request.url.path, exc_info=exc)
        return _error(500, "internal server error")

    app.add_exception_handler(CommandRejected, rejected)
    app.add_exception_handler(InvalidTransition, rejected)
    app.add_exception_handler(RunnerUnavailable, unavailable)
    app.add_exception_handler(StoreError, unavailable)
    # The database gone away under a store module that does not wrap its
    # errors (accounts, idempotency keys, alerts): the same 503, not a 500.
    app.add_exception_handler(OperationalError, unavailable)
    app.add_exception_handler(ConfigError, bad_config)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(LoginRequired, login_required)
    app.add_exception_handler(PageRefused, page_refused)
    app.add_exception_handler(Exception, internal)
