"""Rendering the recovery pages: the shared templates plus this package's own, reading
the values of their forms, and the one way a form's change is run and answered."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from vigil.platform.errors import Conflict, InvalidInput
from vigil.platform.routes.forms import RefusedForm, refuse_form, text_from_form
from vigil.recovery import vocabulary
from vigil.web import templating

T = TypeVar("T")

VOCABULARY: dict[str, Any] = {
    "case_kinds": vocabulary.CASE_KINDS,
    "case_statuses": vocabulary.CASE_STATUSES,
    "purposes": vocabulary.PURPOSES,
    "service_kinds": vocabulary.SERVICE_KINDS,
    "referral_statuses": vocabulary.REFERRAL_STATUSES,
    "referral_steps": vocabulary.REFERRAL_STEPS,
    "date_kinds": vocabulary.DATE_KINDS,
    "plan_statuses": vocabulary.PLAN_STATUSES,
    "center_service_kinds": vocabulary.CENTER_SERVICE_KINDS,
    "harms": vocabulary.HARMS,
    "evidence_checks": vocabulary.EVIDENCE_CHECKS,
    "claim_statuses": vocabulary.CLAIM_STATUSES,
    "fund_statuses": vocabulary.FUND_STATUSES,
    "rounding_rule": vocabulary.ROUNDING_RULE,
    "community_kinds": vocabulary.COMMUNITY_KINDS,
    "event_kinds": vocabulary.EVENT_KINDS,
    "offer_kinds": vocabulary.OFFER_KINDS,
}


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, *, status_code: int = 200
) -> HTMLResponse:
    """A page of this package, with its vocabulary and an empty form's values."""
    base: dict[str, Any] = {
        "values": {},
        "errors": {},
        "error_form": None,
        "flash": None,
        **VOCABULARY,
    }
    return templating.render(request, name, base | (context or {}), status_code=status_code)


def form_page(
    request: Request,
    name: str,
    context: dict[str, Any],
    *,
    form_name: str | None = None,
    refused: RefusedForm | None = None,
    flash: str | None = None,
    status_code: int | None = None,
) -> HTMLResponse:
    """A page of several forms: when ``form_name`` was refused, with its errors and
    what was typed, answering with the refusal's status; otherwise with ``flash``."""
    extra: dict[str, Any] = {"flash": flash, "error_form": form_name}
    if refused is not None:
        extra |= {"errors": refused.errors, "values": refused.values}
    code = status_code or (refused.status_code if refused is not None else 200)
    return render(request, name, context | extra, status_code=code)


def form_text(form: FormData, name: str, limit: int) -> str:
    """A text field; InvalidInput (naming it) when longer than ``limit``."""
    value = form.get(name)
    text = value if isinstance(value, str) else ""
    if len(text) > limit:
        raise InvalidInput({name: f"Use at most {limit:,} characters."})
    return text


def form_date(form: FormData, name: str, *, required: bool = True) -> date | None:
    value = text_from_form(form, name, 20).strip()
    if not value:
        if required:
            raise InvalidInput({name: "Give a date as YYYY-MM-DD."})
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput({name: "Give a date as YYYY-MM-DD."}) from None


def required_form_date(form: FormData, name: str) -> date:
    found = form_date(form, name)
    if found is None:  # form_date refuses a blank required date; this keeps the type
        raise InvalidInput({name: "Give a date as YYYY-MM-DD."})
    return found


async def submit_form(
    request: Request,
    db: Session,
    *,
    form_name: str,
    guard: Callable[[], object] | None = None,
    work: Callable[[FormData], T],
    done: Callable[[T], str],
    page: Callable[[RefusedForm], HTMLResponse],
    refused: tuple[type[InvalidInput | Conflict], ...] = (InvalidInput, Conflict),
) -> Response:
    """Read the posted form, let ``guard`` refuse an actor who may not use the page
    (before anything is parsed), run ``work``; a change ``refused`` (invalid input, a
    conflict) shows ``page`` again with the errors and what was typed, a done one
    redirects (303) to ``done(result)``."""
    form = await request.form()
    if guard is not None:
        guard()
    try:
        result = work(form)
    except refused as problem:
        return page(refuse_form(request, db, form_name, problem, form))
    return RedirectResponse(done(result), status_code=303)
