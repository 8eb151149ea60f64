"""Rendering the reunification pages (the shared templates plus this package's own)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from vigil.web import templating

STATUS_LABELS: dict[str, str] = {
    "unaccounted": "Unaccounted for",
    "accounted_for": "Accounted for",
    "with_adult": "With an adult",
    "at_hospital": "At a hospital",
    "released": "Released to a guardian",
    "deceased_confirmed": "Deceased (confirmed by the medical examiner)",
}
LIST_LABELS: dict[str, str] = {
    "roster": "Roster",
    "attendees": "Attendees",
    "hospital": "Hospital",
    "medical_examiner": "Medical examiner",
}


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, *, status_code: int = 200
) -> HTMLResponse:
    """A reunification page, with the labels of statuses and lists."""
    base: dict[str, Any] = {
        "values": {},
        "status_labels": STATUS_LABELS,
        "list_labels": LIST_LABELS,
    }
    return templating.render(request, name, base | (context or {}), status_code=status_code)
