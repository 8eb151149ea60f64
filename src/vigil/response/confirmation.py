"""Staff confirming a candidate match, the queue of deaths to be told in person, and
reading one listed person's record (with a documented reason from outside the regime).

Matching only proposes. A person confirms; nobody is told anything by Vigil. When the
confirmed person is on the medical examiner's list, the family is queued for an
in-person notification by designated staff, and who did it is recorded afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.platform import audit, policy
from vigil.platform.actor import Actor
from vigil.platform.errors import Conflict, InvalidInput, NotFound
from vigil.platform.policy.response_rules import ReasonedRead
from vigil.response.models import (
    AccountabilityList,
    DeathNotification,
    Inquiry,
    InquiryCandidate,
    ListedPerson,
    ReunificationAccess,
)
from vigil.response.person_links import (
    LinkedRow,
    LinkHistoryLine,
    find_row,
    link_history,
    linked_rows,
    person_status,
)
from vigil.response.pfif_exchange import incident_facts
from vigil.response.site_models import Release, ReunificationSite

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
class ReleaseLine:
    """Who released the person (any of their linked rows), to whom, where and when."""

    site_name: str
    released_to: str
    released_by: str
    released_at: datetime


@dataclass(frozen=True)
class NotificationLine:
    """A family queued for an in-person notification about the person, and its state."""

    inquiry_reference: str
    queued_at: datetime
    queued_by: str
    notified_at: datetime | None
    notified_by: str | None


@dataclass(frozen=True)
class ConfirmationLine:
    """An inquiry staff confirmed is about the person."""

    inquiry_reference: str
    row_id: str
    confirmed_by: str | None
    confirmed_at: datetime | None


@dataclass(frozen=True)
class ListedPersonView:
    """One listed person's reunification record, as staff read it. The rows linked to
    it, the release, the notification queue and the confirmed inquiries are those of
    the whole person (every linked row), and only for reunification staff: a reader
    with a documented reason sees the one row asked for."""

    row_id: str
    list_kind: str
    full_name: str | None
    dob: str | None
    age: str | None
    sex: str | None
    description: str | None
    status: str
    id: int = 0
    source_name: str = ""
    # The person's status over every linked row (person_links.STATUS_PRECEDENCE).
    person_status: str = ""
    linked: list[LinkedRow] = field(default_factory=list)
    # Every link this row has had, removed ones with who removed them and why.
    link_history: list[LinkHistoryLine] = field(default_factory=list)
    releases: list[ReleaseLine] = field(default_factory=list)
    notifications: list[NotificationLine] = field(default_factory=list)
    confirmations: list[ConfirmationLine] = field(default_factory=list)
    may_link: bool = False


@dataclass(frozen=True)
class _WholePerson:
    person_status: str
    linked: list[LinkedRow]
    link_history: list[LinkHistoryLine]
    releases: list[ReleaseLine]
    notifications: list[NotificationLine]
    confirmations: list[ConfirmationLine]


def _whole_person(session: Session, incident_id: int, person: ListedPerson) -> _WholePerson:
    linked = linked_rows(session, incident_id, person.id)
    ids = sorted({person.id, *(row.person_id for row in linked)})
    releases = [
        ReleaseLine(*row)
        for row in session.execute(
            select(
                ReunificationSite.name,
                Release.released_to,
                Release.released_by,
                Release.released_at,
            )
            .join(ReunificationSite, ReunificationSite.id == Release.site_id)
            .where(Release.listed_person_id.in_(ids))
            .order_by(Release.released_at, Release.id)
        ).all()
    ]
    notifications = [
        NotificationLine(*row)
        for row in session.execute(
            select(
                Inquiry.reference,
                DeathNotification.queued_at,
                DeathNotification.queued_by,
                DeathNotification.notified_at,
                DeathNotification.notified_by,
            )
            .join(Inquiry, Inquiry.id == DeathNotification.inquiry_id)
            .where(DeathNotification.listed_person_id.in_(ids))
            .order_by(DeathNotification.queued_at, DeathNotification.id)
        ).all()
    ]
    confirmations = [
        ConfirmationLine(*row)
        for row in session.execute(
            select(
                Inquiry.reference,
                ListedPerson.row_id,
                InquiryCandidate.confirmed_by,
                InquiryCandidate.confirmed_at,
            )
            .join(Inquiry, Inquiry.id == InquiryCandidate.inquiry_id)
            .join(ListedPerson, ListedPerson.id == InquiryCandidate.listed_person_id)
            .where(
                InquiryCandidate.listed_person_id.in_(ids),
                InquiryCandidate.confirmed_at.is_not(None),
            )
            .order_by(InquiryCandidate.confirmed_at, InquiryCandidate.id)
        ).all()
    ]
    return _WholePerson(
        person_status([person.status, *(row.status for row in linked)]),
        linked,
        link_history(session, incident_id, person.id),
        releases,
        notifications,
        confirmations,
    )


def read_listed_person(
    session: Session,
    *,
    actor: Actor,
    incident_id: int,
    row_id: str | None = None,
    person_id: int | None = None,
    reason: str | None = None,
) -> ListedPersonView:
    """One listed person's record, by the id its list gave it (``row_id``) or by its
    own (``person_id``). Reunification staff read it; an intelligence or
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
    if row_id is None and person_id is None:
        raise NotFound("listed person")
    person = find_row(session, incident_id, person_id=person_id, row_id=row_id)
    details: dict[str, object] = {"listed_person_id": person.id}
    whole = _WholePerson(person.status, [], [], [], [], [])
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
    else:
        whole = _whole_person(session, incident_id, person)
    audit.record(
        session,
        actor=actor,
        action="reunification.person_read",
        object_type="incident",
        object_id=incident_id,
        details=details,
    )
    source = session.get(AccountabilityList, person.list_id)
    return ListedPersonView(
        person.row_id,
        person.list_kind,
        person.full_name,
        person.dob,
        person.age,
        person.sex,
        person.description,
        person.status,
        id=person.id,
        source_name=source.source_name if source is not None else "",
        may_link=access_id is None and policy.decide(actor, "link", "reunification", facts),
        person_status=whole.person_status,
        linked=whole.linked,
        link_history=whole.link_history,
        releases=whole.releases,
        notifications=whole.notifications,
        confirmations=whole.confirmations,
    )
