"""Rendering the reunification pages (the shared templates plus this package's own)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import BaseLoader, ChoiceLoader, FileSystemLoader

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATUS_LABELS: dict[str, str] = {
    "unaccounted": "Unaccounted for",
    "accounted_for": "Accounted for",
    "with_adult": "With an adult",
    "at_hospital": "At a hospital",
    "deceased_confirmed": "Deceased (confirmed by the medical examiner)",
}
LIST_LABELS: dict[str, str] = {
    "roster": "Roster",
    "attendees": "Attendees",
    "hospital": "Hospital",
    "medical_examiner": "Medical examiner",
}


def _templates(request: Request) -> Jinja2Templates:
    """The app's template environment with this package's folder in front of its loader."""
    cached: Jinja2Templates | None = getattr(request.app.state, "response_templates", None)
    if cached is None:
        shared: Jinja2Templates = request.app.state.templates
        loaders: list[BaseLoader] = [FileSystemLoader(str(TEMPLATES))]
        if shared.env.loader is not None:
            loaders.append(shared.env.loader)
        cached = Jinja2Templates(env=shared.env.overlay(loader=ChoiceLoader(loaders)))
        request.app.state.response_templates = cached
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
        "status_labels": STATUS_LABELS,
        "list_labels": LIST_LABELS,
    }
    base.update(context or {})
    return _templates(request).TemplateResponse(request, name, base, status_code=status_code)
