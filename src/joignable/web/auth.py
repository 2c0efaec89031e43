"""Who is asking, and may they: users, roles, scopes, tokens, sessions, CSRF.

Why one module: every router (the API, the control tower's pages, the
WebSocket feed) must apply the same rules, so they all use the dependencies
defined here — `current_user`, `require_role(*roles, page=...)` and
`allow_anonymous` — and never read cookies or headers themselves.

- The API takes `Authorization: Bearer <token>` (POST /api/auth/token).
- Pages take a session cookie (HttpOnly, Secure, SameSite=Lax) whose token,
  like an API token, is stored only as its SHA-256 in the database, so logout
  really ends it. Any unsafe method (POST, PUT, PATCH, DELETE) made with the
  cookie must also carry the CSRF token — header `X-CSRF-Token` or form field
  `csrf_token` — equal to the `joignable_csrf` cookie (double submit) and to
  an HMAC of the session under the server secret (so a planted cookie fails).
- Passwords are hashed with argon2id (argon2-cffi).
See docs/decisions/0006-sessions-csrf-and-tokens.md.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import Depends, HTTPException, Request, WebSocketException
from starlette.requests import HTTPConnection
from starlette.websockets import WebSocket

from joignable.core.model import AgentSpec
from joignable.service.clock import Clock
from joignable.service.config import Queue
from joignable.store.accounts import Accounts, UserRecord
from joignable.web.signin import SignInGuard, TooManyAttempts
from joignable.web.state import Services, get_services

ROLES = ("admin", "supervisor", "agent")
SESSION_COOKIE = "joignable_session"
CSRF_COOKIE = "joignable_csrf"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: A resolved token is trusted this long without asking the database again: a
#: token ended by another process (`joignable user password|disable|delete`)
#: stops working within this time; one ended by this server, at once.
_CACHE_SECONDS = 2.0
#: Sign-ins waiting for the password hasher beyond which new ones get 429 at
#: once: argon2 runs on one thread, so a burst of sign-ins takes one core at
#: most and the other calls keep the rest.
MAX_WAITING_SIGN_INS = 16


_hasher = PasswordHasher()
_HASHING = ThreadPoolExecutor(max_workers=1, thread_name_prefix="joignable-argon2")


def hash_password(password: str) -> str:
    """An argon2id hash of `password` (for `users.password_hash`)."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether `password` matches `password_hash`; False for a malformed hash."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def token_hash(token: str) -> str:
    """What the database keeps of a token: its SHA-256, hex."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class User:
    """A signed-in user. `via` is "token" (API) or "session" (pages)."""

    name: str
    role: str
    sites: tuple[str, ...] = ()
    outsourcer: str = ""
    agent_id: str = ""
    via: str = "token"

    @classmethod
    def of(cls, record: UserRecord, via: str) -> User:
        agent_id = record.agent_id or (record.name if record.role == "agent" else "")
        return cls(record.name, record.role, record.sites, record.outsourcer, agent_id, via)

    @property
    def scoped(self) -> bool:
        """A supervisor limited to some sites or to one outsourcer."""
        return self.role == "supervisor" and bool(self.sites or self.outsourcer)

    def may_see_agent(self, spec: AgentSpec) -> bool:
        """Whether this user may see and act on the agent described by `spec`."""
        if self.role == "agent":
            return spec.id == self.agent_id
        if not self.scoped:
            return True
        if self.outsourcer:
            return spec.outsourcer == self.outsourcer
        return spec.site in self.sites

    def may_see_queue(self, queue: Queue | None) -> bool:
        """Whether this user may see and act on a queue (its configuration).

        An outsourcer's supervisor: queues owned by, or routing to, the
        outsourcer. A site supervisor: queues of those sites, routing to them,
        or not anchored to any site. A queue with no configuration (None) is
        visible to unscoped users only."""
        if self.role == "admin" or (self.role == "supervisor" and not self.scoped):
            return True
        if self.role != "supervisor" or queue is None:
            return False
        if self.outsourcer:
            return queue.outsourcer == self.outsourcer or any(
                self.outsourcer in s.outsourcers for s in queue.steps
            )
        return (
            queue.site is None
            or queue.site in self.sites
            or any(set(s.sites) & set(self.sites) for s in queue.steps)
        )

    def public(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "role": self.role,
            "sites": list(self.sites),
            "outsourcer": self.outsourcer,
            "agent_id": self.agent_id,
        }


class Auth:
    """Checks passwords, issues and resolves tokens and sessions, signs CSRF tokens."""

    def __init__(
        self,
        accounts: Accounts,
        secret: str,
        clock: Clock,
        *,
        token_ttl: float,
        session_ttl: float,
        secure_cookies: bool = True,
    ) -> None:
        self.accounts = accounts
        self._secret = secret.encode()
        self.clock = clock
        self.token_ttl = token_ttl
        self.session_ttl = session_ttl
        self.secure_cookies = secure_cookies
        self._dummy = hash_password(secrets.token_urlsafe(16))
        self._cache: dict[tuple[str, str], tuple[User, float, float]] = {}
        self.guard = SignInGuard()
        self._waiting = 0  # sign-ins waiting for the hasher

    async def authenticate(self, name: str, password: str, address: str = "") -> User | None:
        """The user if `password` is theirs, else None (same work either way).
        Raises `TooManyAttempts` while the name, the address or the pair is
        locked out (`web/signin.py`), or while `MAX_WAITING_SIGN_INS` sign-ins
        already wait for the hasher."""
        now = self.clock.now()
        self.guard.check(name, address, now)
        if self._waiting >= MAX_WAITING_SIGN_INS:
            raise TooManyAttempts(1.0)
        self._waiting += 1
        try:
            record = await asyncio.to_thread(self.accounts.get_user, name)
            stored = record.password_hash if record is not None else self._dummy
            loop = asyncio.get_running_loop()
            ok = await loop.run_in_executor(_HASHING, verify_password, stored, password)
        finally:
            self._waiting -= 1
        if record is None or record.disabled or not ok:
            self.guard.failed(name, address, self.clock.now())
            return None
        self.guard.succeeded(name, address)
        return User.of(record, "token")

    async def issue(self, user: User, kind: str) -> tuple[str, float]:
        """A new random token of `kind` ("api" or "session") for `user`, and its expiry."""
        token = secrets.token_urlsafe(32)
        ttl = self.session_ttl if kind == "session" else self.token_ttl
        now = self.clock.now()
        await asyncio.to_thread(
            self.accounts.add_token, token_hash(token), user.name, kind, now=now, ttl=ttl
        )
        return token, now + ttl

    async def resolve(self, token: str, kind: str) -> User | None:
        """The user a valid token of `kind` belongs to, or None."""
        key = (token_hash(token), kind)
        now = self.clock.now()
        hit = self._cache.get(key)
        if hit is not None and hit[1] > now and hit[2] > now:
            return hit[0]
        found = await asyncio.to_thread(self.accounts.token_user, key[0], kind, now)
        if found is None:
            self._cache.pop(key, None)
            return None
        user = User.of(found[0], "session" if kind == "session" else "token")
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[key] = (user, found[1], now + _CACHE_SECONDS)
        return user

    async def revoke(self, token: str) -> None:
        """End a token or session at once."""
        digest = token_hash(token)
        for kind in ("api", "session"):
            self._cache.pop((digest, kind), None)
        await asyncio.to_thread(self.accounts.delete_token, digest)

    def csrf_token(self, session_token: str) -> str:
        """The CSRF token bound to a session (HMAC-SHA256 under the server secret)."""
        mac = hmac.new(self._secret, b"csrf:" + session_token.encode(), hashlib.sha256)
        return mac.hexdigest()


class LoginRequired(Exception):
    """A page needs a signed-in user; the app answers with a redirect to /login."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def unauthorized(message: str) -> HTTPException:
    return HTTPException(401, message, headers={"WWW-Authenticate": "Bearer"})


async def _submitted_csrf(request: Request) -> str:
    value = request.headers.get(CSRF_HEADER, "")
    if value:
        return value
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        field = form.get(CSRF_FIELD)
        return field if isinstance(field, str) else ""
    return ""


async def authenticate_request(request: HTTPConnection, services: Services) -> User | None:
    """The user behind a request or WebSocket, or None when it carries no credentials.

    Raises 401 for a malformed or invalid bearer token, 403 for an unsafe
    method made with the session cookie but without the right CSRF token, and
    for a WebSocket opened from another origin than the server's."""
    auth = services.auth
    if isinstance(request, WebSocket):
        origin = request.headers.get("origin", "")
        host = request.headers.get("host", "")
        if origin and origin.split("://", 1)[-1] != host:
            raise WebSocketException(code=4403, reason="cross-origin WebSocket refused")
    header = request.headers.get("authorization")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise unauthorized("the Authorization header must be 'Bearer <token>'")
        user = await auth.resolve(token.strip(), "api")
        if user is None:
            raise unauthorized("the bearer token is invalid or has expired")
        return user
    session = request.cookies.get(SESSION_COOKIE)
    if not session:
        return None
    user = await auth.resolve(session, "session")
    if user is None:
        return None
    if isinstance(request, Request) and request.method in UNSAFE_METHODS:
        submitted = await _submitted_csrf(request)
        expected = auth.csrf_token(session)
        cookie = request.cookies.get(CSRF_COOKIE, "")
        if not (
            submitted
            and hmac.compare_digest(submitted, cookie)
            and hmac.compare_digest(submitted, expected)
        ):
            raise HTTPException(403, "missing or wrong CSRF token (header X-CSRF-Token)")
    return user


async def current_user(request: HTTPConnection, services: Services = Depends(get_services)) -> User:
    """Dependency: the signed-in user, any role; 401 when there is none."""
    user = await authenticate_request(request, services)
    if user is None:
        raise unauthorized("sign in: send a bearer token or a session cookie")
    return user


class PageRefused(Exception):
    """A signed-in user asked for a page that is not theirs (another role's,
    or an agent outside their scope); the app answers with an HTML page saying
    so and linking to the pages that are theirs, status `status`."""

    def __init__(self, user: User, message: str, status: int = 403) -> None:
        super().__init__(message)
        self.user = user
        self.message = message
        self.status = status


def _plural(roles: tuple[str, ...]) -> list[str]:
    return [f"{role}s" for role in roles]


class RoleGuard:
    """Dependency: the signed-in user if their role is one of `roles`.

    Not signed in: 401, or for pages (`page=True`) a redirect to /login.
    Signed in with another role: 403 (for pages, `PageRefused`: an HTML page
    that says whose page it is and links to the user's own). On a WebSocket route the connection is
    closed with code 4401 or 4403 instead. The route × role test reads `roles`."""

    def __init__(self, roles: tuple[str, ...], page: bool) -> None:
        unknown = [r for r in roles if r not in ROLES]
        if unknown or not roles:
            raise ValueError(f"roles must be among {ROLES}, got {roles}")
        self.roles = roles
        self.page = page

    async def __call__(
        self, request: HTTPConnection, services: Services = Depends(get_services)
    ) -> User:
        try:
            user = await authenticate_request(request, services)
        except HTTPException as exc:
            if isinstance(request, WebSocket):
                raise WebSocketException(code=4000 + exc.status_code, reason=exc.detail) from None
            raise
        if isinstance(request, WebSocket):
            if user is None or user.role not in self.roles:
                raise WebSocketException(code=4401 if user is None else 4403)
            return user
        if user is None:
            if self.page:
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                raise LoginRequired(target)
            raise unauthorized("sign in: send a bearer token or a session cookie")
        if user.role not in self.roles:
            if self.page:
                raise PageRefused(user, f"This page is for {' and '.join(_plural(self.roles))}.")
            raise HTTPException(
                403, f"a {user.role} may not do this (needs {'/'.join(self.roles)})"
            )
        return user


def require_role(*roles: str, page: bool = False) -> RoleGuard:
    """A dependency admitting only users with one of `roles` (see `RoleGuard`)."""
    return RoleGuard(tuple(roles), page)


class Public:
    """Marker dependency: the route is open to anyone (the route × role test
    requires every route to carry either this or a `RoleGuard`)."""

    async def __call__(self) -> None:
        return None


allow_anonymous = Public()
