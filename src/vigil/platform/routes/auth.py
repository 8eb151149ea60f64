"""Sign-in pages: password, MFA code, MFA enrolment, single sign-on, sign-out."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from vigil.platform import audit, authentication, mfa, sessions
from vigil.platform.actor import for_user
from vigil.platform.authentication import Outcome
from vigil.platform.models import User, WebSession
from vigil.web.deps import SESSION_COOKIE, AnonymousDep, SessionDep, SettingsDep, web_session
from vigil.web.templating import render

router = APIRouter(include_in_schema=False)

MAX_FIELD = 1024  # longest username/password/code we will even look at


def safe_next(target: str | None) -> str:
    """Only same-site paths: never an open redirect."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or "\\" in target:
        return "/"
    return target


def _set_session_cookie(response: Response, raw: str, secure: bool) -> None:
    response.set_cookie(SESSION_COOKIE, raw, httponly=True, samesite="lax", secure=secure, path="/")


def _login_page(
    request: Request,
    *,
    error: str | None = None,
    username: str = "",
    next_url: str = "/",
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "login.html",
        {
            "error": error,
            "username": username,
            "next_url": next_url,
            "sso_enabled": request.app.state.oidc is not None,
        },
        status_code=status_code,
    )


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None) -> HTMLResponse:
    return _login_page(request, next_url=safe_next(next))


@router.post("/login")
def login(  # nosec B107
    request: Request,
    db: SessionDep,
    settings: SettingsDep,
    anonymous: AnonymousDep,
    username: Annotated[str, Form(max_length=MAX_FIELD)] = "",
    password: Annotated[str, Form(max_length=MAX_FIELD)] = "",
    next: Annotated[str, Form(max_length=2048)] = "/",
) -> Response:
    next_url = safe_next(next)
    if not username.strip() or not password:
        return _login_page(
            request,
            error="Enter your username and password.",
            username=username,
            next_url=next_url,
            status_code=422,
        )
    result = authentication.check_password(
        db, settings=settings, actor=anonymous, username=username, password=password
    )
    if result.outcome in (Outcome.FAILED, Outcome.LOCKED) or result.user is None:
        # The failure count and its audit event must persist although we answer 401.
        request.state.commit_on_error = True
        return _login_page(
            request, error=result.message, username=username, next_url=next_url, status_code=401
        )
    signed_in = result.outcome is Outcome.SIGNED_IN
    raw, _ = sessions.start_session(db, user=result.user, mfa_verified=signed_in)
    if signed_in:
        target = next_url
    elif result.outcome is Outcome.NEEDS_MFA:
        target = f"/login/mfa?next={quote(next_url, safe='')}"
    else:
        target = f"/login/enrol?next={quote(next_url, safe='')}"
    response = RedirectResponse(target, status_code=303)
    _set_session_cookie(response, raw, settings.served_over_tls)
    return response


def _pending(
    request: Request, db: SessionDep, settings: SettingsDep
) -> tuple[WebSession, User] | None:
    found = web_session(request, db, settings)
    if found is None or found.mfa_verified:
        return None
    user = db.get(User, found.user_id)
    if user is None or not user.is_active:
        return None
    return found, user


def _mfa_page(
    request: Request, next_url: str, error: str | None = None, status_code: int = 200
) -> HTMLResponse:
    return render(
        request, "mfa.html", {"error": error, "next_url": next_url}, status_code=status_code
    )


@router.get("/login/mfa", response_class=HTMLResponse)
def mfa_form(
    request: Request, db: SessionDep, settings: SettingsDep, next: str | None = None
) -> Response:
    pending = _pending(request, db, settings)
    if pending is None or not pending[1].mfa_enabled:
        return RedirectResponse("/login", status_code=303)
    return _mfa_page(request, safe_next(next))


@router.post("/login/mfa")
def mfa_submit(
    request: Request,
    db: SessionDep,
    settings: SettingsDep,
    anonymous: AnonymousDep,
    code: Annotated[str, Form(max_length=MAX_FIELD)] = "",
    next: Annotated[str, Form(max_length=2048)] = "/",
) -> Response:
    pending = _pending(request, db, settings)
    if pending is None or not pending[1].mfa_enabled:
        return RedirectResponse("/login", status_code=303)
    web, user = pending
    result = authentication.check_second_factor(
        db, settings=settings, actor=anonymous, user=user, code=code
    )
    if result.outcome is not Outcome.SIGNED_IN:
        request.state.commit_on_error = True
        if result.outcome is Outcome.LOCKED:
            sessions.end_all_sessions(db, user.id)
            return _login_page(request, error=authentication.LOCKED_MESSAGE, status_code=401)
        return _mfa_page(request, safe_next(next), authentication.BAD_CODE_MESSAGE, 401)
    raw, _ = sessions.mark_mfa_verified(db, web)
    response = RedirectResponse(safe_next(next), status_code=303)
    _set_session_cookie(response, raw, settings.served_over_tls)
    return response


def _enrol_page(
    request: Request,
    settings: SettingsDep,
    user: User,
    secret: str,
    next_url: str,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    uri = mfa.provisioning_uri(secret, username=user.username, issuer=settings.totp_issuer)
    return render(
        request,
        "enrol.html",
        {
            "error": error,
            "next_url": next_url,
            "secret": secret,
            "qr": mfa.qr_data_uri(uri),
            "username": user.username,
        },
        status_code=status_code,
    )


@router.get("/login/enrol", response_class=HTMLResponse)
def enrol_form(
    request: Request, db: SessionDep, settings: SettingsDep, next: str | None = None
) -> Response:
    pending = _pending(request, db, settings)
    if pending is None or pending[1].mfa_enabled:
        return RedirectResponse("/login", status_code=303)
    user = pending[1]
    secret = authentication.begin_enrolment(db, settings=settings, user=user)
    return _enrol_page(request, settings, user, secret, safe_next(next))


@router.post("/login/enrol")
def enrol_submit(
    request: Request,
    db: SessionDep,
    settings: SettingsDep,
    anonymous: AnonymousDep,
    code: Annotated[str, Form(max_length=MAX_FIELD)] = "",
    next: Annotated[str, Form(max_length=2048)] = "/",
) -> Response:
    pending = _pending(request, db, settings)
    if pending is None or pending[1].mfa_enabled:
        return RedirectResponse("/login", status_code=303)
    web, user = pending
    if not authentication.confirm_enrolment(
        db, settings=settings, actor=anonymous, user=user, code=code
    ):
        request.state.commit_on_error = True
        secret = authentication.pending_secret(user, settings)
        if secret is None:
            return RedirectResponse("/login/enrol", status_code=303)
        return _enrol_page(
            request, settings, user, secret, safe_next(next), authentication.BAD_CODE_MESSAGE, 422
        )
    raw, _ = sessions.mark_mfa_verified(db, web)
    response = RedirectResponse(safe_next(next), status_code=303)
    _set_session_cookie(response, raw, settings.served_over_tls)
    return response


@router.post("/logout")
def logout(
    request: Request, db: SessionDep, settings: SettingsDep, anonymous: AnonymousDep
) -> Response:
    raw = request.cookies.get(SESSION_COOKIE)
    if raw:
        found = web_session(request, db, settings)
        if found is not None:
            user = db.get(User, found.user_id)
            if user is not None:
                audit.record(
                    db,
                    actor=for_user(
                        user,
                        request_id=anonymous.request_id,
                        source_address=anonymous.source_address,
                    ),
                    action="auth.logout",
                    object_type="user",
                    object_id=user.id,
                )
        sessions.end_session(db, raw)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
