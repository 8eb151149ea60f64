"""Jinja2 environment shared by every domain: one loader over each domain's templates."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, FileSystemLoader, StrictUndefined

from vigil.platform.roles import Role

PACKAGE_ROOT = Path(__file__).resolve().parents[1]
TEMPLATE_DIRS = [
    PACKAGE_ROOT / "web" / "templates",
    PACKAGE_ROOT / "platform" / "templates",
    PACKAGE_ROOT / "reports" / "templates",
    PACKAGE_ROOT / "linkage" / "templates",
    PACKAGE_ROOT / "assessment" / "templates",
    PACKAGE_ROOT / "sharing" / "templates",
    PACKAGE_ROOT / "preparedness" / "templates",
    PACKAGE_ROOT / "response" / "templates",
    PACKAGE_ROOT / "recovery" / "templates",
    PACKAGE_ROOT / "analytics" / "templates",
]


def make_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(TEMPLATE_DIRS[0]))
    templates.env.loader = ChoiceLoader([FileSystemLoader(str(d)) for d in TEMPLATE_DIRS])
    templates.env.undefined = StrictUndefined
    templates.env.globals["Role"] = Role
    return templates


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, *, status_code: int = 200
) -> HTMLResponse:
    templates: Jinja2Templates = request.app.state.templates
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
    }
    base.update(context or {})
    return templates.TemplateResponse(request, name, base, status_code=status_code)
