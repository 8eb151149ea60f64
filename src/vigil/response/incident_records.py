"""An incident as a full record: its agencies in unified command and their roles, its
operational periods, the ICS positions its staff hold, and its significant-events log.

Every service asks the policy (incident_rules) first and writes the audit trail after,
with ids and counts only: no names, summaries or form text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.platform import audit, policy
from vigil.platform.actor import Actor
from vigil.platform.errors import Conflict, InvalidInput, NotFound
from vigil.platform.models import Agency, User
from vigil.platform.policy.incident_rules import POSITIONS, IncidentRecordFacts
from vigil.platform.types import utcnow
from vigil.response.ics_models import IncidentEvent, OperationalPeriod, StaffAssignment
from vigil.response.models import Incident, IncidentAgency

AGENCY_ROLES: Final = {
    "command": "Unified command",
    "law_enforcement": "Law enforcement",
    "reunification": "Reunification",
    "hospital": "Hospital",
    "school": "School",
    "medical_examiner": "Medical examiner",
    "support": "Mutual aid / support",
}
EVENT_KINDS: Final = {
    "report": "Report received",
    "action": "Action taken",
    "decision": "Command decision",
    "casualty": "Casualty information",
    "resource": "Resource movement",
    "public_information": "Public information",
    "safety": "Safety",
    "correction": "Correction",
}
MAX_SUMMARY: Final = 2000
MAX_PERIOD: Final = timedelta(days=7)


@dataclass(frozen=True)
class IncidentView:
    """An incident with its agencies, periods and current staff, for one reader."""

    incident: Incident
    agencies: list[tuple[Agency, str]]
    periods: list[OperationalPeriod]
    staff: list[tuple[StaffAssignment, str]]  # with the user's display name
    facts: IncidentRecordFacts
    # What the reader may do here: command, write (events, forms), request, expect.
    may: dict[str, bool]
    # Users who may be given a position (of the incident's agencies), for command only:
    # (user id, display name, agency name).
    candidates: list[tuple[int, str, str]]


def _incident(session: Session, incident_id: int) -> Incident:
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise NotFound("incident_record")
    return incident


def facts_for(session: Session, actor: Actor, incident: Incident) -> IncidentRecordFacts:
    """What the rules need: the incident's agencies and the actor's current positions."""
    roles = dict(
        session.execute(
            select(IncidentAgency.agency_id, IncidentAgency.role).where(
                IncidentAgency.incident_id == incident.id
            )
        ).all()
    )
    held = session.execute(
        select(StaffAssignment.user_id, StaffAssignment.position).where(
            StaffAssignment.incident_id == incident.id, StaffAssignment.relieved_at.is_(None)
        )
    ).all()
    positions = frozenset(str(position) for user_id, position in held if user_id == actor.user_id)
    return IncidentRecordFacts(
        incident_id=incident.id,
        agency_roles={int(k): str(v) for k, v in roles.items()},
        positions=positions,
        closed=incident.status == "closed",
        commanded=any(position == "incident_commander" for _, position in held),
    )


def authorize_incident(
    session: Session, actor: Actor, action: str, incident_id: int, object_type: str
) -> tuple[Incident, IncidentRecordFacts]:
    """The incident and its facts if the actor may do ``action``; an incident the actor
    may not even read is NotFound (its existence is not theirs to learn)."""
    incident = _incident(session, incident_id)
    facts = facts_for(session, actor, incident)
    if not policy.decide(actor, "read", "incident_record", facts) and not policy.decide(
        actor, "read", object_type, facts
    ):
        raise NotFound("incident_record")
    policy.authorize(actor, action, object_type, facts)
    return incident, facts


def actor_name(actor: Actor) -> str:
    return (actor.username or "operator")[:150]


def main_position(facts: IncidentRecordFacts) -> str | None:
    """The actor's senior-most position, for attributing what they write."""
    return next((p for p in POSITIONS if p in facts.positions), None)


def list_incidents(session: Session, *, actor: Actor) -> list[Incident]:
    """The incidents whose records the actor reads, newest first."""
    condition = policy.scope(actor, "read", "incident_record")
    return list(
        session.execute(
            select(Incident).where(condition).order_by(Incident.started_at.desc()).limit(200)
        ).scalars()
    )


def view_incident(session: Session, *, actor: Actor, incident_id: int) -> IncidentView:
    incident, facts = authorize_incident(session, actor, "read", incident_id, "incident_record")
    agencies = [
        (agency, role)
        for agency, role in session.execute(
            select(Agency, IncidentAgency.role)
            .join(IncidentAgency, IncidentAgency.agency_id == Agency.id)
            .where(IncidentAgency.incident_id == incident_id)
            .order_by(IncidentAgency.role != "command", Agency.name)
        ).all()
    ]
    periods = list(
        session.execute(
            select(OperationalPeriod)
            .where(OperationalPeriod.incident_id == incident_id)
            .order_by(OperationalPeriod.number)
        ).scalars()
    )
    staff = [
        (assignment, name)
        for assignment, name in session.execute(
            select(StaffAssignment, User.display_name)
            .join(User, User.id == StaffAssignment.user_id)
            .where(
                StaffAssignment.incident_id == incident_id, StaffAssignment.relieved_at.is_(None)
            )
            .order_by(StaffAssignment.id)
        ).all()
    ]
    may = {
        "command": policy.decide(actor, "assign_position", "incident_record", facts),
        "write": policy.decide(actor, "log_event", "incident_record", facts),
        "request": policy.decide(actor, "create", "resource_request", facts),
        "expect": policy.decide(actor, "set_expectations", "resource_request", facts),
    }
    candidates: list[tuple[int, str, str]] = []
    if may["command"]:
        candidates = [
            (int(user_id), str(name), str(agency))
            for user_id, name, agency in session.execute(
                select(User.id, User.display_name, Agency.name)
                .join(Agency, Agency.id == User.agency_id)
                .where(User.agency_id.in_(list(facts.agency_roles)), User.disabled_at.is_(None))
                .order_by(Agency.name, User.display_name)
                .limit(500)
            ).all()
        ]
    return IncidentView(incident, agencies, periods, staff, facts, may, candidates)


def may_offer(session: Session, *, actor: Actor, incident_id: int) -> bool:
    """Whether the actor's agency may offer resources against this incident's requests."""
    facts = facts_for(session, actor, _incident(session, incident_id))
    return policy.decide(actor, "offer", "resource_request", facts)


def all_agencies(session: Session, *, actor: Actor, incident_id: int) -> list[Agency]:
    """The agencies that command may bring into the incident (active ones)."""
    authorize_incident(session, actor, "add_agency", incident_id, "incident_record")
    return list(
        session.execute(select(Agency).where(Agency.active.is_(True)).order_by(Agency.name))
        .scalars()
        .all()
    )


def add_agency(
    session: Session, *, actor: Actor, incident_id: int, agency_id: int, role: str
) -> None:
    """Bring an agency into the incident (or change its role): unified command, a
    hospital, a mutual-aid partner, ..."""
    authorize_incident(session, actor, "add_agency", incident_id, "incident_record")
    errors = {}
    if role not in AGENCY_ROLES:
        errors["role"] = "Choose the agency's role: " + ", ".join(AGENCY_ROLES)
    if session.get(Agency, agency_id) is None:
        errors["agency_id"] = "Choose an agency."
    if errors:
        raise InvalidInput(errors)
    row = session.get(IncidentAgency, (incident_id, agency_id))
    if row is None:
        session.add(IncidentAgency(incident_id=incident_id, agency_id=agency_id, role=role))
    else:
        row.role = role
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="incident.agency_set",
        object_type="incident",
        object_id=incident_id,
        details={"agency_id": agency_id, "role": role},
    )


def add_period(
    session: Session, *, actor: Actor, incident_id: int, starts_at: datetime, ends_at: datetime
) -> OperationalPeriod:
    """Open the next operational period (numbered in order, not overlapping the last)."""
    authorize_incident(session, actor, "add_period", incident_id, "incident_record")
    last = session.execute(
        select(OperationalPeriod)
        .where(OperationalPeriod.incident_id == incident_id)
        .order_by(OperationalPeriod.number.desc())
        .limit(1)
    ).scalar_one_or_none()
    if ends_at <= starts_at:
        raise InvalidInput({"ends_at": "The period must end after it starts."})
    if ends_at - starts_at > MAX_PERIOD:
        raise InvalidInput({"ends_at": "An operational period lasts at most 7 days."})
    if last is not None and starts_at < last.ends_at:
        raise InvalidInput(
            {"starts_at": f"Period {last.number} runs until {last.ends_at:%Y-%m-%d %H:%M} UTC."}
        )
    period = OperationalPeriod(
        incident_id=incident_id,
        number=(last.number + 1) if last else 1,
        starts_at=starts_at,
        ends_at=ends_at,
        created_by_user_id=actor.user_id,
    )
    session.add(period)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="incident.period_add",
        object_type="incident",
        object_id=incident_id,
        details={"period": period.number},
    )
    return period


def assign_position(
    session: Session, *, actor: Actor, incident_id: int, user_id: int, position: str
) -> StaffAssignment:
    """Put a user of an agency involved in the incident into an ICS position."""
    _, facts = authorize_incident(session, actor, "assign_position", incident_id, "incident_record")
    errors = {}
    if position not in POSITIONS:
        errors["position"] = "Choose an ICS position."
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        errors["user_id"] = "Choose an active user."
    elif user.agency_id not in facts.agency_roles:
        errors["user_id"] = "The user's agency is not part of this incident; add it first."
    if errors or user is None:
        raise InvalidInput(errors)
    held = session.execute(
        select(StaffAssignment.id).where(
            StaffAssignment.incident_id == incident_id,
            StaffAssignment.user_id == user_id,
            StaffAssignment.position == position,
            StaffAssignment.relieved_at.is_(None),
        )
    ).first()
    if held is not None:
        raise Conflict("That user already holds that position.", field="position")
    assignment = StaffAssignment(
        incident_id=incident_id,
        user_id=user_id,
        agency_id=user.agency_id,
        position=position,
        assigned_by_user_id=actor.user_id,
    )
    session.add(assignment)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="incident.position_assign",
        object_type="incident",
        object_id=incident_id,
        details={"assignment_id": assignment.id, "position": position, "user_id": user_id},
    )
    return assignment


def relieve_position(
    session: Session, *, actor: Actor, incident_id: int, assignment_id: int
) -> None:
    """End a position assignment (the record of who held it stays)."""
    authorize_incident(session, actor, "assign_position", incident_id, "incident_record")
    assignment = session.get(StaffAssignment, assignment_id)
    if assignment is None or assignment.incident_id != incident_id:
        raise NotFound("incident_record")
    if assignment.relieved_at is not None:
        raise Conflict("That assignment has already ended.")
    assignment.relieved_at = utcnow()
    assignment.relieved_by_user_id = actor.user_id
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="incident.position_relieve",
        object_type="incident",
        object_id=incident_id,
        details={"assignment_id": assignment_id},
    )


def log_event(
    session: Session,
    *,
    actor: Actor,
    incident_id: int,
    kind: str,
    summary: str,
    occurred_at: datetime,
    corrects_id: int | None = None,
) -> IncidentEvent:
    """Append a significant event (or a correction of an earlier one) to the log."""
    _, facts = authorize_incident(session, actor, "log_event", incident_id, "incident_record")
    errors = {}
    if kind not in EVENT_KINDS:
        errors["kind"] = "Choose what kind of event this is."
    summary = summary.strip()
    if not summary or len(summary) > MAX_SUMMARY:
        errors["summary"] = f"Describe the event in 1 to {MAX_SUMMARY:,} characters."
    if occurred_at > utcnow() + timedelta(minutes=5):
        errors["occurred_at"] = "An event cannot be logged before it happens."
    if corrects_id is not None:
        corrected = session.get(IncidentEvent, corrects_id)
        if corrected is None or corrected.incident_id != incident_id:
            errors["corrects_id"] = "Choose an event of this incident to correct."
    if errors:
        raise InvalidInput(errors)
    event = IncidentEvent(
        incident_id=incident_id,
        occurred_at=occurred_at,
        kind=kind,
        summary=summary,
        author_user_id=actor.user_id,
        author_name=actor_name(actor),
        author_position=main_position(facts),
        agency_id=actor.agency_id,
        corrects_id=corrects_id,
    )
    session.add(event)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="incident.event_log",
        object_type="incident",
        object_id=incident_id,
        details={"event_id": event.id, "kind": kind, "corrects_id": corrects_id},
    )
    return event


def list_events(session: Session, *, actor: Actor, incident_id: int) -> list[IncidentEvent]:
    """The significant-events log, in the order things happened."""
    authorize_incident(session, actor, "read", incident_id, "incident_record")
    return list(
        session.execute(
            select(IncidentEvent)
            .where(IncidentEvent.incident_id == incident_id)
            .order_by(IncidentEvent.occurred_at, IncidentEvent.id)
        ).scalars()
    )
