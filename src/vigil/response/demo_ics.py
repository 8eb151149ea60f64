"""Demo ICS records for the demo school incident: command staff in their positions, an
operational period, a few significant events, a submitted ICS 201 and 202, and ICS
213RR requests taken through their states (one received, one on order, one rejected).

Everything is filed through the services as the staff named, so it passes the same
policy checks and leaves the same audit trail as work done through the pages.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, joinedload

from vigil.platform import actor as actors
from vigil.platform.actor import Actor
from vigil.platform.models import User
from vigil.platform.types import utcnow
from vigil.response import ics_forms, incident_records, resource_requests

# Positions the demo fills; whoever is not named holds them through the commander, as
# ICS has it (the commander keeps every function not delegated).
DEMO_POSITIONS = (
    "incident_commander",
    "operations_section_chief",
    "planning_section_chief",
    "logistics_section_chief",
    "finance_section_chief",
)


@dataclass
class IcsSeed:
    """What was filed: ids of the forms and requests by their role in the story."""

    forms: dict[str, int] = field(default_factory=dict)
    requests: dict[str, int] = field(default_factory=dict)
    events: list[int] = field(default_factory=list)


def _actor(db: Session, user_id: int) -> Actor:
    user = db.get(User, user_id, options=(joinedload(User.agency), joinedload(User.role_grants)))
    if user is None:
        raise LookupError(f"no user {user_id}")
    return actors.for_user(user, request_id="demo", via="cli")


def seed_ics(
    db: Session,
    *,
    incident_id: int,
    commander_user_id: int,
    staff: Mapping[str, int] | None = None,
    now: datetime | None = None,
) -> IcsSeed:
    """File the demo's ICS records on ``incident_id``.

    ``commander_user_id`` must be a user with the incident_command role at an agency in
    unified command of the incident (agency role "command"); ``staff`` maps other
    positions (e.g. "logistics_section_chief") to user ids of agencies in the incident.
    Positions not given are assigned to the commander. ``now`` anchors the story's
    times (default: the current time; events are placed in the hour before it).
    """
    now = now or utcnow()
    seed = IcsSeed()
    commander = _actor(db, commander_user_id)
    holders = {position: commander_user_id for position in DEMO_POSITIONS}
    holders.update(staff or {})
    for position, user_id in holders.items():
        incident_records.assign_position(
            db, actor=commander, incident_id=incident_id, user_id=user_id, position=position
        )
    period = incident_records.add_period(
        db,
        actor=commander,
        incident_id=incident_id,
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=11),
    )
    for minutes, kind, summary in (
        (58, "report", "911 calls report shots fired in the east wing; school in lockdown."),
        (52, "action", "First officers enter; suspect in custody at 13 minutes after the call."),
        (45, "decision", "Unified command set up at the bus loop; staging on Oak Street."),
        (30, "casualty", "Casualty collection point opened at the gym; transports begin."),
        (20, "decision", "Reunification site opened at the community center."),
    ):
        event = incident_records.log_event(
            db,
            actor=commander,
            incident_id=incident_id,
            kind=kind,
            summary=summary,
            occurred_at=now - timedelta(minutes=minutes),
        )
        seed.events.append(event.id)
    briefing = ics_forms.create_form(
        db,
        actor=commander,
        incident_id=incident_id,
        form="201",
        operational_period_id=period.id,
        submit=True,
        fields={
            "situation": (
                "Active shooter at the high school, suspect in custody. East wing is a crime "
                "scene. Casualties moved to the collection point at the gym. Hazards: "
                "possible secondary device in the parking lot, bomb squad en route."
            ),
            "objectives": (
                "1. Account for every student and staff member.\n2. Treat and transport the "
                "injured.\n3. Reunify students with authorized guardians.\n4. Preserve the scene."
            ),
            "map_sketch": "Command post at the bus loop; staging Oak Street; CCP gym; "
            "reunification at the community center.",
            "actions": [
                {"time": (now - timedelta(minutes=45)).isoformat(), "action": "Perimeter set"},
                {"time": (now - timedelta(minutes=30)).isoformat(), "action": "CCP opened"},
            ],
            "organization": [{"name": "Incident commander", "position": "incident_commander"}],
        },
    )
    seed.forms["201"] = briefing.id
    objectives = ics_forms.create_form(
        db,
        actor=commander,
        incident_id=incident_id,
        form="202",
        operational_period_id=period.id,
        submit=True,
        fields={
            "objectives": (
                "1. Complete accountability of students and staff by the end of the period.\n"
                "2. Release every student to an authorized guardian at the reunification site.\n"
                "3. Staff the family assistance center with advocates and counselors."
            ),
            "command_emphasis": "Life safety first; no notification of a death by phone.",
            "safety_plan_required": "yes",
            "safety_plan_location": "Command post binder",
            "approved_by": "Incident commander",
        },
    )
    seed.forms["202"] = objectives.id
    path = {
        "counselors": ("hm-crisis-counseling-team", 2, "demobilized"),
        "ambulances": ("ems-ambulance-strike-team-als", 1, "received"),
        "advocates": ("mf-victim-advocate-team", 1, "ordered"),
        "interpreters": ("cm-interpreter-spoken", 3, "requested"),
        "tactical": ("le-tactical-team-1", 1, "rejected"),
    }
    steps = resource_requests.MAIN_PATH
    for key, (resource_id, quantity, final) in path.items():
        request = resource_requests.create_request(
            db,
            actor=commander,
            incident_id=incident_id,
            resource_id=resource_id,
            quantity=quantity,
            priority="urgent" if key in ("ambulances", "tactical") else "high",
            description=f"Demo request: {resource_id.replace('-', ' ')} for the school incident.",
            needed_by=now + timedelta(hours=1),
            deliver_to="Staging, Oak Street",
        )
        seed.requests[key] = request.id
        if final == "rejected":
            resource_requests.transition(
                db,
                actor=commander,
                incident_id=incident_id,
                request_id=request.id,
                to_state="rejected",
                reason="Suspect in custody; tactical need has passed.",
            )
            continue
        for to_state in steps[1 : steps.index(final) + 1]:
            resource_requests.transition(
                db,
                actor=_actor(db, holders[_mover(to_state)]),
                incident_id=incident_id,
                request_id=request.id,
                to_state=to_state,
                supplier="County mutual aid" if to_state == "ordered" else None,
            )
    return seed


def _mover(to_state: str) -> str:
    """The demo position that makes a step on the main path."""
    return {
        "approved": "operations_section_chief",
        "ordered": "logistics_section_chief",
        "funding_approved": "finance_section_chief",
        "shipped": "logistics_section_chief",
        "received": "logistics_section_chief",
        "demobilized": "planning_section_chief",
    }[to_state]
