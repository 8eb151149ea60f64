"""The reunification routes of the catalog (tests/web/catalog.py): how to fill their
paths and bodies, the world they need and their rows of the authorization matrix
(tests/web/matrix.py).

Each agency of the world is in command of one incident (with a roster, a hospital
list, inquiries and their candidate matches). Reunification data is seen by the
supervisors of the agencies involved; analysts, threat-assessment staff, tip-line
operators, administrators and auditors are refused, and nobody outside the incident's
agencies sees it.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.orm import Session

from tests.web.catalog import OTHER, OWN, RouteCase, Target
from vigil.platform.actor import command_line
from vigil.platform.models import Agency
from vigil.response.match_files import INQUIRY_COLUMNS, LIST_COLUMNS
from vigil.response.reunification import (
    add_inquiries,
    create_incident,
    match_incident,
    upload_list,
)

INCIDENT = "incident"  # an incident the actor's agency commands, or one of another agency
TODAY = date(2026, 11, 26)
LIST_ROWS = [
    {
        "id": "r1",
        "list": "roster",
        "full_name": "SMITH, WILLIAM J",
        "dob": "2010-03-04",
        "age": "",
        "sex": "M",
        "description": "",
    },
    {
        "id": "h1",
        "list": "hospital",
        "full_name": "Unknown Male",
        "dob": "",
        "age": "about 20",
        "sex": "M",
        "description": "red hoodie, blond hair",
    },
]
INQUIRY_ROWS = [
    {
        "id": "q1",
        "full_name": "Billy Smith",
        "dob": "03/04/2010",
        "age": "",
        "sex": "M",
        "description": "",
        "relationship": "mother",
    },
]


def _csv(columns: tuple[str, ...], rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def seed_response(db: Session, world: Any, agencies: tuple[Agency, ...]) -> None:
    """One incident commanded by each agency, with lists, an inquiry and its matches."""
    shell = command_line("walk")
    for agency in agencies:
        incident = create_incident(
            db,
            actor=shell,
            name=f"Walk incident of {agency.name}",
            kind="school_shooting",
            place="Walk High",
            started_at=datetime(2026, 11, 25, 14, tzinfo=UTC),
            lead_agency_id=agency.id,
            agencies={},
        )
        for service, columns, rows in (
            (upload_list, LIST_COLUMNS, LIST_ROWS),
            (add_inquiries, INQUIRY_COLUMNS, INQUIRY_ROWS),
        ):
            service(
                db,
                actor=shell,
                incident_id=incident.id,
                data=_csv(columns, rows),
                source_name="walk.csv",
                today=TODAY,
            )
        match_incident(db, actor=shell, incident_id=incident.id, today=TODAY)
        world.response[f"incident:{agency.id}"] = incident.id


@dataclass(frozen=True)
class IncidentRoute(RouteCase):
    """A route whose path names an incident."""

    @property
    def targets(self) -> tuple[str, ...]:
        return (OWN, OTHER) if self.target == INCIDENT else super().targets

    def path(self, target: Target) -> str:
        params = {"incident_id": str(target.world.response[f"incident:{target.agency_id}"])}
        return RouteCase(self.method, self.template, params=params, query=self.query).path(target)


RESPONSE_PAGES: list[RouteCase] = [
    IncidentRoute("GET", "/reunification/incidents/{incident_id}", target=INCIDENT),
    IncidentRoute(
        "POST",
        "/reunification/incidents/{incident_id}/confirm",
        target=INCIDENT,
        body="form",
        build=lambda t: {"inquiry": "q1", "person": "r1"},
    ),
]

# Columns: an su tl ta aa sa au (tests/web/matrix.py).
REUNIFICATION_STAFF = {OWN: "403 ok  403 403 403 403 403", OTHER: "403 " * 7}
RESPONSE_MATRIX: dict[str, str | dict[str, str]] = {
    "GET /reunification/incidents/{incident_id}": REUNIFICATION_STAFF,
    "POST /reunification/incidents/{incident_id}/confirm": REUNIFICATION_STAFF,
}
