"""Agencies, staff and reports for the sharing tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from tests.factories import actor_for, make_agency, make_user
from tests.reports.factories import make_report
from vigil.platform.actor import Actor
from vigil.platform.models import Agency, User
from vigil.platform.roles import Role
from vigil.reports.models import Report

SUBJECT = {
    "given_name": "Jordan",
    "family_name": "Reyes",
    "aliases": ["JR"],
    "phones": ["+1 555 0100"],
    "emails": ["jr@example.org"],
    "handles": ["@jr_rifle"],
    "addresses": ["12 Elm St"],
    "school_or_employer": "Central High",
    "description": "Tall, <b>bold</b> jacket",
    "sex": "male",
    "age_min": 16,
    "age_max": 18,
}


@dataclass
class Partners:
    """Two agencies of one instance, each with an analyst, and a third with an admin."""

    home: Agency
    partner: Agency
    other: Agency
    analyst: User
    supervisor: User
    admin: User
    partner_analyst: User
    other_analyst: User

    def actor(self, user: User) -> Actor:
        return actor_for(user)


def make_partners(db: Session) -> Partners:
    home, partner, other = make_agency(db), make_agency(db), make_agency(db)
    return Partners(
        home=home,
        partner=partner,
        other=other,
        analyst=make_user(db, agency=home, roles={Role.ANALYST}),
        supervisor=make_user(db, agency=home, roles={Role.SUPERVISOR}),
        admin=make_user(db, agency=home, roles={Role.AGENCY_ADMIN}),
        partner_analyst=make_user(db, agency=partner, roles={Role.ANALYST}),
        other_analyst=make_user(db, agency=other, roles={Role.ANALYST}),
    )


def full_report(db: Session, agency: Agency, *, marking: str = "GREEN", **extra: Any) -> Report:
    """A report with every field the STIX mapping covers."""
    report = make_report(
        db,
        agency=agency,
        kind="sar",
        marking=marking,
        narrative="He said <script>alert(1)</script> he would bring a rifle to the game.",
        behaviors=["expressed_or_implied_threat", "weapons_collection_discovery"],
        mentions=[SUBJECT, {"role": "witness", "given_name": "Ana", "family_name": "Lopez"}],
        **extra,
    )
    report.occurred_at = datetime(2026, 5, 1, 14, 30, tzinfo=UTC)
    report.location_text = "North gate, Central High"
    report.latitude, report.longitude = 40.7128, -74.006
    report.weapons = ["rifle"]
    report.target_types = ["school"]
    report.target_name = "Central High"
    report.urgency_level, report.urgency_score = "high", 42
    report.urgency_rules = [{"rule": "weapon", "label": "Weapon named", "points": 20}]
    db.flush()
    return report
