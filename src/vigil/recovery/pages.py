"""Rendering the recovery pages: the shared templates plus this package's own, and
reading the values of their forms."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import BaseLoader, ChoiceLoader, FileSystemLoader
from starlette.datastructures import FormData

from vigil.platform.errors import InvalidInput
from vigil.platform.routes.forms import text_from_form
from vigil.recovery import vocabulary

TEMPLATES = Path(__file__).resolve().parent / "templates"
VOCABULARY: dict[str, Any] = {
    "case_kinds": vocabulary.CASE_KINDS,
    "case_statuses": vocabulary.CASE_STATUSES,
    "purposes": vocabulary.PURPOSES,
    "service_kinds": vocabulary.SERVICE_KINDS,
    "referral_statuses": vocabulary.REFERRAL_STATUSES,
    "referral_steps": vocabulary.REFERRAL_STEPS,
    "date_kinds": vocabulary.DATE_KINDS,
    "plan_statuses": vocabulary.PLAN_STATUSES,
}


def _templates(request: Request) -> Jinja2Templates:
    """The app's template environment with this package's folder in front of its loader
    (an overlay: globals and filters stay the app's own)."""
    cached: Jinja2Templates | None = getattr(request.app.state, "recovery_templates", None)
    if cached is None:
        shared: Jinja2Templates = request.app.state.templates
        loaders: list[BaseLoader] = [FileSystemLoader(str(TEMPLATES))]
        if shared.env.loader is not None:
            loaders.append(shared.env.loader)
        cached = Jinja2Templates(env=shared.env.overlay(loader=ChoiceLoader(loaders)))
        request.app.state.recovery_templates = cached
    return cached


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, *, status_code: int = 200
) -> HTMLResponse:
    state = request.state
    base: dict[str, Any] = {
        "request": request,
        "actor": getattr(state, "actor", None),
        "current_user": getattr(state, "user", None),
        "csp_nonce": state.csp_nonce,
        "csrf_token": state.csrf_token,
        "settings": request.app.state.settings,
        "flash": None,
        "errors": {},
        "values": {},
        **VOCABULARY,
    }
    base.update(context or {})
    return _templates(request).TemplateResponse(request, name, base, status_code=status_code)


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


def form_values(form: FormData) -> dict[str, str]:
    values = {key: value for key, value in form.items() if isinstance(value, str)}
    values.pop("csrf_token", None)
    return values
