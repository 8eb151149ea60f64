"""Consents and disclosures: recording a survivor's written consent, revoking it (at
once), and reading a case from outside its provider only under a valid consent.

A disclosure is asked for with a purpose. The consented purposes are read from the
database at the moment of every check (never from objects already in the session),
so a revocation committed a moment earlier, in the same second, is seen.

The family's records at the provider's assistance center (registrations linked to the
case, their visits and the briefings attended) go with a disclosure only when the
consent used also covers them: the survivor is told on the form, and signs for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.platform import audit, policy
from vigil.platform.actor import Actor
from vigil.platform.errors import Conflict, InvalidInput, NotFound
from vigil.platform.models import Agency
from vigil.platform.policy.recovery_rules import HOLDER_KINDS
from vigil.platform.types import utcnow
from vigil.recovery.assistance_models import (
    AssistanceCenter,
    BriefingAttendance,
    CenterBriefing,
    CenterRegistration,
    CenterVisit,
)
from vigil.recovery.cases import audit_case, case_facts, get_case, load_case
from vigil.recovery.models import Consent, Disclosure, ImportantDate, Referral, SurvivorCase
from vigil.recovery.vocabulary import PURPOSES

MAX_CONSENT_DAYS = 3 * 366


def valid_consent_condition(today: date) -> list[object]:
    """A consent counts only if written, on file, signed, unexpired and never revoked."""
    return [
        Consent.written_on_file.is_(True),
        Consent.revoked_at.is_(None),
        Consent.signed_on <= today,
        Consent.expires_on >= today,
    ]


def consented_purposes(
    db: Session,
    *,
    case_id: int,
    agency_id: int | None,
    today: date | None = None,
    center_records: bool = False,
) -> dict[str, int]:
    """purpose -> consent id, for the valid consents naming ``agency_id`` on this case
    (with ``center_records``, only those that also cover the assistance center's)."""
    if agency_id is None:
        return {}
    today = today or utcnow().date()
    conditions = [
        Consent.case_id == case_id,
        Consent.recipient_agency_id == agency_id,
        *valid_consent_condition(today),
    ]
    if center_records:
        conditions.append(Consent.covers_center_records.is_(True))
    statement = select(Consent.purpose, Consent.id).where(*conditions).order_by(Consent.id)  # type: ignore[arg-type]
    return {purpose: consent_id for purpose, consent_id in db.execute(statement)}


def record_consent(
    db: Session,
    *,
    actor: Actor,
    case_id: int,
    recipient_agency_id: int,
    purpose: str,
    written_on_file: bool,
    document_reference: str,
    signed_on: date,
    expires_on: date,
    covers_center_records: bool = False,
) -> Consent:
    """Record a signed consent the provider holds on file. Services never depend on it.
    ``covers_center_records``: the form also names the family's assistance-center
    records (registration, visits, briefings attended)."""
    case = get_case(db, actor=actor, case_id=case_id, action="manage_consent")
    errors: dict[str, str] = {}
    if purpose not in PURPOSES:
        errors["purpose"] = "Choose a purpose from the list."
    recipient = db.get(Agency, recipient_agency_id)
    if recipient is None or not recipient.active:
        errors["recipient_agency_id"] = "Choose an active agency."
    elif recipient.id == case.provider_agency_id:
        errors["recipient_agency_id"] = "The provider holding the case needs no consent."
    if not written_on_file:
        errors["written_on_file"] = (
            "A disclosure needs the survivor's written consent on file: confirm it is."
        )
    reference = " ".join(document_reference.split())
    if not 1 <= len(reference) <= 200:
        errors["document_reference"] = "Say where the signed form is kept (1 to 200 characters)."
    today = utcnow().date()
    if signed_on > today:
        errors["signed_on"] = "The form cannot be signed in the future."
    if expires_on < max(signed_on, today):
        errors["expires_on"] = "Choose an expiry date from today on."
    elif (expires_on - signed_on).days > MAX_CONSENT_DAYS:
        errors["expires_on"] = "A consent lasts at most three years; ask again then."
    if errors:
        raise InvalidInput(errors)
    consent = Consent(
        case_id=case.id,
        recipient_agency_id=recipient_agency_id,
        purpose=purpose,
        written_on_file=True,
        document_reference=reference,
        signed_on=signed_on,
        expires_on=expires_on,
        covers_center_records=covers_center_records,
        recorded_at=utcnow(),
        recorded_by_user_id=actor.user_id,
    )
    db.add(consent)
    db.flush()
    audit_case(
        db,
        actor=actor,
        action="consent_record",
        case=case,
        details={
            "consent_id": consent.id,
            "recipient_agency_id": recipient_agency_id,
            "purpose": purpose,
            "expires_on": expires_on.isoformat(),
            "covers_center_records": covers_center_records,
        },
    )
    return consent


def revoke_consent(db: Session, *, actor: Actor, case_id: int, consent_id: int) -> Consent:
    """The survivor withdraws a consent: it ends now, for every later read."""
    case = get_case(db, actor=actor, case_id=case_id, action="manage_consent")
    consent = db.get(Consent, consent_id)
    if consent is None or consent.case_id != case.id:
        raise NotFound("consent")
    if consent.revoked_at is not None:
        raise Conflict("This consent was already revoked.", field="consent_id")
    consent.revoked_at = utcnow()
    consent.revoked_by_user_id = actor.user_id
    db.flush()
    audit_case(
        db,
        actor=actor,
        action="consent_revoke",
        case=case,
        details={"consent_id": consent.id, "recipient_agency_id": consent.recipient_agency_id},
    )
    return consent


def list_consents(db: Session, *, actor: Actor, case_id: int) -> list[Consent]:
    case = get_case(db, actor=actor, case_id=case_id)
    statement = select(Consent).where(Consent.case_id == case.id).order_by(Consent.id.desc())
    return list(db.execute(statement).scalars())


def consent_state(consent: Consent, today: date | None = None) -> str:
    """valid, revoked, expired or not yet signed: what the survivor's form says today."""
    today = today or utcnow().date()
    if consent.revoked_at is not None:
        return "revoked"
    if consent.expires_on < today:
        return "expired"
    if consent.signed_on > today or not consent.written_on_file:
        return "not_valid"
    return "valid"


@dataclass(frozen=True)
class DisclosedRegistration:
    """A family's registration at an assistance center, as disclosed under a consent
    that covers it: who registered, when, the visits (services used) and the briefings
    attended. Not how to reach them, nor the staff's notes."""

    number: str
    center_name: str
    kind: str
    display_name: str
    people_count: int
    registered_at: datetime
    visits: list[tuple[datetime, list[str]]]  # when, services used
    briefings: list[tuple[datetime, str, int]]  # when, topic, attendees


@dataclass(frozen=True)
class DisclosedCase:
    """What an outside agency sees under a consent: the case's service picture, not its
    notes or contact details."""

    case_id: int
    number: str
    kind: str
    display_name: str
    status: str
    purpose: str
    consent_id: int
    consent_expires_on: date
    referrals: list[tuple[str, str, str, date]]  # service kind, provider, status, referred on
    dates: list[tuple[str, str, date]]  # kind, label, on
    # Empty unless the consent used covers the assistance center's records.
    center_records: list[DisclosedRegistration] = field(default_factory=list)
    center_consent_id: int | None = None


def disclose_case(
    db: Session, *, actor: Actor, case_id: int, purpose: str, now: datetime | None = None
) -> DisclosedCase:
    """Read a case from outside its provider for ``purpose``; without a valid consent
    naming the actor's agency for it, refused (audited) as if the case did not exist."""
    if purpose not in PURPOSES:
        raise InvalidInput({"purpose": "Choose a purpose from the list."})
    case = load_case(db, case_id)
    today = (now or utcnow()).date()
    purposes = (
        consented_purposes(db, case_id=case.id, agency_id=actor.agency_id, today=today)
        if case is not None
        else {}
    )
    allowed = case is not None and policy.decide(
        actor,
        "disclose",
        "survivor_case",
        replace(case_facts(db, case, consented_purposes=frozenset(purposes)), purpose=purpose),
    )
    if case is None or not allowed:
        audit.record(
            db,
            actor=actor,
            action="survivor_case.disclose",
            object_type="survivor_case",
            object_id=case_id,
            outcome="denied",
            details={"purpose": purpose, "reason": "no valid consent"},
        )
        raise NotFound("survivor_case")
    consent_id = purposes[purpose]
    consent = db.get_one(Consent, consent_id)
    _record_disclosure(db, actor, case, consent_id, purpose, subject="case", at=now or utcnow())
    center_consent_id, center_records = _disclose_center_records(
        db, actor=actor, case=case, purpose=purpose, today=today, now=now or utcnow()
    )
    referrals = db.execute(
        select(Referral.service_kind, Referral.provider_name, Referral.status, Referral.referred_on)
        .where(Referral.case_id == case.id)
        .order_by(Referral.referred_on, Referral.id)
    ).all()
    dates = db.execute(
        select(ImportantDate.kind, ImportantDate.label, ImportantDate.on_date)
        .where(ImportantDate.case_id == case.id)
        .order_by(ImportantDate.on_date)
    ).all()
    return DisclosedCase(
        case_id=case.id,
        number=case.number,
        kind=case.kind,
        display_name=case.display_name,
        status=case.status,
        purpose=purpose,
        consent_id=consent_id,
        consent_expires_on=consent.expires_on,
        referrals=[tuple(row) for row in referrals],  # type: ignore[misc]
        dates=[tuple(row) for row in dates],  # type: ignore[misc]
        center_records=center_records,
        center_consent_id=center_consent_id,
    )


def _record_disclosure(
    db: Session,
    actor: Actor,
    case: SurvivorCase,
    consent_id: int,
    purpose: str,
    *,
    subject: str,
    at: datetime,
    **ids: object,
) -> None:
    """Who read what of the case, for whom and why, under which consent: kept for the
    survivor's export and audited (ids only)."""
    db.add(
        Disclosure(
            case_id=case.id,
            consent_id=consent_id,
            recipient_agency_id=actor.agency_id or 0,
            recipient_user_id=actor.user_id,
            purpose=purpose,
            subject=subject,
            at=at,
        )
    )
    audit_case(
        db,
        actor=actor,
        action="disclose" if subject == "case" else f"disclose_{subject}",
        case=case,
        details={"consent_id": consent_id, "purpose": purpose, **ids},
    )


def _disclose_center_records(
    db: Session, *, actor: Actor, case: SurvivorCase, purpose: str, today: date, now: datetime
) -> tuple[int | None, list[DisclosedRegistration]]:
    """The family's records at the provider's assistance centers, when a consent for
    this purpose covers them (asked of the policy, read from the database now); each
    disclosure recorded and audited by ids."""
    covering = consented_purposes(
        db, case_id=case.id, agency_id=actor.agency_id, today=today, center_records=True
    )
    facts = replace(case_facts(db, case), purpose=purpose, center_purposes=frozenset(covering))
    if not policy.decide(actor, "disclose_center_records", "survivor_case", facts):
        return None, []
    registrations = list(
        db.execute(
            select(CenterRegistration, AssistanceCenter.name)
            .join(AssistanceCenter, AssistanceCenter.id == CenterRegistration.center_id)
            .where(
                CenterRegistration.survivor_case_id == case.id,
                # Only what the provider holding the case holds: consent is given to it.
                AssistanceCenter.provider_agency_id == case.provider_agency_id,
            )
            .order_by(CenterRegistration.registered_at, CenterRegistration.id)
        ).all()
    )
    if not registrations:
        return covering[purpose], []
    ids = [registration.id for registration, _ in registrations]
    visits: dict[int, list[tuple[datetime, list[str]]]] = {}
    for registration_id, at, services in db.execute(
        select(CenterVisit.registration_id, CenterVisit.visited_at, CenterVisit.services)
        .where(CenterVisit.registration_id.in_(ids))
        .order_by(CenterVisit.visited_at, CenterVisit.id)
    ):
        visits.setdefault(registration_id, []).append((at, list(services or [])))
    briefings: dict[int, list[tuple[datetime, str, int]]] = {}
    for registration_id, at, topic, attendees in db.execute(
        select(
            BriefingAttendance.registration_id,
            CenterBriefing.scheduled_at,
            CenterBriefing.topic,
            BriefingAttendance.attendees,
        )
        .join(CenterBriefing, CenterBriefing.id == BriefingAttendance.briefing_id)
        .where(BriefingAttendance.registration_id.in_(ids), BriefingAttendance.attendees > 0)
        .order_by(CenterBriefing.scheduled_at, CenterBriefing.id)
    ):
        briefings.setdefault(registration_id, []).append((at, topic, attendees))
    consent_id = covering[purpose]
    _record_disclosure(
        db, actor, case, consent_id, purpose, subject="center_records", at=now, registrations=ids
    )
    return consent_id, [
        DisclosedRegistration(
            number=registration.number,
            center_name=center_name,
            kind=registration.kind,
            display_name=registration.display_name,
            people_count=registration.people_count,
            registered_at=registration.registered_at,
            visits=visits.get(registration.id, []),
            briefings=briefings.get(registration.id, []),
        )
        for registration, center_name in registrations
    ]


def cases_disclosed_to(db: Session, *, actor: Actor) -> list[tuple[int, str, str, date]]:
    """(case id, number, purpose, expiry) of the valid consents naming the actor's agency.

    Numbers only: a reader still opens each case through ``disclose_case``, for a purpose.
    """
    policy.authorize(actor, "list_disclosed", "survivor_case")
    if actor.agency_id is None:
        return []
    today = utcnow().date()
    statement = (
        select(SurvivorCase.id, SurvivorCase.number, Consent.purpose, Consent.expires_on)
        .join(Consent, Consent.case_id == SurvivorCase.id)
        .join(Agency, Agency.id == SurvivorCase.provider_agency_id)
        .where(
            Consent.recipient_agency_id == actor.agency_id,
            SurvivorCase.provider_agency_id != actor.agency_id,
            Agency.kind.in_(HOLDER_KINDS),
            *valid_consent_condition(today),  # type: ignore[arg-type]
        )
        .order_by(SurvivorCase.id, Consent.purpose)
        .limit(500)
    )
    return [tuple(row) for row in db.execute(statement)]  # type: ignore[misc]
