"""One family's inquiry taken at the phone bank (or typed from the web form), checked by
the same rules as an inquiries file, with how to reach the family kept beside it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vigil.platform import audit, policy
from vigil.platform.actor import Actor
from vigil.platform.errors import InvalidInput
from vigil.response.match_files import MAX_FIELD_CHARS, check_rows
from vigil.response.models import Inquiry
from vigil.response.pfif_exchange import incident_facts
from vigil.response.profiles import parse_date, parse_sex
from vigil.response.site_models import InquiryContact

REFERENCE_PREFIX: Final = "PB-"


@dataclass(frozen=True)
class CallerInquiry:
    """What the caller said: who they are looking for and how to reach them."""

    full_name: str
    dob: str = ""
    age: str = ""
    sex: str = ""
    description: str = ""
    relationship: str = ""
    contact: str = ""
    caller_name: str = ""


def _reference(session: Session, incident_id: int) -> str:
    count = session.execute(
        select(func.count()).select_from(Inquiry).where(Inquiry.incident_id == incident_id)
    ).scalar_one()
    number = int(count) + 1
    while True:
        reference = f"{REFERENCE_PREFIX}{number:05d}"
        taken = session.execute(
            select(Inquiry.id).where(
                Inquiry.incident_id == incident_id, Inquiry.reference == reference
            )
        ).first()
        if taken is None:
            return reference
        number += 1


def take_inquiry(
    session: Session, *, actor: Actor, incident_id: int, call: CallerInquiry, today: date
) -> Inquiry:
    """Store one inquiry with a new reference (PB-00001, ...); InvalidInput names each
    field that is wrong."""
    policy.authorize(actor, "upload", "reunification", incident_facts(session, incident_id))
    errors: dict[str, str] = {}
    if not (call.full_name.strip() or call.description.strip()):
        errors["full_name"] = "give the name, or describe the person if the name is not known"
    if not (call.dob.strip() or call.age.strip() or call.description.strip()):
        errors["dob"] = "give a date of birth or an age (or a description)"
    if not 1 <= len(call.contact.strip()) <= 200:
        errors["contact"] = "give a phone number or address to reach the family"
    if not call.relationship.strip() or len(call.relationship) > 100:
        errors["relationship"] = "say how the caller is related (1 to 100 characters)"
    if len(call.caller_name) > 300 or len(call.full_name) > 300:
        errors["caller_name"] = "keep names within 300 characters"
    if len(call.description) > MAX_FIELD_CHARS:
        errors["description"] = f"keep the description within {MAX_FIELD_CHARS:,} characters"
    row = {
        "id": "call",
        "full_name": call.full_name.strip(),
        "dob": call.dob.strip(),
        "age": call.age.strip(),
        "sex": call.sex.strip(),
        "description": call.description.strip(),
        "relationship": call.relationship.strip(),
        "_line": "1",
    }
    for problem in check_rows([row], today=today, with_list=False):
        for reason in problem.problems:
            field = (
                "age" if reason.startswith("age") else "sex" if reason.startswith("sex") else "dob"
            )
            errors.setdefault(field, reason)
    if errors:
        raise InvalidInput(errors)
    parsed = parse_date(row["dob"], today=today)
    inquiry = Inquiry(
        incident_id=incident_id,
        reference=_reference(session, incident_id),
        full_name=row["full_name"] or None,
        dob=None if parsed is None else f"{parsed[0]:04d}-{parsed[1]:02d}-{parsed[2]:02d}",
        age=row["age"] or None,
        sex=parse_sex(row["sex"]),
        description=row["description"] or None,
        relationship=row["relationship"],
    )
    session.add(inquiry)
    session.flush()
    session.add(
        InquiryContact(
            incident_id=incident_id,
            inquiry_id=inquiry.id,
            caller_name=call.caller_name.strip() or None,
            contact=call.contact.strip(),
            taken_by=(actor.username or f"user {actor.user_id}")[:150],
        )
    )
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="reunification.inquiry_take",
        object_type="inquiry",
        object_id=inquiry.id,
        details={"incident_id": incident_id},
    )
    return inquiry
