"""Synthetic demo data: agencies of a small state community and a user for every role."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy.orm import Session

from vigil.platform import accounts, audit
from vigil.platform.actor import Actor
from vigil.platform.roles import AgencyKind, Role
from vigil.platform.settings import Settings

DEMO_AGENCIES: tuple[tuple[str, AgencyKind, bool], ...] = (
    ("Columbia State Fusion Center", AgencyKind.FUSION_CENTER, True),
    ("Riverton Police Department", AgencyKind.LAW_ENFORCEMENT, False),
    ("Lakeside Police Department", AgencyKind.LAW_ENFORCEMENT, False),
    ("Hill County Sheriff's Office", AgencyKind.LAW_ENFORCEMENT, False),
    ("Riverton Unified School District", AgencyKind.SCHOOL_OR_CAMPUS, False),
    ("Lakeside Public Schools", AgencyKind.SCHOOL_OR_CAMPUS, False),
    ("Hill County Emergency Management", AgencyKind.EMERGENCY_MANAGEMENT, False),
    ("Hill County Victim Services", AgencyKind.VICTIM_SERVICES, False),
)

# (username, display name, agency index, roles)
DEMO_USERS: tuple[tuple[str, str, int, frozenset[Role]], ...] = (
    ("sysadmin", "Sam Sysadmin", 0, frozenset({Role.SYSTEM_ADMIN, Role.AGENCY_ADMIN})),
    ("fc.analyst", "Fatima Analyst", 0, frozenset({Role.ANALYST})),
    ("fc.supervisor", "Frank Supervisor", 0, frozenset({Role.SUPERVISOR, Role.ANALYST})),
    ("fc.tipline", "Tina Tipline", 0, frozenset({Role.TIPLINE_OPERATOR})),
    ("fc.auditor", "Omar Auditor", 0, frozenset({Role.AUDITOR})),
    ("rpd.admin", "Rita Admin", 1, frozenset({Role.AGENCY_ADMIN, Role.ANALYST})),
    ("rpd.analyst", "Raj Analyst", 1, frozenset({Role.ANALYST})),
    ("rpd.auditor", "Rosa Auditor", 1, frozenset({Role.AUDITOR})),
    ("lpd.analyst", "Luis Analyst", 2, frozenset({Role.ANALYST})),
    ("hcso.supervisor", "Hana Supervisor", 3, frozenset({Role.SUPERVISOR, Role.ANALYST})),
    ("rusd.tat", "Tom Threat-Assessment", 4, frozenset({Role.THREAT_ASSESSMENT})),
    ("rusd.admin", "Una Admin", 4, frozenset({Role.AGENCY_ADMIN, Role.THREAT_ASSESSMENT})),
    ("lps.tat", "Lena Threat-Assessment", 5, frozenset({Role.THREAT_ASSESSMENT})),
    ("rusd.reunify", "Rosa Reunification", 4, frozenset({Role.REUNIFICATION})),
    ("hcem.analyst", "Eli Emergency-Management", 6, frozenset({Role.ANALYST})),
    ("hcem.commander", "Carmen Commander", 6, frozenset({Role.INCIDENT_COMMAND})),
    ("hcem.reunify", "Ray Reunification", 6, frozenset({Role.REUNIFICATION})),
    ("hcvs.advocate", "Vera Advocate", 7, frozenset({Role.VICTIM_ADVOCATE})),
    ("hcvs.supervisor", "Victor Supervisor", 7, frozenset({Role.SUPERVISOR})),
)


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    agency: str
    roles: tuple[str, ...]


def demo_password() -> str:
    return "-".join(secrets.token_hex(3) for _ in range(4))


def seed(db: Session, *, settings: Settings, actor: Actor) -> list[DemoLogin]:
    """Create the demo agencies and users; return the logins (shown once, never stored)."""
    agencies = [
        accounts.create_agency(db, actor=actor, name=name, kind=kind, is_operator=operator)
        for name, kind, operator in DEMO_AGENCIES
    ]
    logins = []
    for username, display_name, agency_index, roles in DEMO_USERS:
        password = demo_password()
        agency = agencies[agency_index]
        accounts.create_user(
            db,
            actor=actor,
            settings=settings,
            agency_id=agency.id,
            username=username,
            display_name=display_name,
            email=None,
            roles=roles,
            password=password,
        )
        logins.append(
            DemoLogin(username, password, agency.name, tuple(sorted(role.label for role in roles)))
        )
    audit.record(db, actor=actor, action="demo.seed", details={"users": len(logins)})
    return logins
