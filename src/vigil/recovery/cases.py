"""Survivor cases: opening one, the facts the policy judges it by, reading it as its
provider's staff, the caseloads of advocates and supervisors, assigning and closing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from vigil.platform import audit, policy
from vigil.platform.actor import Actor
from vigil.platform.errors import Conflict, InvalidInput, NotFound
from vigil.platform.models import Agency, User
from vigil.platform.policy.recovery_rules import ProviderFacts, SurvivorCaseFacts
from vigil.platform.types import utcnow
from vigil.recovery.models import SurvivorCase
from vigil.recovery.vocabulary import CASE_KINDS, CASE_STATUSES

# How long a closed case is kept before the purge: victim-services programmes commonly
# keep client files for some years after the last service; a survivor may ask sooner.
RETENTION_DAYS_AFTER_CLOSING = 7 * 365
CASELOAD_PAGE_SIZE = 50


def provider_facts(db: Session, agency_id: int | None) -> ProviderFacts:
    kind = (
        db.execute(select(Agency.kind).where(Agency.id == agency_id)).scalar_one_or_none()
        if agency_id is not None
        else None
    )
    return ProviderFacts(agency_id=agency_id or 0, agency_kind=kind or "")


def case_facts(
    db: Session, case: SurvivorCase, *, consented_purposes: frozenset[str] = frozenset()
) -> SurvivorCaseFacts:
    return SurvivorCaseFacts(
        provider=provider_facts(db, case.provider_agency_id),
        advocate_user_id=case.advocate_user_id,
        consented_purposes=consented_purposes,
    )


def audit_case(
    db: Session,
    *,
    actor: Actor,
    action: str,
    case: SurvivorCase,
    details: dict[str, object] | None = None,
    outcome: str = "success",
) -> None:
    """One audit event about a case: ids and reasons only, never what the survivor said."""
    audit.record(
        db,
        actor=actor,
        action=f"survivor_case.{action}",
        object_type="survivor_case",
        object_id=case.id,
        agency_id=case.provider_agency_id,
        details=details,
        outcome=outcome,
    )


def _clean(value: str | None, *, field: str, limit: int, required: bool = False) -> str | None:
    text = " ".join((value or "").split())
    if required and not text:
        raise InvalidInput({field: "Enter this."})
    if len(text) > limit:
        raise InvalidInput({field: f"Use at most {limit} characters."})
    return text or None


def may_open_cases(db: Session, actor: Actor) -> bool:
    return policy.decide(actor, "create", "survivor_case", provider_facts(db, actor.agency_id))


def provider_staff(db: Session, *, actor: Actor) -> list[tuple[int, str]]:
    """(user id, display name) of the enabled staff of the actor's provider who may be
    advocates: for a supervisor's assignment form."""
    case_provider = provider_facts(db, actor.agency_id)
    if not policy.decide(actor, "list", "survivor_case", case_provider):
        raise NotFound("survivor_case")
    users = db.execute(
        select(User)
        .where(User.agency_id == case_provider.agency_id, User.disabled_at.is_(None))
        .order_by(User.display_name, User.id)
    ).scalars()
    return [(u.id, u.display_name) for u in users if _is_provider_staff(db, u.id, case_provider)]


def open_case(
    db: Session,
    *,
    actor: Actor,
    kind: str,
    display_name: str,
    preferred_language: str | None = None,
    contact: str | None = None,
    notes: str | None = None,
    advocate_user_id: int | None = None,
    incident_id: int | None = None,
) -> SurvivorCase:
    """Open a case at the actor's own provider; the opener is the advocate unless named.
    ``incident_id`` links the incident the survivor was harmed in (the response domain's)."""
    provider = provider_facts(db, actor.agency_id)
    if not policy.decide(actor, "create", "survivor_case", provider):
        # Outside a victim-services provider the whole area does not exist.
        raise NotFound("survivor_case")
    errors: dict[str, str] = {}
    if kind not in CASE_KINDS:
        errors["kind"] = "Choose survivor or family."
    try:
        name = _clean(display_name, field="display_name", limit=200, required=True)
        language = _clean(preferred_language, field="preferred_language", limit=60)
    except InvalidInput as problem:
        errors.update(problem.errors)
        name = language = None
    if contact is not None and len(contact) > 2000:
        errors["contact"] = "Use at most 2,000 characters."
    if notes is not None and len(notes) > 20000:
        errors["notes"] = "Use at most 20,000 characters."
    advocate = actor.user_id if advocate_user_id is None else advocate_user_id
    if advocate_user_id is not None and not _is_provider_staff(db, advocate_user_id, provider):
        errors["advocate_user_id"] = "Choose a staff member of this provider."
    if errors:
        raise InvalidInput(errors)
    now = utcnow()
    case = SurvivorCase(
        number="pending",
        provider_agency_id=provider.agency_id,
        kind=kind,
        display_name=name or "",
        preferred_language=language,
        contact=(contact or "").strip() or None,
        notes=(notes or "").strip() or None,
        status="open",
        incident_id=incident_id,
        advocate_user_id=advocate,
        opened_at=now,
        opened_by_user_id=actor.user_id,
        updated_at=now,
    )
    try:
        # The foreign key is the check that the incident exists: this domain does not
        # read the response domain's tables.
        with db.begin_nested():
            db.add(case)
            db.flush()
    except IntegrityError:
        raise InvalidInput({"incident_id": "No incident has this number."}) from None
    case.number = f"VS-{now.year}-{case.id:06d}"
    audit_case(db, actor=actor, action="open", case=case, details={"kind": kind})
    return case


def _is_provider_staff(db: Session, user_id: int, provider: ProviderFacts) -> bool:
    from vigil.platform.actor import for_user
    from vigil.platform.policy.recovery_rules import is_victim_services_staff

    user = db.get(User, user_id)
    if user is None or not user.is_active:
        return False
    return is_victim_services_staff(for_user(user), provider)


def load_case(db: Session, case_id: int) -> SurvivorCase | None:
    return db.get(SurvivorCase, case_id, populate_existing=True)


def get_case(db: Session, *, actor: Actor, case_id: int, action: str = "read") -> SurvivorCase:
    """The case for its provider's staff; NotFound for everyone else (existence is secret)."""
    case = load_case(db, case_id)
    if case is None or not policy.decide(actor, action, "survivor_case", case_facts(db, case)):
        raise NotFound("survivor_case")
    return case


def read_case(db: Session, *, actor: Actor, case_id: int) -> SurvivorCase:
    """Read a case (audited: a read of personal data)."""
    case = get_case(db, actor=actor, case_id=case_id)
    audit_case(db, actor=actor, action="read", case=case)
    return case


def update_case(
    db: Session,
    *,
    actor: Actor,
    case_id: int,
    preferred_language: str | None,
    contact: str | None,
    notes: str | None,
) -> SurvivorCase:
    case = get_case(db, actor=actor, case_id=case_id, action="work")
    language = _clean(preferred_language, field="preferred_language", limit=60)
    if contact is not None and len(contact) > 2000:
        raise InvalidInput({"contact": "Use at most 2,000 characters."})
    if notes is not None and len(notes) > 20000:
        raise InvalidInput({"notes": "Use at most 20,000 characters."})
    case.preferred_language = language
    case.contact = (contact or "").strip() or None
    case.notes = (notes or "").strip() or None
    case.updated_at = utcnow()
    audit_case(db, actor=actor, action="update", case=case)
    return case


def assign_advocate(
    db: Session, *, actor: Actor, case_id: int, advocate_user_id: int
) -> SurvivorCase:
    case = get_case(db, actor=actor, case_id=case_id)
    policy.authorize(actor, "assign", "survivor_case", case_facts(db, case))
    if not _is_provider_staff(db, advocate_user_id, provider_facts(db, case.provider_agency_id)):
        raise InvalidInput({"advocate_user_id": "Choose a staff member of this provider."})
    case.advocate_user_id = advocate_user_id
    case.updated_at = utcnow()
    audit_case(
        db, actor=actor, action="assign", case=case, details={"advocate_user_id": advocate_user_id}
    )
    return case


def close_case(
    db: Session, *, actor: Actor, case_id: int, now: datetime | None = None
) -> SurvivorCase:
    case = get_case(db, actor=actor, case_id=case_id)
    policy.authorize(actor, "close", "survivor_case", case_facts(db, case))
    if case.status == "closed":
        raise Conflict("This case is already closed.", field="status")
    now = now or utcnow()
    case.status, case.closed_at, case.updated_at = "closed", now, now
    case.retain_until = now.date() + timedelta(days=RETENTION_DAYS_AFTER_CLOSING)
    audit_case(db, actor=actor, action="close", case=case)
    return case


@dataclass(frozen=True)
class CaseloadRow:
    id: int
    number: str
    kind: str
    display_name: str
    status: str
    advocate_user_id: int | None
    opened_at: datetime


@dataclass(frozen=True)
class Caseload:
    rows: list[CaseloadRow]
    total: int
    page: int
    pages: int


def caseload(
    db: Session,
    *,
    actor: Actor,
    status: str | None = "open",
    advocate_user_id: int | None = None,
    page: int = 1,
    page_size: int = CASELOAD_PAGE_SIZE,
) -> Caseload:
    """The cases the actor works (an advocate's own; a supervisor's whole provider),
    newest first, one page at a time. Audited as a list read (ids of the page only)."""
    if not policy.decide(actor, "list", "survivor_case", provider_facts(db, actor.agency_id)):
        raise NotFound("survivor_case")
    if status is not None and status not in CASE_STATUSES:
        raise InvalidInput({"status": "Choose open or closed."})
    if page < 1 or page > 100_000:
        raise InvalidInput({"page": "Choose a page from 1."})
    conditions = [policy.scope(actor, "read", "survivor_case")]
    if status is not None:
        conditions.append(SurvivorCase.status == status)
    if advocate_user_id is not None:
        conditions.append(SurvivorCase.advocate_user_id == advocate_user_id)
    total = db.execute(
        select(func.count()).select_from(SurvivorCase).where(*conditions)
    ).scalar_one()
    statement = (
        select(
            SurvivorCase.id,
            SurvivorCase.number,
            SurvivorCase.kind,
            SurvivorCase.display_name,
            SurvivorCase.status,
            SurvivorCase.advocate_user_id,
            SurvivorCase.opened_at,
        )
        .where(*conditions)
        .order_by(SurvivorCase.opened_at.desc(), SurvivorCase.id.desc())
        .limit(page_size)
        .offset((page - 1) * page_size)
    )
    rows = [CaseloadRow(*row) for row in db.execute(statement)]
    audit.record(
        db,
        actor=actor,
        action="survivor_case.list",
        object_type="survivor_case",
        details={"ids": [row.id for row in rows], "status": status or "any"},
    )
    pages = max(1, -(-total // page_size))
    return Caseload(rows=rows, total=total, page=page, pages=pages)


def retention_date(closed_on: date) -> date:
    return closed_on + timedelta(days=RETENTION_DAYS_AFTER_CLOSING)
