"""Per-request context: request id, client address, database session, CSRF cookie,
size limit, security headers with a fresh CSP nonce, and policy-decision recording.

The session opened here is the request's one transaction: committed after the
route returns (so an acknowledgement is never sent before the commit), rolled
back on an error status unless a route asks to keep what it wrote. A request
that reads (GET, HEAD) records its audit events as it goes and appends them
just before that commit, and on SQLite reads without the write lock until it
writes (see ``database.take_write_lock_on_write``).
"""

from __future__ import annotations

import logging
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import anyio.to_thread
from fastapi import FastAPI, Request, Response
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vigil.platform import audit, policy
from vigil.platform.database import holds_write_lock, take_write_lock_on_write
from vigil.web import csrf, errors

log = logging.getLogger("vigil.web")

# Requests that read. Their writes are few (their audit events, an occasional
# last-seen time), so they need not queue for SQLite's one writer before they read.
READING_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Threads that may wait at once to append reads' audit events (more wait their turn).
APPENDING_THREADS = 16
# Threads that may commit at once: transactions that hold their locks and wait for none.
COMMITTING_THREADS = 16


def client_address(request: Request, trust_forwarded: bool) -> str | None:
    if trust_forwarded:
        forwarded = request.headers.get("x-forwarded-for")
        if forwarded:
            return forwarded.split(",")[0].strip()[:64]
    return request.client.host if request.client else None


def content_security_policy(nonce: str) -> str:
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            f"style-src 'self' 'nonce-{nonce}'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


class RequestContextMiddleware(BaseHTTPMiddleware):
    def __init__(self, app: ASGIApp, vigil_app: FastAPI) -> None:
        super().__init__(app)
        self.vigil_app = vigil_app
        # Made on the event loop, at the first commit.
        self.appending: anyio.CapacityLimiter | None = None
        self.committing: anyio.CapacityLimiter | None = None

    async def dispatch(
        self, request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        settings = self.vigil_app.state.settings
        started = time.perf_counter()
        state = request.state
        state.request_id = uuid.uuid4().hex
        state.source_address = client_address(request, settings.trust_forwarded_headers)
        state.csp_nonce = secrets.token_urlsafe(16)
        cookie_value = request.cookies.get(csrf.CSRF_COOKIE)
        new_cookie = None
        if not cookie_value or len(cookie_value) > 100:
            cookie_value = new_cookie = csrf.new_cookie_value()
        state.csrf_token = csrf.token_for(settings.secret_key.get_secret_value(), cookie_value)
        state.commit_on_error = False
        state.policy_decisions = policy.start_recording()
        db = self.vigil_app.state.session_factory()
        if request.method in READING_METHODS:
            take_write_lock_on_write(db)
            audit.defer_events(db)
        state.db = db
        try:
            response = await call_next(request)
            if response.status_code < 400 or state.commit_on_error:
                await self._commit(db)
            else:
                db.rollback()
        except Exception as error:
            # Answered here, not by the server-error middleware outside us, so that a
            # crash still gets the security headers and the request id.
            db.rollback()
            response = await errors.unexpected(request, error)
        except BaseException:
            db.rollback()
            raise
        finally:
            db.close()
        observer = getattr(self.vigil_app.state, "policy_observer", None)
        if observer is not None:
            observer(request, response, list(state.policy_decisions))
        self._secure(response, state.csp_nonce, settings.served_over_tls, request)
        response.headers["X-Request-ID"] = state.request_id
        # The access log names the path only: query strings can carry names people search.
        log.info(
            "%s %s %s %.1fms %s",
            request.method,
            request.url.path,
            response.status_code,
            (time.perf_counter() - started) * 1000,
            state.request_id,
        )
        if new_cookie:
            response.set_cookie(
                csrf.CSRF_COOKIE,
                new_cookie,
                httponly=True,
                samesite="strict",
                secure=settings.served_over_tls,
                path="/",
            )
        return response

    async def _commit(self, db: Session) -> None:
        """Append a read's deferred audit events, then commit (see the module's note).

        Never on the event loop: a commit waits for the disk (SQLite's fsync) or for the
        server (PostgreSQL's), and every other request would wait with it.
        """
        if db.get_transaction() is None and not audit.has_deferred(db):
            return  # nothing was read, written or recorded: nothing to commit
        if not audit.has_deferred(db) or holds_write_lock(db):
            # Waits for no lock: a write's transaction holds what it needs.
            if self.committing is None:
                self.committing = anyio.CapacityLimiter(COMMITTING_THREADS)
            await anyio.to_thread.run_sync(_commit, db, limiter=self.committing)
            return
        # Appending waits for the write lock (SQLite) or the chain head's row lock. Not
        # in the shared thread pool: a holder whose route ended needs a thread of that
        # pool for its next step, and waiters filling the pool would keep it from one
        # until the busy timeout (a 500 after 10 s). Waiters get threads of their own,
        # apart from the holders' commits, which they wait for.
        if self.appending is None:
            self.appending = anyio.CapacityLimiter(APPENDING_THREADS)
        await anyio.to_thread.run_sync(_commit, db, limiter=self.appending)

    @staticmethod
    def _secure(response: Response, nonce: str, tls: bool, request: Request) -> None:
        headers = response.headers
        # A route may set a stricter policy of its own (downloads: sandbox, no sources),
        # but no response may be framed: default-src does not cover frame-ancestors.
        own_policy = headers.get("content-security-policy")
        if own_policy is None:
            headers["Content-Security-Policy"] = content_security_policy(nonce)
        elif "frame-ancestors" not in own_policy:
            headers["Content-Security-Policy"] = f"{own_policy}; frame-ancestors 'none'"
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Referrer-Policy"] = "no-referrer"
        headers["X-Frame-Options"] = "DENY"
        headers["Cross-Origin-Opener-Policy"] = "same-origin"
        headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        if not request.url.path.startswith("/static/"):
            headers["Cache-Control"] = "no-store"
        if tls:
            headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"


def _commit(db: Session) -> None:
    audit.write_deferred(db)
    db.commit()


class BodySizeLimit:
    """Refuse request bodies over the limit, declared or streamed, before parsing.
    The paths in ``upload_paths`` (exact) take files and get ``upload_max_bytes``."""

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        upload_paths: frozenset[str] = frozenset(),
        upload_max_bytes: int | None = None,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.upload_paths = upload_paths
        self.upload_max_bytes = upload_max_bytes or max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.upload_max_bytes if scope.get("path") in self.upload_paths else self.max_bytes
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _too_large(scope, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise RequestTooLarge()
            return message

        try:
            await self.app(scope, limited_receive, send)
        except RequestTooLarge:
            await _too_large(scope, send)


class RequestTooLarge(HTTPException):
    """An HTTP error, so that the app's handlers answer it wherever the body is read."""

    def __init__(self) -> None:
        super().__init__(413, "The request body is larger than this server accepts.")


TOO_LARGE_PROBLEM = (
    b'{"type":"about:blank","title":"Request too large","status":413,'
    b'"detail":"The request body is larger than this server accepts."}'
)
TOO_LARGE_PAGE = (
    b'<!doctype html><html lang="en"><head><meta charset="utf-8">'
    b"<title>Request too large \xc2\xb7 Vigil</title></head><body><main>"
    b"<h1>Request too large</h1><p>The request body is larger than this server accepts. "
    b"Go back and send less.</p></main></body></html>"
)


async def _too_large(scope: Scope, send: Send) -> None:
    if str(scope.get("path", "")).startswith("/api/"):
        body, content_type = TOO_LARGE_PROBLEM, b"application/problem+json"
    else:
        body, content_type = TOO_LARGE_PAGE, b"text/html; charset=utf-8"
    headers: list[Any] = [
        (b"content-type", content_type),
        (b"content-length", str(len(body)).encode()),
    ]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})
