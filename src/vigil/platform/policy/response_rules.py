"""Policy rules for reunification data (PFIF persons and notes of an incident).

Reunification data is its own regime, scoped to one incident:

* It is worked by the agencies involved in the incident in a response role
  (unified command, reunification, a hospital, the school, the medical examiner),
  and there only by staff who hold a reunification or incident-command role, or are
  supervisors. `REUNIFICATION_ROLES` names those roles; they are looked up by name
  so that the rule holds as soon as the platform defines them.
* Intelligence and threat-assessment staff (analyst, threat-assessment) never see
  it through this rule, even at an involved agency, unless they also hold a
  reunification role; those of an involved agency may read one person's record
  at a time for a documented reason (`read_with_reason`), which is kept and audited.
* Records not (yet) tied to an incident, opening an incident, and the PFIF import
  are the operator's at the server's shell (which already grants the database).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from sqlalchemy import false, select, true
from sqlalchemy.sql.elements import ColumnElement

from vigil.platform import policy
from vigil.platform.actor import Actor
from vigil.platform.roles import Role

# Role names for reunification and incident command (see the module docstring).
REUNIFICATION_ROLE_NAMES: Final = frozenset({"reunification", "incident_command"})
REUNIFICATION_ROLES: Final = frozenset(r for r in Role if r.value in REUNIFICATION_ROLE_NAMES)
WORKER_ROLES: Final = REUNIFICATION_ROLES | {Role.SUPERVISOR}
EXCLUDED_ROLES: Final = frozenset({Role.ANALYST, Role.THREAT_ASSESSMENT})
# An agency's role in an incident that entitles it to reunification data.
RESPONSE_AGENCY_ROLES: Final = frozenset(
    {"command", "reunification", "hospital", "school", "medical_examiner"}
)
SHELL_ACTIONS: Final = frozenset(
    {
        "import",
        "export",
        "read",
        "expire",
        "open_incident",
        "close_incident",
        "upload",
        "match",
        "confirm",
        "link",
        *("manage_site", "account", "check_in", "release"),
    }
)
# "link": staff recording that two list rows are the same person.
USER_ACTIONS: Final = frozenset({"read", "export", "upload", "match", "confirm", "link"})
# The reunification-site desk (sites, guardians, arrivals, check-in, release) is run by
# the agencies reuniting families, not by a hospital or the medical examiner.
SITE_ACTIONS: Final = frozenset({"manage_site", "account", "check_in", "release"})
SITE_AGENCY_ROLES: Final = frozenset({"command", "reunification", "school"})
# Who may open an incident's common operating picture: command, reunification staff
# and supervisors of any agency involved (police and support too); each section of
# the picture then asks the policy of its own records.
PICTURE_ROLES: Final = REUNIFICATION_ROLES | {Role.SUPERVISOR}


# A documented reason must say this much before anyone outside the regime reads.
MIN_REASON_CHARS: Final = 20


@dataclass(frozen=True)
class IncidentFacts:
    """An incident and the agencies involved in it, with each one's incident role."""

    incident_id: int
    agency_roles: dict[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ReasonedRead:
    """A read asked for by someone outside the regime, with the reason they gave."""

    incident: IncidentFacts
    reason: str


def _worker(actor: Actor) -> bool:
    if not actor.is_user or not actor.roles & WORKER_ROLES:
        return False
    return not (actor.roles & EXCLUDED_ROLES) or bool(actor.roles & REUNIFICATION_ROLES)


def reunification_rule(actor: Actor, action: str, facts: Any) -> bool:
    if actor.kind == "cli":
        return action in SHELL_ACTIONS
    if action == "read_with_reason":
        # Intelligence or threat-assessment staff of an agency involved in the incident,
        # one person at a time, for a documented reason that is kept and audited.
        return (
            actor.is_user
            and bool(actor.roles & EXCLUDED_ROLES)
            and isinstance(facts, ReasonedRead)
            and len(facts.reason.strip()) >= MIN_REASON_CHARS
            and (actor.agency_id or 0) in facts.incident.agency_roles
        )
    if not _worker(actor) or not isinstance(facts, IncidentFacts):
        return False
    role = facts.agency_roles.get(actor.agency_id or 0)
    if action == "close_incident":
        return role == "command"
    if action in SITE_ACTIONS:
        return role in SITE_AGENCY_ROLES
    return action in USER_ACTIONS and role in RESPONSE_AGENCY_ROLES


def operating_picture_rule(actor: Actor, action: str, facts: Any) -> bool:
    """An incident's common operating picture (IncidentFacts): read by the shell, and by
    command, reunification staff and supervisors of an agency involved in any role."""
    if action != "read" or not isinstance(facts, IncidentFacts):
        return False
    if actor.kind == "cli":
        return True
    return (
        actor.is_user
        and bool(actor.roles & PICTURE_ROLES)
        and (actor.agency_id or 0) in facts.agency_roles
    )


def reunification_scope(actor: Actor, action: str) -> ColumnElement[bool]:
    from vigil.response.models import IncidentAgency, ReunificationPerson

    if actor.kind == "cli":
        return true()
    if action not in USER_ACTIONS or not _worker(actor):
        return false()
    involved = select(IncidentAgency.incident_id).where(
        IncidentAgency.agency_id == actor.agency_id,
        IncidentAgency.role.in_(sorted(RESPONSE_AGENCY_ROLES)),
    )
    return ReunificationPerson.incident_id.in_(involved)


def install() -> None:
    policy.register("reunification", rule=reunification_rule, scope_rule=reunification_scope)
    policy.register("operating_picture", rule=operating_picture_rule)
