"""The ICS routes of the catalog (tests/web/catalog.py): incidents as records, their
events, forms and ICS 213RR resource requests; how to fill their paths and bodies,
the world they need and their rows of the authorization matrix (tests/web/matrix.py).

Each agency of the world commands an incident of its own. In the home agency's, the
walk's supervisor is the incident commander and has a draft ICS 213, a resource
request (requested) and a second position (safety officer) on file; so the
supervisor works the own incident (reads and writes: the commander approves, assigns,
logs, files, offers as a partner) and nobody else the walk signs in is even told it
exists (404: an analyst, a tip-line operator, threat-assessment staff, administrators
and auditors hold no incident role and no position). Another agency's incident is
hidden from everyone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from tests.factories import actor_for
from tests.web.catalog import OTHER, OWN, RouteCase, Target
from vigil.platform.actor import command_line
from vigil.platform.models import Agency, User
from vigil.platform.roles import Role
from vigil.platform.types import utcnow
from vigil.response import ics_forms, incident_records, resource_requests
from vigil.response.ics_models import ResourceOffer
from vigil.response.reunification import create_incident

ICS = "ics_incident"  # the incident of the actor's agency, or one of another agency
LATER = (utcnow() + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")


def seed_ics_walk(db: Session, world: Any, agencies: tuple[Agency, ...]) -> None:
    """An incident commanded by each agency, with a draft form, a request and a spare
    position; in the home agency's the supervisor is incident commander."""
    shell = command_line("walk")
    supervisor = world.members[Role.SUPERVISOR]
    for agency in agencies:
        incident = create_incident(
            db,
            actor=shell,
            name=f"ICS walk incident of {agency.name}",
            kind="school_shooting",
            place="Walk High",
            started_at=datetime(2026, 11, 25, 14, tzinfo=UTC),
            lead_agency_id=agency.id,
            agencies={},
        )
        holder = (
            db.get(User, supervisor.user_id)
            if agency.id == world.home
            else db.get(User, world.plain[agency.id].user_id)
        )
        assert holder is not None
        for position in ("incident_commander", "safety_officer"):
            assignment = incident_records.assign_position(
                db, actor=shell, incident_id=incident.id, user_id=holder.id, position=position
            )
        actor = actor_for(holder)
        form = ics_forms.create_form(
            db, actor=actor, incident_id=incident.id, form="213", fields={"to": "Planning"}
        )
        request = resource_requests.create_request(
            db,
            actor=actor,
            incident_id=incident.id,
            resource_id="cm-interpreter-asl",
            quantity=1,
            priority="high",
            description="An ASL interpreter for the family briefing.",
            needed_by=utcnow() + timedelta(hours=2),
            deliver_to="Community center",
        )
        world.response[f"ics:{agency.id}"] = incident.id
        world.response[f"ics_form:{agency.id}"] = form.id
        world.response[f"ics_request:{agency.id}"] = request.id
        world.response[f"ics_assignment:{agency.id}"] = assignment.id
        # A mutual-aid offer on the request, waiting for a decision (written as the
        # offering agency's own, since the shell offers nothing).
        offer = ResourceOffer(
            request_id=request.id,
            agency_id=agency.id,
            quantity=1,
            available_at=utcnow() + timedelta(hours=1),
            terms="One interpreter under the mutual-aid agreement.",
            status="offered",
        )
        db.add(offer)
        db.flush()
        world.response[f"ics_offer:{agency.id}"] = offer.id


@dataclass(frozen=True)
class IcsRoute(RouteCase):
    """A route whose path names an ICS incident (and maybe its form, request or
    position assignment)."""

    @property
    def targets(self) -> tuple[str, ...]:
        return (OWN, OTHER) if self.target == ICS else super().targets

    def path(self, target: Target) -> str:
        agency = target.agency_id
        ids = target.world.response
        params = {
            "incident_id": str(ids[f"ics:{agency}"]),
            "form_id": str(ids[f"ics_form:{agency}"]),
            "request_id": str(ids[f"ics_request:{agency}"]),
            "assignment_id": str(ids[f"ics_assignment:{agency}"]),
            "offer_id": str(ids[f"ics_offer:{agency}"]),
        }
        return RouteCase(self.method, self.template, params=params, query=self.query).path(target)


def _plain_user(target: Target) -> str:
    return str(target.world.plain[target.agency_id].user_id)


BASE = "/incidents/{incident_id}"
API = "/api/v1/incidents/{incident_id}"
ICS_PAGES: list[RouteCase] = [
    RouteCase("GET", "/incidents"),
    IcsRoute("GET", BASE, target=ICS),
    IcsRoute(
        "POST",
        f"{BASE}/events",
        target=ICS,
        body="form",
        build=lambda t: {
            "occurred_at": "2026-11-25T14:05",
            "kind": "report",
            "summary": "Lockdown",
        },
    ),
    IcsRoute(
        "POST",
        f"{BASE}/agencies",
        target=ICS,
        body="form",
        build=lambda t: {"agency_id": str(t.world.other), "role": "support"},
    ),
    IcsRoute(
        "POST",
        f"{BASE}/periods",
        target=ICS,
        body="form",
        build=lambda t: {"starts_at": "2026-11-25T14:00", "ends_at": "2026-11-26T02:00"},
    ),
    IcsRoute(
        "POST",
        f"{BASE}/staff",
        target=ICS,
        body="form",
        build=lambda t: {"user_id": _plain_user(t), "position": "liaison_officer"},
    ),
    IcsRoute(
        "POST",
        f"{BASE}/expectations",
        target=ICS,
        body="form",
        build=lambda t: {"state": "approved", "minutes": "45"},
    ),
    IcsRoute("POST", f"{BASE}/staff/{{assignment_id}}/relieve", target=ICS),
    IcsRoute("GET", f"{BASE}/forms/new", target=ICS, query="form=202"),
    IcsRoute(
        "POST",
        f"{BASE}/forms",
        target=ICS,
        body="form",
        build=lambda t: {"form": "213", "action": "save", "to": "Logistics"},
    ),
    IcsRoute("GET", f"{BASE}/forms/{{form_id}}", target=ICS),
    IcsRoute("GET", f"{BASE}/forms/{{form_id}}/edit", target=ICS),
    IcsRoute(
        "POST",
        f"{BASE}/forms/{{form_id}}",
        target=ICS,
        body="form",
        build=lambda t: {"action": "save", "to": "Planning", "subject": "Buses"},
    ),
    IcsRoute("GET", f"{BASE}/requests/new", target=ICS),
    IcsRoute(
        "POST",
        f"{BASE}/requests",
        target=ICS,
        body="form",
        build=lambda t: {
            "resource_id": "mf-victim-advocate",
            "quantity": "2",
            "priority": "high",
            "description": "Advocates for the families.",
            "needed_by": LATER,
            "deliver_to": "Community center",
        },
    ),
    IcsRoute("GET", f"{BASE}/requests/{{request_id}}", target=ICS),
    IcsRoute(
        "POST",
        f"{BASE}/requests/{{request_id}}/transition",
        target=ICS,
        body="form",
        build=lambda t: {"to_state": "approved"},
    ),
    IcsRoute(
        "POST",
        f"{BASE}/requests/{{request_id}}/offers",
        target=ICS,
        body="form",
        build=lambda t: {"quantity": "1", "available_at": LATER, "terms": "One interpreter."},
    ),
    IcsRoute(
        "POST",
        f"{BASE}/requests/{{request_id}}/offers/{{offer_id}}/decision",
        target=ICS,
        body="form",
        build=lambda t: {"decision": "accepted"},
    ),
]
ICS_API: list[RouteCase] = [
    RouteCase("GET", "/api/v1/incidents"),
    RouteCase("GET", "/api/v1/resource-catalogue"),
    IcsRoute("GET", API, target=ICS),
    IcsRoute(
        "POST",
        f"{API}/positions",
        target=ICS,
        body="json",
        build=lambda t: {"user_id": int(_plain_user(t)), "position": "liaison_officer"},
    ),
    IcsRoute("GET", f"{API}/events", target=ICS),
    IcsRoute(
        "POST",
        f"{API}/events",
        target=ICS,
        body="json",
        build=lambda t: {
            "kind": "action",
            "summary": "Buses staged",
            "occurred_at": "2026-11-25T14:30:00Z",
        },
    ),
    IcsRoute("GET", f"{API}/forms", target=ICS),
    IcsRoute(
        "POST",
        f"{API}/forms",
        target=ICS,
        body="json",
        build=lambda t: {"form": "213", "fields": {"to": "Logistics"}},
    ),
    IcsRoute("GET", f"{API}/forms/{{form_id}}", target=ICS),
    IcsRoute(
        "PUT",
        f"{API}/forms/{{form_id}}",
        target=ICS,
        body="json",
        build=lambda t: {"fields": {"to": "Planning", "subject": "Buses"}},
    ),
    IcsRoute("GET", f"{API}/resource-requests", target=ICS),
    IcsRoute(
        "POST",
        f"{API}/resource-requests",
        target=ICS,
        body="json",
        build=lambda t: {
            "resource_id": "mf-victim-advocate",
            "quantity": 2,
            "priority": "high",
            "description": "Advocates for the families.",
            "needed_by": LATER + ":00Z",
            "deliver_to": "Community center",
        },
    ),
    IcsRoute("GET", f"{API}/resource-requests/{{request_id}}", target=ICS),
    IcsRoute(
        "POST",
        f"{API}/resource-requests/{{request_id}}/transitions",
        target=ICS,
        body="json",
        build=lambda t: {"to_state": "approved"},
    ),
    IcsRoute(
        "POST",
        f"{API}/resource-requests/{{request_id}}/offers",
        target=ICS,
        body="json",
        build=lambda t: {"quantity": 1, "available_at": LATER + ":00Z", "terms": "One."},
    ),
    IcsRoute(
        "POST",
        f"{API}/resource-requests/{{request_id}}/offers/{{offer_id}}/decision",
        target=ICS,
        body="json",
        build=lambda t: {"decision": "declined", "reason": "Filled locally."},
    ),
]

# Columns: an su tl ta aa sa au (tests/web/matrix.py). The supervisor commands the own
# incident; everybody else is not told it exists, nor anybody another agency's.
COMMAND_STAFF = {OWN: "404 ok  404 404 404 404 404", OTHER: "404 " * 7}
EVERYONE = "ok  " * 7
ICS_MATRIX: dict[str, str | dict[str, str]] = {
    "GET /incidents": EVERYONE,
    "GET /api/v1/incidents": EVERYONE,
    "GET /api/v1/resource-catalogue": EVERYONE,
    **{case.label: COMMAND_STAFF for case in (*ICS_PAGES, *ICS_API) if isinstance(case, IcsRoute)},
}
