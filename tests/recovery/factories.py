"""A victim-services provider and everyone around it, for the recovery tests."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from tests.factories import actor_for, make_agency, make_user
from vigil.platform.actor import Actor
from vigil.platform.models import Agency, User
from vigil.platform.roles import AgencyKind, Role
from vigil.recovery import cases
from vigil.recovery.models import SurvivorCase


@dataclass
class People:
    provider: Agency  # victim services: holds the cases
    other_provider: Agency  # victim services too, but not the holder
    police: Agency
    fusion: Agency
    school: Agency
    operator: Agency
    advocate: User
    colleague: User  # another advocate of the provider
    supervisor: User  # the provider's supervisor
    provider_analyst: User  # at the provider, but an intelligence role
    provider_ta: User  # at the provider, but a threat-assessment role
    outsiders: dict[str, User] = field(default_factory=dict)

    def actor(self, user: User) -> Actor:
        return actor_for(user)


def make_people(db: Session) -> People:
    provider = make_agency(db, kind=AgencyKind.VICTIM_SERVICES)
    other_provider = make_agency(db, kind=AgencyKind.VICTIM_SERVICES)
    police = make_agency(db, kind=AgencyKind.LAW_ENFORCEMENT)
    fusion = make_agency(db, kind=AgencyKind.FUSION_CENTER)
    school = make_agency(db, kind=AgencyKind.SCHOOL_OR_CAMPUS)
    operator = make_agency(db, kind=AgencyKind.FUSION_CENTER, is_operator=True)
    people = People(
        provider=provider,
        other_provider=other_provider,
        police=police,
        fusion=fusion,
        school=school,
        operator=operator,
        advocate=make_user(db, agency=provider),
        colleague=make_user(db, agency=provider),
        supervisor=make_user(db, agency=provider, roles={Role.SUPERVISOR}),
        provider_analyst=make_user(db, agency=provider, roles={Role.ANALYST, Role.SUPERVISOR}),
        provider_ta=make_user(db, agency=provider, roles={Role.THREAT_ASSESSMENT}),
    )
    # Every role at every agency that is not the holder: law enforcement, intelligence
    # (fusion center analysts), threat assessment, administrators, auditors.
    for agency, label in (
        (police, "police"),
        (fusion, "fusion"),
        (school, "school"),
        (operator, "operator"),
        (other_provider, "other_provider"),
    ):
        for role in Role:
            people.outsiders[f"{label}:{role.value}"] = make_user(db, agency=agency, roles={role})
        people.outsiders[f"{label}:all"] = make_user(db, agency=agency, roles=set(Role))
    people.outsiders["provider:analyst"] = people.provider_analyst
    people.outsiders["provider:threat_assessment"] = people.provider_ta
    return people


def open_case(db: Session, people: People, **extra: object) -> SurvivorCase:
    values: dict[str, object] = {
        "kind": "family",
        "display_name": "Rivera family",
        "preferred_language": "Spanish",
        "contact": "555-0100, ask for Ana",
        "notes": "Daughter was injured at the school; mother asks for a Spanish-speaking "
        "counsellor.",
    }
    values.update(extra)
    return cases.open_case(db, actor=people.actor(people.advocate), **values)  # type: ignore[arg-type]
