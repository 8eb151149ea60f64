"""A school incident with command staff in their ICS positions, for the ICS tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from tests.factories import actor_for, make_agency, make_user
from vigil.platform.actor import Actor, command_line
from vigil.platform.models import User
from vigil.platform.roles import AgencyKind, Role
from vigil.response import incident_records
from vigil.response.reunification import create_incident

SHELL = command_line("operator")
STAFFED = {
    "commander": "incident_commander",
    "operations": "operations_section_chief",
    "planning": "planning_section_chief",
    "logistics": "logistics_section_chief",
    "finance": "finance_section_chief",
    "staging": "staging_area_manager",
    "safety": "safety_officer",
}


@dataclass
class IcsWorld:
    incident_id: int
    eoc_id: int
    partner_id: int
    stranger_id: int
    users: dict[str, User]

    def actor(self, name: str) -> Actor:
        return actor_for(self.users[name])


def build_world(db: Session) -> IcsWorld:
    eoc = make_agency(db, kind=AgencyKind.EMERGENCY_MANAGEMENT)
    police = make_agency(db, kind=AgencyKind.LAW_ENFORCEMENT)
    partner = make_agency(db, kind=AgencyKind.LAW_ENFORCEMENT)
    stranger = make_agency(db, kind=AgencyKind.LAW_ENFORCEMENT)
    incident = create_incident(
        db,
        actor=SHELL,
        name="Lincoln High shooting",
        kind="school_shooting",
        place="Lincoln High School",
        started_at=datetime(2026, 11, 25, 14, tzinfo=UTC),
        lead_agency_id=eoc.id,
        agencies={police.id: "law_enforcement", partner.id: "support"},
    )
    users = {
        name: make_user(db, agency=eoc, roles={Role.INCIDENT_COMMAND}, username=f"ics.{name}")
        for name in STAFFED
    }
    users["unassigned"] = make_user(db, agency=eoc, roles={Role.INCIDENT_COMMAND})
    users["eoc_analyst"] = make_user(db, agency=eoc, roles={Role.ANALYST})
    users["police_supervisor"] = make_user(db, agency=police, roles={Role.SUPERVISOR})
    users["partner_supervisor"] = make_user(db, agency=partner, roles={Role.SUPERVISOR})
    users["stranger_commander"] = make_user(db, agency=stranger, roles={Role.INCIDENT_COMMAND})
    users["stranger_supervisor"] = make_user(db, agency=stranger, roles={Role.SUPERVISOR})
    commander = actor_for(users["commander"])
    for name, position in STAFFED.items():
        incident_records.assign_position(
            db, actor=commander, incident_id=incident.id, user_id=users[name].id, position=position
        )
    return IcsWorld(incident.id, eoc.id, partner.id, stranger.id, users)
