"""Exception handlers: problem details under /api, accessible error pages elsewhere."""

from __future__ import annotations

import logging
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from vigil.platform import audit
from vigil.platform.actor import anonymous
from vigil.platform.errors import Conflict, InvalidInput, NotFound
from vigil.platform.policy import PermissionDenied
from vigil.web.csrf import CsrfFailure
from vigil.web.deps import SignInRequired
from vigil.web.problems import problem, wants_json
from vigil.web.templating import render

log = logging.getLogger("vigil.web")


def _page(request: Request, status: int, title: str, detail: str) -> Response:
    return render(
        request,
        "error.html",
        {"title": title, "detail": detail, "status": status},
        status_code=status,
    )


def _answer(request: Request, status: int, title: str, detail: str, **extra: object) -> Response:
    if wants_json(request):
        return problem(status, title, detail=detail, request=request, **extra)  # type: ignore[arg-type]
    return _page(request, status, title, detail)


async def sign_in_required(request: Request, _exc: Exception) -> Response:
    if wants_json(request):
        return problem(
            401,
            "Sign-in required",
            detail="Send a valid API token as 'Authorization: Bearer <token>'.",
            request=request,
            headers={"WWW-Authenticate": "Bearer"},
        )
    target = request.url.path
    if request.url.query:
        target += "?" + request.url.query
    return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)


def _record_denial(request: Request, action: str, object_type: str, object_id: object) -> None:
    """Undo the request's writes and keep only the audit record of the refusal."""
    db = request.state.db
    db.rollback()
    request.state.commit_on_error = True
    # A read's events are held until its commit: the rollback did not undo them. Its
    # own record of this refusal (with the service's reason) stands for it; else one
    # is written here.
    if audit.keep_deferred_denials(db):
        return
    actor = getattr(request.state, "actor", None) or anonymous(
        request.state.request_id, request.state.source_address
    )
    audit.record(
        db,
        actor=actor,
        action=f"{object_type}.{action}",
        object_type=object_type,
        object_id=object_id,
        outcome="denied",
    )


async def permission_denied(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, PermissionDenied):  # registered for this type only
        raise exc
    _record_denial(request, exc.action, exc.object_type, exc.object_id)
    return _answer(request, 403, "Not allowed", "Your role or agency does not allow this action.")


async def not_found(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, NotFound):  # registered for this type only
        raise exc
    # A 404 that hides an object the policy refused is a denial like a 403: audit it.
    refused = [
        decision
        for decision in getattr(request.state, "policy_decisions", ())
        if not decision.allowed and decision.object_type == exc.object_type
    ]
    if refused:
        ids = [value for name, value in request.path_params.items() if name.endswith("_id")]
        _record_denial(request, refused[-1].action, exc.object_type, ids[-1] if ids else None)
    return _answer(request, 404, "Not found", "There is nothing here that you may see.")


async def invalid_input(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, InvalidInput):  # registered for this type only
        raise exc
    errors = [{"field": field, "message": message} for field, message in exc.errors.items()]
    if wants_json(request):
        return problem(
            422,
            "Invalid input",
            detail=str(exc),
            errors=errors,
            kind="invalid-input",
            request=request,
        )
    return _page(request, 422, "Invalid input", str(exc))


async def conflict(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, Conflict):  # registered for this type only
        raise exc
    errors = [{"field": exc.field, "message": str(exc)}] if exc.field else None
    if wants_json(request):
        return problem(
            409, "Conflict", detail=str(exc), errors=errors, kind="conflict", request=request
        )
    return _page(request, 409, "Conflict", str(exc))


async def csrf_failure(request: Request, _exc: Exception) -> Response:
    return _answer(
        request,
        403,
        "Form expired",
        "This form expired or did not come from Vigil. Go back, reload the page and try again.",
    )


async def validation_failed(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, RequestValidationError):  # registered for this type only
        raise exc
    errors = [
        {
            "field": ".".join(str(part) for part in error.get("loc", ())[1:]) or "body",
            "message": str(error.get("msg", "invalid")),
        }
        for error in exc.errors()
    ]
    if wants_json(request):
        return problem(
            422,
            "Invalid input",
            detail="The request did not pass validation.",
            errors=errors,
            kind="invalid-input",
            request=request,
        )
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
    return _page(request, 422, "Invalid input", detail)


async def http_error(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, StarletteHTTPException):  # registered for this type only
        raise exc
    titles = {404: "Not found", 405: "Method not allowed", 413: "Request too large"}
    title = titles.get(exc.status_code, "Request failed")
    detail = exc.detail if isinstance(exc.detail, str) else title
    if exc.status_code == 404:
        detail = "There is nothing here that you may see."
    response = _answer(request, exc.status_code, title, detail)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def unexpected(request: Request, exc: Exception) -> Response:
    # Only the type and request id: exception messages can carry personal data.
    log.error(
        "unhandled %s in request %s", type(exc).__name__, getattr(request.state, "request_id", "?")
    )
    return _answer(
        request,
        500,
        "Server error",
        "Something went wrong on our side; nothing was saved. Quote request id "
        f"{getattr(request.state, 'request_id', '?')} to your administrator.",
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(SignInRequired, sign_in_required)
    app.add_exception_handler(PermissionDenied, permission_denied)
    app.add_exception_handler(NotFound, not_found)
    app.add_exception_handler(InvalidInput, invalid_input)
    app.add_exception_handler(Conflict, conflict)
    app.add_exception_handler(CsrfFailure, csrf_failure)
    app.add_exception_handler(RequestValidationError, validation_failed)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, unexpected)
