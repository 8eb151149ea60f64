"""CSRF protection for every state-changing request that a browser's cookies authenticate.

Each browser gets a random, HttpOnly ``vigil_csrf`` cookie; forms carry an HMAC of
it (``csrf_token`` field, or the ``X-CSRF-Token`` header for htmx). Requests that
authenticate with a bearer token carry no ambient authority and need no token.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import Request

CSRF_COOKIE = "vigil_csrf"
SESSION_COOKIE = "vigil_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class CsrfFailure(Exception):
    """The request changes state but did not prove it came from our own page."""


def new_cookie_value() -> str:
    return secrets.token_urlsafe(32)


def token_for(secret_key: str, cookie_value: str) -> str:
    return hmac.new(
        secret_key.encode("utf-8"), f"csrf|{cookie_value}".encode(), hashlib.sha256
    ).hexdigest()


def uses_bearer_token(request: Request) -> bool:
    return request.headers.get("authorization", "").lower().startswith("bearer ")


async def csrf_protect(request: Request) -> None:
    """App-wide dependency: refuse unsafe requests without a matching token."""
    if request.method in SAFE_METHODS or uses_bearer_token(request):
        return
    if request.url.path.startswith("/api/") and SESSION_COOKIE not in request.cookies:
        # Nothing ambient to abuse: the API answers 401 (not "form expired") to a
        # program that forgot its token.
        return
    cookie_value = request.cookies.get(CSRF_COOKIE)
    submitted = request.headers.get(CSRF_HEADER)
    if submitted is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        submitted = value if isinstance(value, str) else None
    secret_key = request.app.state.settings.secret_key.get_secret_value()
    if (
        not cookie_value
        or not submitted
        or not hmac.compare_digest(token_for(secret_key, cookie_value), submitted)
    ):
        raise CsrfFailure()
