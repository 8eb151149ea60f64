"""Staff confirming a candidate match, the queue of deaths to be told in person, and
reading one listed person's record (with a documented reason from outside the regime).

Matching only proposes. A person confirms; nobody is told anything by Vigil. When the
confirmed person is on the medical examiner's list, the family is queued for an
in-person notification by designated staff, and who did it is recorded afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.platform import audit, policy
from vigil.platform.actor import Actor
from vigil.platform.errors import Conflict, InvalidInput, NotFound
from vigil.platform.policy.response_rules import ReasonedRead
from vigil.response.models import (
    DeathNotification,
    Inquiry,
    InquiryCandidate,
    ListedPerson,
    ReunificationAccess,
)
from vigil.response.pfif_exchange import incident_facts

DECEASED = "deceased_confirmed"


@dataclass(frozen=True)
class Confirmed:
    """A confirmed match, and whether it queued an in-person death notification."""

    inquiry_reference: str
    row_id: str
    notification_queued: bool


@dataclass(frozen=True)
class PendingNotification:
    inquiry_reference: str
    row_id: str
    queued_at: datetime


def _who(actor: Actor) -> str:
    return (actor.username or f"user {actor.user_id}")[:150]


def _inquiry(session: Session, incident_id: int, reference: str) -> Inquiry:
    inquiry = session.execute(
        select(Inquiry).where(Inquiry.incident_id == incident_id, Inquiry.reference == reference)
    ).scalar_one_or_none()
    if inquiry is None:
        raise NotFound("inquiry")
    return inquiry


def confirm_match(
    session: Session, *, actor: Actor, incident_id: int, inquiry_reference: str, row_id: str
) -> Confirmed:
    """Record that staff confirmed that an inquiry is about a listed person."""
    policy.authorize(actor, "confirm", "reunification", incident_facts(session, incident_id))
    inquiry = _inquiry(session, incident_id, inquiry_reference)
    person = session.execute(
        select(ListedPerson).where(
            ListedPerson.incident_id == incident_id, ListedPerson.row_id == row_id
        )
    ).scalar_one_or_none()
    if person is None:
        raise NotFound("listed person")
    candidate = session.execute(
        select(InquiryCandidate).where(
            InquiryCandidate.inquiry_id == inquiry.id,
            InquiryCandidate.listed_person_id == person.id,
        )
    ).scalar_one_or_none()
    if candidate is None:
        # Staff may confirm someone matching did not propose (they found them by hand).
        candidate = InquiryCandidate(
            incident_id=incident_id,
            inquiry_id=inquiry.id,
            listed_person_id=person.id,
            rank=0,
            score=0.0,
            likely=False,
        )
        session.add(candidate)
    elif candidate.confirmed_at is not None:
        raise Conflict("this match is already confirmed")
    candidate.confirmed_at = datetime.now(UTC)
    candidate.confirmed_by = _who(actor)
    queued = person.status == DECEASED
    if queued:
        session.add(
            DeathNotification(
                incident_id=incident_id,
                inquiry_id=inquiry.id,
                listed_person_id=person.id,
                queued_by=_who(actor),
            )
        )
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="reunification.confirm",
        object_type="inquiry",
        object_id=inquiry.id,
        details={"listed_person_id": person.id, "in_person_notification": queued},
    )
    return Confirmed(inquiry.reference, person.row_id, queued)


def record_notification(
    session: Session, *, actor: Actor, incident_id: int, inquiry_reference: str, notified_by: str
) -> None:
    """Record that designated staff (`notified_by`) told the family in person."""
    policy.authorize(actor, "confirm", "reunification", incident_facts(session, incident_id))
    if not notified_by.strip() or len(notified_by) > 150:
        raise InvalidInput({"notified_by": "name the staff member who told the family"})
    inquiry = _inquiry(session, incident_id, inquiry_reference)
    pending = session.execute(
        select(DeathNotification).where(
            DeathNotification.inquiry_id == inquiry.id, DeathNotification.notified_at.is_(None)
        )
    ).scalar_one_or_none()
    if pending is None:
        raise NotFound("pending in-person notification")
    pending.notified_at = datetime.now(UTC)
    pending.notified_by = notified_by.strip()
    pending.recorded_by = _who(actor)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="reunification.notified_in_person",
        object_type="inquiry",
        object_id=inquiry.id,
        details={"death_notification_id": pending.id},
    )


def pending_notifications(
    session: Session, *, actor: Actor, incident_id: int
) -> list[PendingNotification]:
    """Families still to be told in person, oldest first."""
    policy.authorize(actor, "read", "reunification", incident_facts(session, incident_id))
    rows = session.execute(
        select(Inquiry.reference, ListedPerson.row_id, DeathNotification.queued_at)
        .join(Inquiry, Inquiry.id == DeathNotification.inquiry_id)
        .join(ListedPerson, ListedPerson.id == DeathNotification.listed_person_id)
        .where(
            DeathNotification.incident_id == incident_id, DeathNotification.notified_at.is_(None)
        )
        .order_by(DeathNotification.queued_at, DeathNotification.id)
    ).all()
    return [PendingNotification(*row) for row in rows]


@dataclass(frozen=True)
class ListedPersonView:
    """One listed person's reunification record, as staff read it."""

    row_id: str
    list_kind: str
    full_name: str | None
    dob: str | None
    age: str | None
    sex: str | None
    description: str | None
    status: str


def read_listed_person(
    session: Session,
    *,
    actor: Actor,
    incident_id: int,
    row_id: str,
    reason: str | None = None,
) -> ListedPersonView:
    """One listed person's record. Reunification staff read it; an intelligence or
    threat-assessment user of an agency involved reads it only with a documented
    reason, which is kept and audited (by its id). Every read is audited."""
    facts = incident_facts(session, incident_id)
    if policy.decide(actor, "read", "reunification", facts):
        access_id = None
    elif reason is not None and policy.decide(
        actor, "read_with_reason", "reunification", ReasonedRead(facts, reason)
    ):
        access_id = 0
    else:
        audit.record(
            session,
            actor=actor,
            action="reunification.person_read",
            object_type="incident",
            object_id=incident_id,
            outcome="denied",
        )
        raise policy.PermissionDenied("read", "reunification", incident_id)
    person = session.execute(
        select(ListedPerson).where(
            ListedPerson.incident_id == incident_id, ListedPerson.row_id == row_id
        )
    ).scalar_one_or_none()
    if person is None:
        raise NotFound("listed person")
    details: dict[str, object] = {"listed_person_id": person.id}
    if access_id is not None:
        access = ReunificationAccess(
            incident_id=incident_id,
            listed_person_id=person.id,
            user_id=actor.user_id,
            reason=(reason or "").strip(),
        )
        session.add(access)
        session.flush()
        details["documented_reason_id"] = access.id
    audit.record(
        session,
        actor=actor,
        action="reunification.person_read",
        object_type="incident",
        object_id=incident_id,
        details=details,
    )
    return ListedPersonView(
        person.row_id,
        person.list_kind,
        person.full_name,
        person.dob,
        person.age,
        person.sex,
        person.description,
        person.status,
    )
