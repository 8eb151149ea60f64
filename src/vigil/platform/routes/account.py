"""Account settings pages: password, two-step verification status, API tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from vigil.platform import policy, tokens
from vigil.platform.accounts import change_own_password
from vigil.platform.errors import InvalidInput
from vigil.platform.routes.forms import whole_number
from vigil.web.deps import ActorDep, PathId, SessionDep, SettingsDep
from vigil.web.templating import render

router = APIRouter(include_in_schema=False)


def _page(
    request: Request,
    db: SessionDep,
    actor: ActorDep,
    *,
    errors: dict[str, str] | None = None,
    flash: str | None = None,
    new_token: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "account.html",
        {
            "user": request.state.user,
            "tokens": tokens.list_tokens(db, actor=actor),
            "errors": errors or {},
            "flash": flash,
            "new_token": new_token,
        },
        status_code=status_code,
    )


@router.get("/account", response_class=HTMLResponse)
def account(
    request: Request, db: SessionDep, actor: ActorDep, done: str | None = None
) -> HTMLResponse:
    policy.authorize(actor, "read", "account", request.state.user)
    flash = {"password": "Your password was changed.", "revoked": "The token was revoked."}.get(  # nosec B105
        done or ""
    )
    return _page(request, db, actor, flash=flash)


@router.post("/account/password")
def change_password(  # nosec B107
    request: Request,
    db: SessionDep,
    actor: ActorDep,
    settings: SettingsDep,
    current_password: Annotated[str, Form(max_length=1024)] = "",
    new_password: Annotated[str, Form(max_length=1024)] = "",
    confirm_password: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    if new_password != confirm_password:
        policy.authorize(actor, "update", "account", request.state.user)
        return _page(
            request,
            db,
            actor,
            status_code=422,
            errors={"confirm_password": "The two new passwords do not match."},  # nosec B105
        )
    try:
        change_own_password(
            db, actor=actor, settings=settings, current=current_password, new=new_password
        )
    except InvalidInput as invalid:
        request.state.commit_on_error = True  # keep the audit record of the failed attempt
        return _page(request, db, actor, errors=invalid.errors, status_code=422)
    return RedirectResponse("/account?done=password", status_code=303)


@router.post("/account/tokens")
def create_token(
    request: Request,
    db: SessionDep,
    actor: ActorDep,
    settings: SettingsDep,
    name: Annotated[str, Form(max_length=200)] = "",
    days: Annotated[str, Form(max_length=10)] = "30",
) -> Response:
    lifetime = whole_number(days) or 0
    try:
        raw, _ = tokens.create_token(db, actor=actor, settings=settings, name=name, days=lifetime)
    except InvalidInput as invalid:
        return _page(request, db, actor, errors=invalid.errors, status_code=422)
    return _page(
        request,
        db,
        actor,
        new_token=raw,
        flash="Token created. Copy it now: it will not be shown again.",
    )


@router.post("/account/tokens/{token_id}/revoke")
def revoke_token(token_id: PathId, db: SessionDep, actor: ActorDep) -> Response:
    tokens.revoke_token(db, actor=actor, token_id=token_id)
    return RedirectResponse("/account?done=revoked", status_code=303)
