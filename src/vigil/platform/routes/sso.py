"""Single sign-on pages (OpenID Connect); see vigil.platform.oidc."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from vigil.platform import oidc, sessions
from vigil.platform.errors import NotFound
from vigil.platform.oidc import SsoOutcome
from vigil.platform.routes.auth import safe_next
from vigil.platform.settings import Settings
from vigil.web.deps import SESSION_COOKIE, AnonymousDep, SessionDep, SettingsDep
from vigil.web.templating import render

router = APIRouter(include_in_schema=False)

MAX_PARAM = 4096  # longer than any code or state a provider sends

CallbackParam = Annotated[str | None, Query(max_length=MAX_PARAM)]


def _provider(request: Request) -> oidc.OidcProvider:
    provider: oidc.OidcProvider | None = request.app.state.oidc
    if provider is None:
        raise NotFound("single sign-on")
    return provider


def _secret_key(settings: Settings) -> str:
    return settings.secret_key.get_secret_value()


def _login_page(request: Request, message: str | None, next_url: str, status: int) -> HTMLResponse:
    return render(
        request,
        "login.html",
        {"error": message, "username": "", "next_url": next_url, "sso_enabled": True},
        status_code=status,
    )


def _forget_state(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        oidc.STATE_COOKIE,
        path=oidc.STATE_COOKIE_PATH,
        secure=settings.served_over_tls,
        httponly=True,
        samesite="lax",
    )


@router.get("/login/sso")
def sso_start(
    request: Request,
    db: SessionDep,
    settings: SettingsDep,
    anonymous: AnonymousDep,
    next: Annotated[str | None, Query(max_length=2048)] = None,
) -> Response:
    """Send the browser to the organization's identity provider."""
    provider = _provider(request)
    next_url = safe_next(next)
    try:
        url, pending = provider.begin(next_url)
    except oidc.ProviderUnavailable:
        oidc.record_unavailable(db, actor=anonymous)
        request.state.commit_on_error = True
        return _login_page(request, oidc.UNAVAILABLE_MESSAGE, next_url, 502)
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(
        oidc.STATE_COOKIE,
        oidc.seal(pending, secret_key=_secret_key(settings)),
        max_age=oidc.STATE_LIFETIME_SECONDS,
        path=oidc.STATE_COOKIE_PATH,
        secure=settings.served_over_tls,
        httponly=True,
        samesite="lax",
    )
    return response


@router.get("/login/sso/callback")
def sso_callback(
    request: Request,
    db: SessionDep,
    settings: SettingsDep,
    anonymous: AnonymousDep,
    code: CallbackParam = None,
    state: CallbackParam = None,
    error: CallbackParam = None,
) -> Response:
    """Where the identity provider sends the browser back after sign-in."""
    provider = _provider(request)
    pending = oidc.unseal(request.cookies.get(oidc.STATE_COOKIE), secret_key=_secret_key(settings))
    next_url = safe_next(pending.next_url if pending else None)
    result = oidc.complete_sign_in(
        db,
        provider=provider,
        settings=settings,
        actor=anonymous,
        pending=pending,
        code=code,
        state=state,
        error=error,
    )
    response: Response
    if not result.user_may_continue or result.user is None:
        # The refusal and its audit event must persist although we answer an error.
        request.state.commit_on_error = True
        status = 502 if result.outcome is SsoOutcome.UNAVAILABLE else 401
        response = _login_page(request, result.message, next_url, status)
    else:
        signed_in = result.outcome is SsoOutcome.SIGNED_IN
        raw, _ = sessions.start_session(
            db, user=result.user, mfa_verified=signed_in, auth_method="oidc"
        )
        if signed_in:
            target = next_url
        elif result.outcome is SsoOutcome.NEEDS_MFA:
            target = f"/login/mfa?next={quote(next_url, safe='')}"
        else:
            target = f"/login/enrol?next={quote(next_url, safe='')}"
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(
            SESSION_COOKIE,
            raw,
            httponly=True,
            samesite="lax",
            secure=settings.served_over_tls,
            path="/",
        )
    _forget_state(response, settings)
    return response
