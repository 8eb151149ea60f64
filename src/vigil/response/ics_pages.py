"""What the ICS pages share: the rendering context (labels of positions, states, forms)
and reading an ICS form's fields, table rows included, from a submitted HTML form."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

from fastapi import Request
from fastapi.responses import HTMLResponse
from starlette.datastructures import FormData

from vigil.platform import audit
from vigil.platform.policy.incident_rules import POSITIONS
from vigil.response.ics_form_specs import MAX_ROWS, SPECS, FormSpec
from vigil.response.incident_records import AGENCY_ROLES, EVENT_KINDS
from vigil.response.resource_offers import OFFER_STATUSES, OfferRefused
from vigil.response.resource_requests import PRIORITIES, STATES, TransitionRefused
from vigil.web import templating

# Blank rows offered below a table's filled ones on a form page.
BLANK_ROWS: Final = 3


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, *, status_code: int = 200
) -> HTMLResponse:
    """An ICS page with the vocabulary its templates label things with."""
    base: dict[str, Any] = {
        "values": {},
        "positions": POSITIONS,
        "agency_roles": AGENCY_ROLES,
        "event_kinds": EVENT_KINDS,
        "states": STATES,
        "priorities": PRIORITIES,
        "offer_statuses": OFFER_STATUSES,
        "specs": SPECS,
        "blank_rows": BLANK_ROWS,
    }
    return templating.render(request, name, base | (context or {}), status_code=status_code)


def moment(value: str) -> datetime | None:
    """A date and time typed into a form (UTC unless it says otherwise)."""
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def fields_from_form(spec: FormSpec, form: FormData) -> dict[str, Any]:
    """The form's fields as the service takes them; a table's rows from inputs named
    ``<field>-<row>-<column>`` (rows numbered from 1; blank rows dropped later)."""
    fields: dict[str, Any] = {}
    for field in spec.fields():
        if field.kind != "table":
            value = form.get(field.name)
            if isinstance(value, str) and value.strip():
                fields[field.name] = value
            continue
        rows = []
        for number in range(1, MAX_ROWS + BLANK_ROWS + 1):
            row = {}
            for column in field.columns:
                value = form.get(f"{field.name}-{number}-{column.name}")
                if isinstance(value, str) and value.strip():
                    row[column.name] = value
            if row:
                rows.append(row)
        if rows:
            fields[field.name] = rows
    return fields


def record_refusal(request: Request, refusal: TransitionRefused | OfferRefused) -> None:
    """Undo the request's writes and keep the audit record of the refused step or offer
    decision (as the app's handler does for every refusal), so the page can say who
    may make it."""
    db = request.state.db
    db.rollback()
    audit.record(
        db,
        actor=request.state.actor,
        action=(
            "resource_request.offer_decided"
            if isinstance(refusal, OfferRefused)
            else "resource_request.transition"
        ),
        object_type="resource_request",
        object_id=refusal.object_id,
        outcome="denied",
    )
    request.state.commit_on_error = True
