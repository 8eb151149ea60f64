"""The family assistance center of an incident: opening it, the services on offer,
families and survivors registered (linked to their reunification record and survivor
case where they exist), visits, family briefings with attendance, and the lead's daily
summary. Held by the provider that runs the center; nobody else sees any of it."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from vigil.platform import audit, policy
from vigil.platform.actor import Actor
from vigil.platform.errors import Conflict, InvalidInput, NotFound
from vigil.platform.types import utcnow
from vigil.recovery import cases, incident_records
from vigil.recovery.assistance_models import (
    AssistanceCenter,
    BriefingAttendance,
    CenterBriefing,
    CenterRegistration,
    CenterService,
    CenterVisit,
)
from vigil.recovery.models import SurvivorCase
from vigil.recovery.vocabulary import CASE_KINDS, CENTER_SERVICE_KINDS

MAX_PEOPLE = 100


def _text(
    value: str | None, field: str, limit: int, errors: dict[str, str], *, required: bool = False
) -> str | None:
    text = " ".join((value or "").split())
    if required and not text:
        errors[field] = "Enter this."
    elif len(text) > limit:
        errors[field] = f"Use at most {limit} characters."
    return text or None


def audit_center(
    db: Session, actor: Actor, action: str, center: AssistanceCenter, **details: object
) -> None:
    audit.record(
        db,
        actor=actor,
        action=f"assistance_center.{action}",
        object_type="assistance_center",
        object_id=center.id,
        agency_id=center.provider_agency_id,
        details=details or None,
    )


def open_center(
    db: Session,
    *,
    actor: Actor,
    incident_id: int,
    name: str,
    place: str,
    opened_on: date | None = None,
) -> AssistanceCenter:
    """Open a center for an incident at the actor's provider (its supervisors); the
    opener leads it."""
    provider = cases.provider_facts(db, actor.agency_id)
    if not policy.decide(actor, "list", "assistance_center", provider):
        raise NotFound("assistance_center")
    policy.authorize(actor, "manage", "assistance_center", provider)
    errors: dict[str, str] = {}
    clean_name = _text(name, "name", 200, errors, required=True)
    clean_place = _text(place, "place", 200, errors, required=True)
    if incident_records.incident_name(db, incident_id) is None:
        errors["incident_id"] = "No incident has this number."
    if errors:
        raise InvalidInput(errors)
    center = AssistanceCenter(
        incident_id=incident_id,
        provider_agency_id=provider.agency_id,
        name=clean_name or "",
        place=clean_place or "",
        opened_on=opened_on or utcnow().date(),
        lead_user_id=actor.user_id,
        status="open",
    )
    db.add(center)
    db.flush()
    audit_center(db, actor, "open", center, incident_id=incident_id)
    return center


def get_center(
    db: Session, *, actor: Actor, center_id: int, action: str = "read"
) -> AssistanceCenter:
    """The center for its provider's staff; NotFound for everyone else."""
    center = db.get(AssistanceCenter, center_id)
    facts = cases.provider_facts(db, center.provider_agency_id) if center is not None else None
    if center is None or not policy.decide(actor, "read", "assistance_center", facts):
        raise NotFound("assistance_center")
    if action != "read":
        policy.authorize(actor, action, "assistance_center", facts)
    if action == "work" and center.status == "closed":
        raise Conflict("The center is closed; its records are only kept until they are purged.")
    return center


def close_center(
    db: Session,
    *,
    actor: Actor,
    center_id: int,
    retention_days: int,
    closed_on: date | None = None,
) -> AssistanceCenter:
    """Close the center (its provider's supervisors): from then on it takes no families,
    visits or briefings, and everything it holds is kept ``retention_days`` (the
    platform's ``assistance_center_retention_days``), then purged."""
    center = get_center(db, actor=actor, center_id=center_id, action="manage")
    if center.status == "closed":
        raise Conflict("This center is already closed.", field="closed_on")
    today = utcnow().date()
    day = closed_on or today
    if day > today or day < center.opened_on:
        raise InvalidInput(
            {"closed_on": "Give the day it closed: from its opening day, not in the future."}
        )
    center.status = "closed"
    center.closed_on = day
    center.retain_until = day + timedelta(days=retention_days)
    audit_center(
        db, actor, "close", center, closed_on=day.isoformat(), retain_until=str(center.retain_until)
    )
    return center


def list_centers(db: Session, *, actor: Actor) -> list[AssistanceCenter]:
    provider = cases.provider_facts(db, actor.agency_id)
    if not policy.decide(actor, "list", "assistance_center", provider):
        raise NotFound("assistance_center")
    return list(
        db.execute(
            select(AssistanceCenter)
            .where(AssistanceCenter.provider_agency_id == provider.agency_id)
            .order_by(AssistanceCenter.opened_on.desc(), AssistanceCenter.id.desc())
        ).scalars()
    )


def may_manage(db: Session, actor: Actor) -> bool:
    return policy.decide(
        actor, "manage", "assistance_center", cases.provider_facts(db, actor.agency_id)
    )


def add_service(
    db: Session,
    *,
    actor: Actor,
    center_id: int,
    kind: str,
    provider_name: str,
    languages: str | None = None,
    hours: str | None = None,
) -> CenterService:
    center = get_center(db, actor=actor, center_id=center_id, action="work")
    errors: dict[str, str] = {}
    if kind not in CENTER_SERVICE_KINDS:
        errors["kind"] = "Choose a kind of service from the list."
    name = _text(provider_name, "provider_name", 200, errors, required=True)
    langs = _text(languages, "languages", 300, errors)
    clean_hours = _text(hours, "hours", 200, errors)
    if errors:
        raise InvalidInput(errors)
    service = CenterService(
        center_id=center.id,
        kind=kind,
        provider_name=name or "",
        languages=langs,
        hours=clean_hours,
        available=True,
    )
    db.add(service)
    db.flush()
    audit_center(db, actor, "service_add", center, service_id=service.id, kind=kind)
    return service


@dataclass(frozen=True)
class RegistrationInput:
    """One family or survivor to register, as typed on the form or read from a CSV row."""

    kind: str
    display_name: str
    people_count: int = 1
    preferred_language: str | None = None
    contact: str | None = None
    reunification_record: str | None = None


def check_registration(
    db: Session, center: AssistanceCenter, data: RegistrationInput
) -> tuple[dict[str, str], RegistrationInput]:
    """(problems by field, the cleaned input); the reunification record, when given,
    must be on one of the incident's lists."""
    errors: dict[str, str] = {}
    if data.kind not in CASE_KINDS:
        errors["kind"] = "Choose survivor or family."
    name = _text(data.display_name, "display_name", 200, errors, required=True)
    language = _text(data.preferred_language, "preferred_language", 60, errors)
    if not 1 <= data.people_count <= MAX_PEOPLE:
        errors["people_count"] = f"Count the people registering: 1 to {MAX_PEOPLE}."
    contact = (data.contact or "").strip() or None
    if contact is not None and len(contact) > 2000:
        errors["contact"] = "Use at most 2,000 characters."
    record = _text(data.reunification_record, "reunification_record", 100, errors)
    if (
        record
        and "reunification_record" not in errors
        and not incident_records.list_kinds_of(db, incident_id=center.incident_id, row_id=record)
    ):
        errors["reunification_record"] = (
            "No one on this incident's reunification lists has this record id."
        )
    cleaned = RegistrationInput(data.kind, name or "", data.people_count, language, contact, record)
    return errors, cleaned


def store_registration(
    db: Session, actor: Actor, center: AssistanceCenter, data: RegistrationInput
) -> CenterRegistration:
    now = utcnow()
    registration = CenterRegistration(
        center_id=center.id,
        number="pending",
        kind=data.kind,
        display_name=data.display_name,
        people_count=data.people_count,
        preferred_language=data.preferred_language,
        contact=data.contact,
        reunification_record=data.reunification_record,
        registered_at=now,
        registered_by_user_id=actor.user_id,
    )
    db.add(registration)
    db.flush()
    registration.number = f"FAC-{center.id}-{registration.id:05d}"
    return registration


def register(
    db: Session, *, actor: Actor, center_id: int, data: RegistrationInput
) -> CenterRegistration:
    """Register a family or survivor at the center."""
    center = get_center(db, actor=actor, center_id=center_id, action="work")
    errors, cleaned = check_registration(db, center, data)
    if errors:
        raise InvalidInput(errors)
    registration = store_registration(db, actor, center, cleaned)
    audit_center(db, actor, "register", center, registration_id=registration.id)
    return registration


def get_registration(
    db: Session, *, actor: Actor, registration_id: int, action: str = "read"
) -> tuple[AssistanceCenter, CenterRegistration]:
    registration = db.get(CenterRegistration, registration_id)
    if registration is None:
        raise NotFound("registration")
    center = get_center(db, actor=actor, center_id=registration.center_id, action=action)
    return center, registration


def open_case_for(db: Session, *, actor: Actor, registration_id: int) -> SurvivorCase:
    """Open the long-term survivor case of a registered family (the opener advocates)."""
    center, registration = get_registration(
        db, actor=actor, registration_id=registration_id, action="work"
    )
    if registration.survivor_case_id is not None:
        raise Conflict("This family already has a survivor case.", field="registration_id")
    case = cases.open_case(
        db,
        actor=actor,
        kind=registration.kind,
        display_name=registration.display_name,
        preferred_language=registration.preferred_language,
        contact=registration.contact,
        incident_id=center.incident_id,
    )
    registration.survivor_case_id = case.id
    audit_center(db, actor, "case_open", center, registration_id=registration.id, case_id=case.id)
    return case


def log_visit(
    db: Session,
    *,
    actor: Actor,
    registration_id: int,
    services: list[str],
    note: str | None = None,
    visited_at: datetime | None = None,
) -> CenterVisit:
    """Record a visit and the services the family used."""
    center, registration = get_registration(
        db, actor=actor, registration_id=registration_id, action="work"
    )
    unknown = [s for s in services if s not in CENTER_SERVICE_KINDS]
    errors: dict[str, str] = {}
    if unknown:
        errors["services"] = "Choose services from the list."
    if note is not None and len(note) > 2000:
        errors["note"] = "Use at most 2,000 characters."
    moment = visited_at or utcnow()
    if moment > utcnow() + timedelta(minutes=5):
        errors["visited_at"] = "A visit cannot be in the future."
    if errors:
        raise InvalidInput(errors)
    visit = CenterVisit(
        center_id=center.id,
        registration_id=registration.id,
        visited_at=moment,
        services=sorted(set(services)),
        note=(note or "").strip() or None,
        recorded_by_user_id=actor.user_id,
    )
    db.add(visit)
    db.flush()
    audit_center(db, actor, "visit", center, registration_id=registration.id, visit_id=visit.id)
    return visit


def schedule_briefing(
    db: Session,
    *,
    actor: Actor,
    center_id: int,
    scheduled_at: datetime,
    topic: str,
    presenter: str,
) -> CenterBriefing:
    """Schedule a family briefing (families hear news before the press does)."""
    center = get_center(db, actor=actor, center_id=center_id, action="work")
    errors: dict[str, str] = {}
    clean_topic = _text(topic, "topic", 200, errors, required=True)
    clean_presenter = _text(presenter, "presenter", 200, errors, required=True)
    if errors:
        raise InvalidInput(errors)
    briefing = CenterBriefing(
        center_id=center.id,
        scheduled_at=scheduled_at,
        topic=clean_topic or "",
        presenter=clean_presenter or "",
    )
    db.add(briefing)
    db.flush()
    audit_center(db, actor, "briefing_schedule", center, briefing_id=briefing.id)
    return briefing


def record_attendance(
    db: Session,
    *,
    actor: Actor,
    briefing_id: int,
    registration_id: int,
    attendees: int,
    center_id: int | None = None,
) -> BriefingAttendance:
    """How many of a family attended a briefing (recorded again: corrected); with
    ``center_id``, the briefing must be that center's."""
    briefing = db.get(CenterBriefing, briefing_id)
    if briefing is None or (center_id is not None and briefing.center_id != center_id):
        raise InvalidInput({"briefing_id": "Choose a briefing of this center."})
    center = get_center(db, actor=actor, center_id=briefing.center_id, action="work")
    registration = db.get(CenterRegistration, registration_id)
    if registration is None or registration.center_id != center.id:
        raise InvalidInput({"registration_id": "Choose a family registered at this center."})
    if not 0 <= attendees <= MAX_PEOPLE:
        raise InvalidInput({"attendees": f"Count those who came: 0 to {MAX_PEOPLE}."})
    row = db.execute(
        select(BriefingAttendance).where(
            BriefingAttendance.briefing_id == briefing.id,
            BriefingAttendance.registration_id == registration.id,
        )
    ).scalar_one_or_none()
    if row is None:
        row = BriefingAttendance(
            briefing_id=briefing.id, registration_id=registration.id, attendees=attendees
        )
        try:
            with db.begin_nested():
                db.add(row)
                db.flush()
        except IntegrityError:
            raise Conflict("Attendance was recorded at the same moment; reload.") from None
    else:
        row.attendees = attendees
        row.recorded_at = utcnow()
    audit_center(
        db, actor, "attendance", center, briefing_id=briefing.id, registration_id=registration.id
    )
    return row


@dataclass(frozen=True)
class BriefingRow:
    briefing: CenterBriefing
    families: int
    people: int


@dataclass(frozen=True)
class CenterView:
    center: AssistanceCenter
    incident_name: str | None
    services: list[CenterService]
    registrations: list[CenterRegistration]
    briefings: list[BriefingRow]


def _briefing_rows(
    db: Session, center_id: int, since: datetime | None = None, until: datetime | None = None
) -> list[BriefingRow]:
    conditions = [CenterBriefing.center_id == center_id]
    if since is not None and until is not None:
        conditions += [CenterBriefing.scheduled_at >= since, CenterBriefing.scheduled_at < until]
    rows = db.execute(
        select(
            CenterBriefing,
            func.count(BriefingAttendance.id).filter(BriefingAttendance.attendees > 0),
            func.coalesce(func.sum(BriefingAttendance.attendees), 0),
        )
        .outerjoin(BriefingAttendance, BriefingAttendance.briefing_id == CenterBriefing.id)
        .where(*conditions)
        .group_by(CenterBriefing.id)
        .order_by(CenterBriefing.scheduled_at, CenterBriefing.id)
    ).all()
    return [BriefingRow(b, int(families), int(people)) for b, families, people in rows]


def view_center(db: Session, *, actor: Actor, center_id: int) -> CenterView:
    """The center page: services, the families registered, briefings (audited read)."""
    center = get_center(db, actor=actor, center_id=center_id)
    registrations = list(
        db.execute(
            select(CenterRegistration)
            .where(CenterRegistration.center_id == center.id)
            .order_by(CenterRegistration.registered_at.desc(), CenterRegistration.id.desc())
            .limit(500)
        ).scalars()
    )
    services = list(
        db.execute(
            select(CenterService)
            .where(CenterService.center_id == center.id)
            .order_by(CenterService.kind, CenterService.id)
        ).scalars()
    )
    audit_center(db, actor, "read", center, registrations=[r.id for r in registrations])
    return CenterView(
        center=center,
        incident_name=incident_records.incident_name(db, center.incident_id),
        services=services,
        registrations=registrations,
        briefings=_briefing_rows(db, center.id),
    )


@dataclass(frozen=True)
class DailySummary:
    """The lead's page for one day: counts, services used, briefings, languages."""

    center: AssistanceCenter
    day: date
    families_registered: int
    people_registered: int
    new_registrations: int
    visits: int
    families_visiting: int
    services_used: dict[str, int]
    briefings: list[BriefingRow]
    languages_needed: dict[str, int]
    languages_without_interpreter: list[str]
    families_without_case: int


def daily_summary(db: Session, *, actor: Actor, center_id: int, day: date) -> DailySummary:
    """The center's day for its lead: who came, what they used, the briefings held and
    the languages families need against the interpreters on offer."""
    center = get_center(db, actor=actor, center_id=center_id)
    start = datetime.combine(day, time.min, tzinfo=UTC)
    end = start + timedelta(days=1)
    registered = db.execute(
        select(
            CenterRegistration.registered_at,
            CenterRegistration.people_count,
            CenterRegistration.preferred_language,
            CenterRegistration.survivor_case_id,
        ).where(CenterRegistration.center_id == center.id, CenterRegistration.registered_at < end)
    ).all()
    visits = db.execute(
        select(CenterVisit.registration_id, CenterVisit.services).where(
            CenterVisit.center_id == center.id,
            CenterVisit.visited_at >= start,
            CenterVisit.visited_at < end,
        )
    ).all()
    used: Counter[str] = Counter()
    for _, services in visits:
        used.update(services or [])
    languages = Counter(
        " ".join(language.split()).title() for _, _, language, _ in registered if language
    )
    interpreted = {
        part.strip().title()
        for (spoken,) in db.execute(
            select(CenterService.languages).where(
                CenterService.center_id == center.id,
                CenterService.kind == "interpreter",
                CenterService.available.is_(True),
            )
        ).all()
        for part in (spoken or "").split(",")
        if part.strip()
    }
    audit_center(db, actor, "summary", center, day=day.isoformat())
    return DailySummary(
        center=center,
        day=day,
        families_registered=len(registered),
        people_registered=sum(people for _, people, _, _ in registered),
        new_registrations=sum(1 for at, _, _, _ in registered if at >= start),
        visits=len(visits),
        families_visiting=len({registration for registration, _ in visits}),
        services_used={kind: used[kind] for kind in CENTER_SERVICE_KINDS if used[kind]},
        briefings=_briefing_rows(db, center.id, start, end),
        languages_needed=dict(sorted(languages.items())),
        languages_without_interpreter=sorted(
            language
            for language in languages
            if language != "English" and language not in interpreted
        ),
        families_without_case=sum(1 for *_, case_id in registered if case_id is None),
    )
