"""Reading the improvement pages' forms (dates, ids, numbers) and rendering those pages
with their vocabularies: POETE, sources, statuses, ratings, exercise kinds, the core
capabilities and levels."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from starlette.datastructures import FormData

from vigil.platform.routes.forms import RefusedForm, text_from_form, whole_number
from vigil.preparedness import capabilities, corrective_actions, exercises
from vigil.preparedness.pages import render


def vocabulary() -> dict[str, Any]:
    return {
        "poete": corrective_actions.POETE,
        "source_kinds": corrective_actions.SOURCE_KINDS,
        "statuses": corrective_actions.STATUSES,
        "evidence_kinds": corrective_actions.EVIDENCE_KINDS,
        "ratings": exercises.RATINGS,
        "exercise_kinds": exercises.EXERCISE_KINDS,
        "capabilities": capabilities.capabilities(),
        "capability_names": capabilities.capability_names(),
        "capability_options": [(c.key, c.name) for c in capabilities.capabilities()],
        "levels": capabilities.LEVELS,
    }


def page(
    request: Request,
    name: str,
    context: dict[str, Any],
    *,
    refused: RefusedForm | None = None,
    form_name: str | None = None,
) -> HTMLResponse:
    """A page of this package; a refused form's errors and values are shown again, the
    values only in the form that was sent."""
    base = vocabulary() | {"errors": {}, "values": {}, "refused_form": None}
    if refused is not None:
        base |= {"errors": refused.errors, "values": refused.values, "refused_form": form_name}
    return render(
        request,
        name,
        base | context,
        status_code=refused.status_code if refused is not None else 200,
    )


def form_date(form: FormData, name: str, errors: dict[str, str]) -> date | None:
    """A day written YYYY-MM-DD (what a date input sends); None when empty."""
    text = text_from_form(form, name, 40).strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors[name] = "Enter a date as YYYY-MM-DD, such as 2027-03-31."
        return None


def form_id(form: FormData, name: str, errors: dict[str, str]) -> int | None:
    """An id chosen from a list; None when nothing was chosen."""
    text = text_from_form(form, name, 40).strip()
    if not text:
        return None
    value = whole_number(text)
    if value is None or value < 1:
        errors[name] = "Choose from the list."
        return None
    return value


def form_level(form: FormData, name: str, errors: dict[str, str]) -> int | None:
    text = text_from_form(form, name, 10).strip()
    value = whole_number(text, maximum=9) if text else None
    if text and value is None:
        errors[name] = "Choose a level from 1 to 5."
    return value


def form_text(form: FormData, name: str) -> str:
    # Longer than any field allows, so the service refuses an over-long value by name.
    return text_from_form(form, name, 20_000)
