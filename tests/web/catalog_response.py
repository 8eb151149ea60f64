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

from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.web.catalog import OTHER, OWN, RouteCase, Target
from vigil.platform.actor import command_line
from vigil.platform.models import Agency
from vigil.response.guardians import GUARDIAN_COLUMNS, GuardianEntry, add_guardian
from vigil.response.match_files import INQUIRY_COLUMNS, LIST_COLUMNS
from vigil.response.models import ListedPerson
from vigil.response.person_links import link_same_person
from vigil.response.reunification import (
    add_inquiries,
    create_incident,
    match_incident,
    upload_list,
)
from vigil.response.reunification_sites import check_in, open_site, record_arrival

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
    {
        "id": "h2",
        "list": "hospital",
        "full_name": "Unknown Female",
        "dob": "",
        "age": "about 40",
        "sex": "F",
        "description": "",
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
        world.response[f"person:{agency.id}"] = db.execute(
            select(ListedPerson.id).where(
                ListedPerson.incident_id == incident.id, ListedPerson.row_id == "r1"
            )
        ).scalar_one()
        # r1 is linked as the same person as h2 (a link to remove); h1 is left to link.
        world.response[f"link:{agency.id}"] = link_same_person(
            db,
            actor=shell,
            incident_id=incident.id,
            person_id=world.response[f"person:{agency.id}"],
            same_as_row_id="h2",
        ).link_id
        # A reunification site where r1 has arrived and its guardian checked in.
        site = open_site(
            db,
            actor=shell,
            incident_id=incident.id,
            name="Walk gym",
            address="1 Walk St",
            position=(43.0, -108.4),
        )
        add_guardian(
            db,
            actor=shell,
            incident_id=incident.id,
            entry=GuardianEntry("r1", "Wanda Smith", "mother"),
        )
        record_arrival(
            db, actor=shell, incident_id=incident.id, site_id=site.id, person_row_id="r1"
        )
        checked = check_in(
            db,
            actor=shell,
            incident_id=incident.id,
            site_id=site.id,
            person_row_id="r1",
            presented_name="Wanda Smith",
            id_document="drivers_license",
            identity_verified=True,
        )
        world.response[f"site:{agency.id}"] = site.id
        world.response[f"checkin:{agency.id}"] = checked.checkin_id


@dataclass(frozen=True)
class IncidentRoute(RouteCase):
    """A route whose path names an incident."""

    @property
    def targets(self) -> tuple[str, ...]:
        return (OWN, OTHER) if self.target == INCIDENT else super().targets

    def path(self, target: Target) -> str:
        response = target.world.response
        params = {
            "incident_id": str(response[f"incident:{target.agency_id}"]),
            "site_id": str(response[f"site:{target.agency_id}"]),
            "person_id": str(response[f"person:{target.agency_id}"]),
            "link_id": str(response[f"link:{target.agency_id}"]),
        }
        return RouteCase(self.method, self.template, params=params, query=self.query).path(target)


def _incident(target: Target) -> str:
    return str(target.world.response[f"incident:{target.agency_id}"])


def _link(target: Target) -> str:
    return str(target.world.response[f"link:{target.agency_id}"])


def _checkin(target: Target) -> str:
    return str(target.world.response[f"checkin:{target.agency_id}"])


UPLOADED_LIST = _csv(
    LIST_COLUMNS,
    [{**LIST_ROWS[0], "id": "r2", "full_name": "DOE, JANE", "sex": "F"}],
)
UPLOADED_INQUIRIES = _csv(INQUIRY_COLUMNS, [{**INQUIRY_ROWS[0], "id": "q2"}])
UPLOADED_GUARDIANS = (",".join(GUARDIAN_COLUMNS) + "\nr1,Walter Smith,father,,no,\n").encode()
INCIDENT_BASE = "/reunification/incidents/{incident_id}"
SITE_BASE = INCIDENT_BASE + "/sites/{site_id}"
PERSON = "/incidents/{incident_id}/people/{person_id}"


RESPONSE_PAGES: list[RouteCase] = [
    IncidentRoute("GET", "/reunification/incidents/{incident_id}", target=INCIDENT),
    IncidentRoute(
        "POST",
        "/reunification/incidents/{incident_id}/confirm",
        target=INCIDENT,
        body="form",
        build=lambda t: {"inquiry": "q1", "person": "r1"},
    ),
    IncidentRoute("GET", INCIDENT_BASE + "/upload", target=INCIDENT),
    *(
        IncidentRoute(
            "POST",
            f"/reunification/upload/{kind}",
            target=INCIDENT,
            body="form",
            build=lambda t: {"incident_id": _incident(t)},
            upload=(f"{kind}.csv", data, "text/csv"),
        )
        for kind, data in (
            ("list", UPLOADED_LIST),
            ("inquiries", UPLOADED_INQUIRIES),
            ("guardians", UPLOADED_GUARDIANS),
        )
    ),
    IncidentRoute(
        "POST",
        INCIDENT_BASE + "/inquiries",
        target=INCIDENT,
        body="form",
        build=lambda t: {
            "call-full_name": "Jane Doe",
            "call-age": "15",
            "call-relationship": "aunt",
            "call-contact": "555-0199",
        },
    ),
    IncidentRoute("POST", INCIDENT_BASE + "/match", target=INCIDENT, body="form"),
    IncidentRoute("GET", INCIDENT_BASE + "/sites", target=INCIDENT),
    IncidentRoute(
        "POST",
        INCIDENT_BASE + "/sites",
        target=INCIDENT,
        body="form",
        build=lambda t: {"site-name": "Walk library", "site-address": "2 Walk St"},
    ),
    IncidentRoute(
        "POST",
        INCIDENT_BASE + "/locations",
        target=INCIDENT,
        body="form",
        build=lambda t: {
            "location-kind": "hospital",
            "location-name": "Walk General",
            "location-latitude": "43.01",
            "location-longitude": "-108.41",
        },
    ),
    IncidentRoute(
        "POST",
        INCIDENT_BASE + "/guardians",
        target=INCIDENT,
        body="form",
        build=lambda t: {"guardian-person": "r1", "guardian-guardian_name": "Walter Smith"},
    ),
    IncidentRoute("GET", SITE_BASE, target=INCIDENT),
    IncidentRoute(
        "POST",
        SITE_BASE + "/arrivals",
        target=INCIDENT,
        body="form",
        build=lambda t: {"arrival-person": "r1"},
    ),
    IncidentRoute(
        "POST",
        SITE_BASE + "/checkins",
        target=INCIDENT,
        body="form",
        build=lambda t: {
            "checkin-person": "r1",
            "checkin-presented_name": "Wanda Smith",
            "checkin-id_document": "passport",
            "checkin-identity_verified": "yes",
        },
    ),
    IncidentRoute(
        "POST",
        SITE_BASE + "/releases",
        target=INCIDENT,
        body="form",
        build=lambda t: {"checkin_id": _checkin(t)},
    ),
    IncidentRoute("GET", PERSON, target=INCIDENT),
    IncidentRoute(
        "POST",
        PERSON + "/same-as",
        target=INCIDENT,
        body="form",
        build=lambda t: {"link-same_as": "h1"},
    ),
    IncidentRoute(
        "POST",
        PERSON + "/same-as/{link_id}/remove",
        target=INCIDENT,
        body="form",
        build=lambda t: {f"unlink-{_link(t)}-reason": "h2 is another patient"},
    ),
    IncidentRoute("GET", "/incidents/{incident_id}/picture", target=INCIDENT),
    IncidentRoute("GET", "/incidents/{incident_id}/picture/live", target=INCIDENT),
]

# Columns: an su tl ta aa sa au (tests/web/matrix.py).
REUNIFICATION_STAFF = {OWN: "403 ok  403 403 403 403 403", OTHER: "403 " * 7}
# The operating picture: a viewer the policy refuses does not learn the incident exists.
PICTURE_VIEWERS = {OWN: "404 ok  404 404 404 404 404", OTHER: "404 " * 7}
RESPONSE_MATRIX: dict[str, str | dict[str, str]] = {
    "GET /reunification/incidents/{incident_id}": REUNIFICATION_STAFF,
    "POST /reunification/incidents/{incident_id}/confirm": REUNIFICATION_STAFF,
    **{
        case.label: REUNIFICATION_STAFF
        for case in RESPONSE_PAGES[2:]
        if not case.template.startswith("/incidents/")
    },
    # A listed person's page is reunification data: the regime's staff only.
    f"GET {PERSON}": REUNIFICATION_STAFF,
    f"POST {PERSON}/same-as": REUNIFICATION_STAFF,
    f"POST {PERSON}/same-as/{{link_id}}/remove": REUNIFICATION_STAFF,
    "GET /incidents/{incident_id}/picture": PICTURE_VIEWERS,
    "GET /incidents/{incident_id}/picture/live": PICTURE_VIEWERS,
}
