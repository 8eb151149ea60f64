"""Agencies, staff and cases for the threat-assessment tests: two agencies, the roles
that work cases, and a case opened through the real service from a report."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from tests.factories import actor_for, make_agency, make_user
from tests.reports.factories import make_report
from vigil.assessment import cases
from vigil.assessment.models import Case
from vigil.platform.actor import Actor
from vigil.platform.models import Agency, User
from vigil.platform.roles import AgencyKind, Role


@dataclass
class Staff:
    school: Agency
    police: Agency
    lead: User  # threat-assessment staff of the school
    colleague: User  # threat-assessment staff of the school, not on the team
    supervisor: User  # the school's supervisor
    analyst: User  # a school analyst
    officer: User  # threat-assessment staff of the police
    police_supervisor: User
    admin: User  # agency administrator (no case role)

    def actor(self, user: User) -> Actor:
        return actor_for(user)


def make_staff(db: Session) -> Staff:
    school = make_agency(db, kind=AgencyKind.SCHOOL_OR_CAMPUS)
    police = make_agency(db, kind=AgencyKind.LAW_ENFORCEMENT)
    ta = {Role.THREAT_ASSESSMENT}
    return Staff(
        school=school,
        police=police,
        lead=make_user(db, agency=school, roles=ta),
        colleague=make_user(db, agency=school, roles=ta),
        supervisor=make_user(db, agency=school, roles={Role.SUPERVISOR}),
        analyst=make_user(db, agency=school, roles={Role.ANALYST}),
        officer=make_user(db, agency=police, roles=ta),
        police_supervisor=make_user(db, agency=police, roles={Role.SUPERVISOR}),
        admin=make_user(db, agency=school, roles={Role.AGENCY_ADMIN}),
    )


def open_case(
    db: Session, staff: Staff, *, title: str = "Concerning drawings in art class", **extra: object
) -> Case:
    report = make_report(
        db,
        agency=staff.school,
        mentions=[
            {"given_name": "Jordan", "family_name": "Reyes", "description": "Grade 10"},
            {"role": "reporting_party", "given_name": "Pat", "family_name": "Lee"},
        ],
    )
    return cases.open_case(
        db, actor=staff.actor(staff.lead), title=title, report_id=report.id, **extra
    )
