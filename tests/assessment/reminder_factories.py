"""Cases stored directly (no report, no audit) for the reminder tests, with a subject
whose name and description must never reach an e-mail, a notification or the audit
trail; interventions and reviews go through the plan services."""

from __future__ import annotations

import uuid
from datetime import date
from email import policy as email_policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

from sqlalchemy.orm import Session

from tests.factories import make_user
from vigil.assessment.models import Case, CaseMember, CaseSubject
from vigil.platform.models import Agency, User
from vigil.platform.roles import Role
from vigil.platform.types import utcnow

SUBJECT_NAME = "Ravenna Blackwood"
SUBJECT_DESCRIPTION = "Posted that she will burn down the chapel on Sunday"
CASE_TITLE = "Threats against St. Brigid's chapel by Ravenna Blackwood"
INTERVENTION_DESCRIPTION = "Ask Ravenna's mother about the rifle in the garage"
SECRETS = (
    "Ravenna",
    "Blackwood",
    "chapel",
    "rifle",
    SUBJECT_DESCRIPTION,
    INTERVENTION_DESCRIPTION,
)


def make_staff(
    db: Session,
    *,
    agency: Agency,
    email: str | None = "default",
    roles: frozenset[Role] = frozenset({Role.THREAT_ASSESSMENT}),
) -> User:
    user = make_user(db, agency=agency, roles=roles)
    user.email = f"{user.username}@agency.example" if email == "default" else email
    db.flush()
    return user


def make_case(
    db: Session,
    *,
    agency: Agency,
    lead: User,
    status: str = "managing",
    next_review_on: date | None = None,
    members: tuple[User, ...] = (),
) -> Case:
    """An active case led by ``lead`` (other ``members`` on the team) about one subject."""
    now = utcnow()
    case = Case(
        number=f"TA-T-{uuid.uuid4().hex[:10].upper()}",
        title=CASE_TITLE,
        owner_agency_id=agency.id,
        regime="threat_assessment",
        status=status,
        opened_at=now,
        status_changed_at=now,
        updated_at=now,
        review_interval_days=30,
        next_review_on=next_review_on,
    )
    db.add(case)
    db.flush()
    db.add(CaseSubject(case_id=case.id, display_name=SUBJECT_NAME, description=SUBJECT_DESCRIPTION))
    for user, role in ((lead, "lead"), *((member, "member") for member in members)):
        db.add(
            CaseMember(case_id=case.id, user_id=user.id, agency_id=user.agency_id, team_role=role)
        )
    db.flush()
    return case


def read_outbox(directory: Path) -> list[EmailMessage]:
    """The messages the file mail backend wrote, oldest first."""
    if not directory.exists():
        return []
    messages = []
    for path in sorted(directory.glob("*.eml")):
        parsed = BytesParser(policy=email_policy.default).parsebytes(path.read_bytes())
        assert isinstance(parsed, EmailMessage)
        messages.append(parsed)
    return messages
