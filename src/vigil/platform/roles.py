"""Agency kinds, user roles and the permissions each role carries."""

from __future__ import annotations

from enum import StrEnum


class AgencyKind(StrEnum):
    LAW_ENFORCEMENT = "law_enforcement"
    FUSION_CENTER = "fusion_center"
    SCHOOL_OR_CAMPUS = "school_or_campus"
    EMERGENCY_MANAGEMENT = "emergency_management"
    PUBLIC_OR_MENTAL_HEALTH = "public_or_mental_health"
    VICTIM_SERVICES = "victim_services"
    OTHER = "other"

    @property
    def label(self) -> str:
        return AGENCY_KIND_LABELS[self]


AGENCY_KIND_LABELS = {
    AgencyKind.LAW_ENFORCEMENT: "Law enforcement",
    AgencyKind.FUSION_CENTER: "Fusion center",
    AgencyKind.SCHOOL_OR_CAMPUS: "School or campus",
    AgencyKind.EMERGENCY_MANAGEMENT: "Emergency management",
    AgencyKind.PUBLIC_OR_MENTAL_HEALTH: "Public or mental health",
    AgencyKind.VICTIM_SERVICES: "Victim services",
    AgencyKind.OTHER: "Other",
}


class Role(StrEnum):
    ANALYST = "analyst"
    SUPERVISOR = "supervisor"
    TIPLINE_OPERATOR = "tipline_operator"
    THREAT_ASSESSMENT = "threat_assessment"
    AGENCY_ADMIN = "agency_admin"
    SYSTEM_ADMIN = "system_admin"
    AUDITOR = "auditor"
    INCIDENT_COMMAND = "incident_command"
    REUNIFICATION = "reunification"
    VICTIM_ADVOCATE = "victim_advocate"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.ANALYST: "Analyst",
    Role.SUPERVISOR: "Supervisor",
    Role.TIPLINE_OPERATOR: "Tip-line operator",
    Role.THREAT_ASSESSMENT: "Threat-assessment team member",
    Role.AGENCY_ADMIN: "Agency administrator",
    Role.SYSTEM_ADMIN: "System administrator",
    Role.AUDITOR: "Auditor",
    Role.INCIDENT_COMMAND: "Incident command staff",
    Role.REUNIFICATION: "Reunification staff",
    Role.VICTIM_ADVOCATE: "Victim advocate",
}

# Roles that only users of the operator agency (the one that runs the instance) may hold:
# they reach across agencies.
OPERATOR_ONLY_ROLES = frozenset({Role.SYSTEM_ADMIN})


def parse_roles(values: object) -> frozenset[Role]:
    """Turn stored or submitted role names into roles, ignoring unknown names."""
    if not isinstance(values, (list, tuple, set, frozenset)):
        return frozenset()
    known = {role.value for role in Role}
    return frozenset(Role(value) for value in values if value in known)
