"""Rendering the preparedness pages (the shared templates plus this package's own) and
reading a site form's values."""

from __future__ import annotations

import math
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from starlette.datastructures import FormData

from vigil.platform.routes.forms import text_from_form, whole_number
from vigil.preparedness.sites import FIELDS, SiteInput
from vigil.preparedness.vocabulary import SITE_KIND_LABELS, SITE_KINDS, SITE_MARKINGS
from vigil.web import templating

VOCABULARY: dict[str, Any] = {
    "site_kinds": SITE_KIND_LABELS,
    "site_sectors": {key: sector for key, (_, sector) in SITE_KINDS.items()},
    "site_markings": SITE_MARKINGS,
}


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, *, status_code: int = 200
) -> HTMLResponse:
    """A page of this package, with its vocabulary and an empty form's values."""
    base: dict[str, Any] = {"values": {}, **VOCABULARY}
    return templating.render(request, name, base | (context or {}), status_code=status_code)


MEASURE_FIELDS = ("measure_name", "cost", "vulnerability_factor", "exclusive_group")


def form_number(form: FormData, name: str, errors: dict[str, str]) -> float | None:
    """A number typed in a form field (None when empty); an error when it is not one."""
    return parse_number(text_from_form(form, name, 40), name, errors)


def parse_number(text: str, name: str, errors: dict[str, str]) -> float | None:
    text = text.strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        errors[name] = "Enter a number, such as 0.25."
        return None
    if not math.isfinite(value):
        errors[name] = "Enter a number, such as 0.25."
        return None
    return value


def site_from_form(form: FormData) -> SiteInput:
    """The site a form describes; numbers that do not parse are errors, not zeros."""
    errors: dict[str, str] = {}
    capacity_text = text_from_form(form, "capacity", 40).strip().replace(",", "")
    capacity = whole_number(capacity_text, maximum=10**12) if capacity_text else None
    if capacity_text and capacity is None:
        errors["capacity"] = "Enter a whole number of people, such as 850."
    return SiteInput(
        name=text_from_form(form, "name", 10_000),
        kind=text_from_form(form, "kind", 40),
        marking=text_from_form(form, "marking", 20),
        address=text_from_form(form, "address", 10_000),
        latitude=form_number(form, "latitude", errors),
        longitude=form_number(form, "longitude", errors),
        capacity=capacity,
        hours=text_from_form(form, "hours", 10_000),
        contacts=text_from_form(form, "contacts", 100_000),
        threat=form_number(form, "threat", errors),
        threat_reason=text_from_form(form, "threat_reason", 100_000),
        vulnerability=form_number(form, "vulnerability", errors),
        vulnerability_reason=text_from_form(form, "vulnerability_reason", 100_000),
        errors=errors,
    )


def form_values(form: FormData, names: tuple[str, ...] = FIELDS) -> dict[str, str]:
    return {name: value for name in names if isinstance(value := form.get(name), str)}


def site_values(site: Any) -> dict[str, str]:
    """A stored site as the edit form's values."""
    values = {}
    for name in FIELDS:
        value = getattr(site, name)
        values[name] = (
            "" if value is None else (f"{value:g}" if isinstance(value, float) else str(value))
        )
    return values
