"""Referrals to providers, tracked to a closed-loop outcome (accepted, in service,
completed, declined, unable to reach), with every step kept as history."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.platform.actor import Actor
from vigil.platform.errors import InvalidInput, NotFound
from vigil.platform.types import utcnow
from vigil.recovery.cases import audit_case, get_case
from vigil.recovery.models import Referral, ReferralEvent
from vigil.recovery.vocabulary import (
    CLOSED_REFERRAL_STATUSES,
    REFERRAL_STATUSES,
    REFERRAL_STEPS,
    SERVED_REFERRAL_STATUSES,
    SERVICE_KINDS,
)


def refer(
    db: Session,
    *,
    actor: Actor,
    case_id: int,
    service_kind: str,
    provider_name: str,
    referred_on: date | None = None,
    follow_up_on: date | None = None,
) -> Referral:
    """Refer the survivor to a provider. No consent is asked for: the referral is the
    holder's own record (a disclosure to the provider is a consent of its own)."""
    case = get_case(db, actor=actor, case_id=case_id, action="work")
    errors: dict[str, str] = {}
    if service_kind not in SERVICE_KINDS:
        errors["service_kind"] = "Choose a kind of service from the list."
    name = " ".join(provider_name.split())
    if not 2 <= len(name) <= 200:
        errors["provider_name"] = "Name the provider (2 to 200 characters)."
    today = utcnow().date()
    referred_on = referred_on or today
    if referred_on > today:
        errors["referred_on"] = "A referral cannot be made in the future."
    if follow_up_on is not None and follow_up_on < referred_on:
        errors["follow_up_on"] = "Follow up on or after the referral date."
    if errors:
        raise InvalidInput(errors)
    now = utcnow()
    referral = Referral(
        case_id=case.id,
        service_kind=service_kind,
        provider_name=name,
        status="referred",
        referred_on=referred_on,
        follow_up_on=follow_up_on,
        created_at=now,
        created_by_user_id=actor.user_id,
        updated_at=now,
    )
    db.add(referral)
    db.flush()
    db.add(
        ReferralEvent(referral_id=referral.id, to_status="referred", at=now, user_id=actor.user_id)
    )
    case.updated_at = now
    audit_case(
        db,
        actor=actor,
        action="refer",
        case=case,
        details={"referral_id": referral.id, "service_kind": service_kind},
    )
    return referral


def record_outcome(
    db: Session,
    *,
    actor: Actor,
    case_id: int,
    referral_id: int,
    status: str,
    note: str | None = None,
    at: datetime | None = None,
) -> Referral:
    """Move a referral one step along its loop; an outcome that closes it is final."""
    case = get_case(db, actor=actor, case_id=case_id, action="work")
    referral = db.get(Referral, referral_id)
    if referral is None or referral.case_id != case.id:
        raise NotFound("referral")
    if status not in REFERRAL_STATUSES:
        raise InvalidInput({"status": "Choose an outcome from the list."})
    allowed = REFERRAL_STEPS[referral.status]
    if status not in allowed:
        choices = ", ".join(REFERRAL_STATUSES[s].lower() for s in sorted(allowed)) or "none"
        raise InvalidInput(
            {
                "status": f"A referral that is {REFERRAL_STATUSES[referral.status].lower()} "
                f"can next be: {choices}."
            }
        )
    if note is not None and len(note) > 2000:
        raise InvalidInput({"note": "Use at most 2,000 characters."})
    now = at or utcnow()
    db.add(
        ReferralEvent(
            referral_id=referral.id,
            from_status=referral.status,
            to_status=status,
            at=now,
            user_id=actor.user_id,
            note=(note or "").strip() or None,
        )
    )
    referral.status = status
    referral.updated_at = now
    if status in CLOSED_REFERRAL_STATUSES:
        referral.closed_at = now
    if status in SERVED_REFERRAL_STATUSES and case.first_service_at is None:
        case.first_service_at = now
    case.updated_at = now
    audit_case(
        db,
        actor=actor,
        action="referral_outcome",
        case=case,
        details={"referral_id": referral.id, "status": status},
    )
    return referral


def list_referrals(db: Session, *, actor: Actor, case_id: int) -> list[Referral]:
    case = get_case(db, actor=actor, case_id=case_id)
    statement = (
        select(Referral)
        .where(Referral.case_id == case.id)
        .order_by(Referral.referred_on, Referral.id)
    )
    return list(db.execute(statement).scalars())


def referral_history(
    db: Session, *, actor: Actor, case_id: int, referral_id: int
) -> list[ReferralEvent]:
    case = get_case(db, actor=actor, case_id=case_id)
    referral = db.get(Referral, referral_id)
    if referral is None or referral.case_id != case.id:
        raise NotFound("referral")
    statement = (
        select(ReferralEvent)
        .where(ReferralEvent.referral_id == referral.id)
        .order_by(ReferralEvent.at, ReferralEvent.id)
    )
    return list(db.execute(statement).scalars())
