"""Policy rules for an incident's ICS records: the incident record itself (agencies,
operational periods, positions), its significant-events log and ICS forms, and its
ICS 213RR resource requests.

* Reading: staff who hold a position in the incident, and users of an agency involved
  in it who hold an incident-command, reunification or supervisor role. Nobody else
  (another agency, a role without a stake) learns the incident's records exist.
* Writing (logging an event, filing a form, asking for resources): a current ICS
  position in the incident. A draft form is edited and submitted by its author only;
  submitted records are never changed, a correction is a new record.
* Command (agencies, operational periods, positions, step expectations): the incident
  commander or deputy; or, to stand command up while nobody is incident commander,
  incident-command staff of an agency in unified command (agency role "command").
* A resource request moves only along `TRANSITIONS`, each step by the positions named
  there (the section chief approves, logistics orders, finance approves funding, ...);
  the requester or the incident commander may cancel it before it is received.
* Mutual-aid partners, the agencies involved in the incident, offer resources against
  a request through their supervisors or incident-command staff. An offer is accepted
  or declined by the positions that move the request on from its state (`OFFER_NEXT`:
  the section chiefs or the incident commander while it is requested, logistics once
  approved, finance once ordered).
* The shell (operator) may do all of it; a closed incident takes no new records.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from sqlalchemy import false, or_, select, true
from sqlalchemy.sql.elements import ColumnElement

from vigil.platform import policy
from vigil.platform.actor import Actor
from vigil.platform.roles import Role

POSITIONS: Final = {
    "incident_commander": "Incident commander",
    "deputy_incident_commander": "Deputy incident commander",
    "public_information_officer": "Public information officer",
    "safety_officer": "Safety officer",
    "liaison_officer": "Liaison officer",
    "operations_section_chief": "Operations section chief",
    "planning_section_chief": "Planning section chief",
    "logistics_section_chief": "Logistics section chief",
    "finance_section_chief": "Finance/administration section chief",
    "staging_area_manager": "Staging area manager",
    "resources_unit_leader": "Resources unit leader",
    "demobilization_unit_leader": "Demobilization unit leader",
    "supply_unit_leader": "Supply unit leader",
    "procurement_unit_leader": "Procurement unit leader",
}
COMMANDERS: Final = frozenset({"incident_commander", "deputy_incident_commander"})
SECTION_CHIEFS: Final = frozenset(
    {
        "operations_section_chief",
        "planning_section_chief",
        "logistics_section_chief",
        "finance_section_chief",
    }
)
LOGISTICS: Final = frozenset({"logistics_section_chief", "supply_unit_leader"})
FINANCE: Final = frozenset({"finance_section_chief", "procurement_unit_leader"})
# Who cancels: the request's author (whatever their position) or the commander.
REQUESTER: Final = "requester"
CANCELLABLE: Final = ("requested", "approved", "ordered", "funding_approved", "shipped")

# (from state, to state) -> the positions allowed to make that step.
TRANSITIONS: Final[Mapping[tuple[str, str], frozenset[str]]] = {
    ("requested", "approved"): SECTION_CHIEFS | {"incident_commander"},
    ("requested", "rejected"): SECTION_CHIEFS | {"incident_commander"},
    ("approved", "ordered"): LOGISTICS,
    ("approved", "rejected"): LOGISTICS,
    ("ordered", "funding_approved"): FINANCE,
    ("ordered", "rejected"): FINANCE,
    ("funding_approved", "shipped"): LOGISTICS,
    ("shipped", "received"): LOGISTICS | {"staging_area_manager", "operations_section_chief"},
    ("received", "demobilized"): frozenset(
        {"planning_section_chief", "demobilization_unit_leader", "logistics_section_chief"}
    ),
    **{(state, "cancelled"): frozenset({REQUESTER, "incident_commander"}) for state in CANCELLABLE},
}
# Mutual-aid offers are taken while a request is in one of these states, and decided
# (accepted or declined) by the positions that move the request on from that state.
OFFER_STATES: Final = ("requested", "approved", "ordered")
OFFER_NEXT: Final = {"requested": "approved", "approved": "ordered", "ordered": "funding_approved"}
# Agency roles in an incident that make up unified command.
COMMAND_AGENCY_ROLE: Final = "command"
READER_ROLES: Final = frozenset(
    r for r in Role if r.value in {"incident_command", "reunification", "supervisor"}
)
PARTNER_ROLES: Final = frozenset(r for r in Role if r.value in {"incident_command", "supervisor"})
WRITE_ACTIONS: Final = frozenset({"log_event", "file_form", "correct", "request"})
COMMAND_ACTIONS: Final = frozenset(
    {"assign_position", "add_agency", "add_period", "set_expectations", "set_status"}
)


@dataclass(frozen=True)
class IncidentRecordFacts:
    """An incident as the rules see it: its agencies (agency id -> role in the incident),
    the acting user's current positions in it, and whether it is closed."""

    incident_id: int
    agency_roles: Mapping[int, str] = field(default_factory=dict)
    positions: frozenset[str] = frozenset()
    closed: bool = False
    # Whether anyone holds the incident commander's position now.
    commanded: bool = False


@dataclass(frozen=True)
class FormFacts:
    """One form (or event) of an incident, with its author and state."""

    incident: IncidentRecordFacts
    author_user_id: int | None
    submitted: bool


@dataclass(frozen=True)
class StepFacts:
    """A resource request's proposed step, with who asked for the resource."""

    incident: IncidentRecordFacts
    from_state: str
    to_state: str
    requested_by_user_id: int | None


@dataclass(frozen=True)
class OfferDecisionFacts:
    """A mutual-aid offer to accept or decline, with the state of its request."""

    incident: IncidentRecordFacts
    request_state: str


def offer_deciders(request_state: str) -> frozenset[str]:
    """The positions that accept or decline offers on a request in this state: those
    that move it on (the section chiefs and the incident commander while requested,
    logistics once approved, finance once ordered); nobody once offers are closed."""
    following = OFFER_NEXT.get(request_state)
    if following is None:
        return frozenset()
    return allowed_positions(request_state, following) - {REQUESTER}


def may_decide_offer(actor: Actor, facts: OfferDecisionFacts) -> bool:
    deciders = offer_deciders(facts.request_state)
    if not deciders or facts.incident.closed:
        return False
    if actor.kind == "cli":
        return True
    return actor.is_user and bool(facts.incident.positions & deciders)


def may_read(actor: Actor, facts: IncidentRecordFacts) -> bool:
    if actor.kind == "cli":
        return True
    if not actor.is_user:
        return False
    if facts.positions:
        return True
    return (actor.agency_id or 0) in facts.agency_roles and bool(actor.roles & READER_ROLES)


def may_command(actor: Actor, facts: IncidentRecordFacts) -> bool:
    if actor.kind == "cli":
        return not facts.closed
    if not actor.is_user or facts.closed:
        return False
    if facts.positions & COMMANDERS:
        return True
    # Standing command up: until someone is incident commander, the incident-command
    # staff of an agency in unified command may assign positions.
    in_command = facts.agency_roles.get(actor.agency_id or 0) == COMMAND_AGENCY_ROLE
    return (
        not facts.commanded
        and in_command
        and any(r.value == "incident_command" for r in actor.roles)
    )


def allowed_positions(from_state: str, to_state: str) -> frozenset[str]:
    """The positions that may move a request from one state to the next (empty: never)."""
    return TRANSITIONS.get((from_state, to_state), frozenset())


def may_step(actor: Actor, facts: StepFacts) -> bool:
    allowed = allowed_positions(facts.from_state, facts.to_state)
    if not allowed or facts.incident.closed:
        return False
    if actor.kind == "cli":
        return True
    if not actor.is_user:
        return False
    held = set(facts.incident.positions)
    if held and actor.user_id == facts.requested_by_user_id:
        held.add(REQUESTER)
    return bool(held & allowed)


def incident_record_rule(actor: Actor, action: str, facts: Any) -> bool:
    if not isinstance(facts, IncidentRecordFacts):
        return False
    if action == "read":
        return may_read(actor, facts)
    if action in COMMAND_ACTIONS:
        return may_command(actor, facts)
    if action in WRITE_ACTIONS:
        if facts.closed or (not actor.is_user and actor.kind != "cli"):
            return False
        return actor.kind == "cli" or bool(facts.positions)
    if action == "offer":
        # A mutual-aid partner: any agency involved in the incident, through its
        # supervisors or incident-command staff.
        return (
            actor.is_user
            and not facts.closed
            and (actor.agency_id or 0) in facts.agency_roles
            and bool(actor.roles & PARTNER_ROLES)
        )
    return False


def ics_form_rule(actor: Actor, action: str, facts: Any) -> bool:
    if not isinstance(facts, FormFacts):
        return False
    incident = facts.incident
    if action == "read":
        # A draft is its author's working copy until submitted.
        if facts.submitted:
            return may_read(actor, incident)
        return actor.kind == "cli" or (
            may_read(actor, incident) and actor.user_id == facts.author_user_id
        )
    if action in ("edit", "submit"):
        if facts.submitted or incident.closed:
            return False
        if actor.kind == "cli":
            return True
        return actor.is_user and bool(incident.positions) and actor.user_id == facts.author_user_id
    if action == "correct":
        return facts.submitted and incident_record_rule(actor, "correct", incident)
    return False


def resource_request_rule(actor: Actor, action: str, facts: Any) -> bool:
    if isinstance(facts, StepFacts):
        return action == "transition" and may_step(actor, facts)
    if isinstance(facts, OfferDecisionFacts):
        return action == "decide_offer" and may_decide_offer(actor, facts)
    if not isinstance(facts, IncidentRecordFacts):
        return False
    if action == "read":
        return may_read(actor, facts) or incident_record_rule(actor, "offer", facts)
    if action == "create":
        return incident_record_rule(actor, "request", facts)
    if action == "offer":
        return incident_record_rule(actor, "offer", facts)
    if action == "set_expectations":
        return may_command(actor, facts) or bool(
            facts.positions & {"planning_section_chief", "logistics_section_chief"}
        )
    return False


def incident_record_scope(actor: Actor, action: str) -> ColumnElement[bool]:
    """The incidents whose records the actor reads, as a condition on ``incidents``."""
    from vigil.response.ics_models import StaffAssignment
    from vigil.response.models import Incident, IncidentAgency

    if actor.kind == "cli":
        return true()
    if action != "read" or not actor.is_user:
        return false()
    holding = Incident.id.in_(
        select(StaffAssignment.incident_id).where(
            StaffAssignment.user_id == actor.user_id, StaffAssignment.relieved_at.is_(None)
        )
    )
    if not actor.roles & READER_ROLES:
        return holding
    involved = Incident.id.in_(
        select(IncidentAgency.incident_id).where(IncidentAgency.agency_id == actor.agency_id)
    )
    return or_(holding, involved)


def catalogue_rule(actor: Actor, action: str, obj: Any) -> bool:
    # The resource-typing catalogue is public reference data: any signed-in user.
    return action == "read" and (actor.is_user or actor.kind == "cli")


def install() -> None:
    policy.register("incident_record", rule=incident_record_rule, scope_rule=incident_record_scope)
    policy.register("ics_form", rule=ics_form_rule)
    policy.register("resource_request", rule=resource_request_rule)
    policy.register("resource_catalogue", rule=catalogue_rule)
