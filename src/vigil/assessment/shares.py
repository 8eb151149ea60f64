"""Sharing a case with another agency's team: each share is a dissemination record
(who, to whom, why, when) and revoking it ends that agency's access at once."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.assessment.cases import audit_case, facts, load_case, text, touch
from vigil.assessment.models import Case, CaseShare
from vigil.platform.actor import Actor
from vigil.platform.errors import Conflict, InvalidInput, NotFound
from vigil.platform.models import Agency
from vigil.platform.types import utcnow


def share_case(
    db: Session, *, actor: Actor, case_id: int, agency_id: int | None, reason: str
) -> CaseShare:
    case = load_case(db, actor=actor, case_id=case_id, action="manage")
    errors: dict[str, str] = {}
    agency = db.get(Agency, agency_id) if agency_id is not None else None
    if agency is None:
        errors["agency_id"] = "Choose the agency to share with."
    elif agency.id == case.owner_agency_id:
        errors["agency_id"] = "The case already belongs to that agency."
    try:
        clean = text(reason, "reason", minimum=10, maximum=2000)
    except InvalidInput as invalid:
        errors.update(invalid.errors)
    if errors or agency is None:
        raise InvalidInput(errors)
    if agency.id in facts(db, case).shared_agency_ids:
        raise Conflict("The case is already shared with that agency.", field="agency_id")
    share = CaseShare(
        case_id=case.id,
        agency_id=agency.id,
        reason=clean or "",
        shared_by_user_id=actor.user_id,
        shared_at=utcnow(),
    )
    db.add(share)
    touch(case)
    db.flush()
    audit_case(db, actor, "case.share", case, to_agency_id=agency.id, share_id=share.id)
    return share


def revoke_share(
    db: Session, *, actor: Actor, case_id: int, share_id: int, reason: str | None = None
) -> CaseShare:
    case = load_case(db, actor=actor, case_id=case_id, action="manage")
    share = db.get(CaseShare, share_id)
    if share is None or share.case_id != case.id:
        raise NotFound("case share")
    if share.revoked_at is not None:
        raise Conflict("That share was already revoked.")
    share.revoked_at = utcnow()
    share.revoked_by_user_id = actor.user_id
    share.revoke_reason = text(reason, "reason", maximum=2000)
    touch(case)
    db.flush()
    audit_case(
        db, actor, "case.share.revoke", case, to_agency_id=share.agency_id, share_id=share.id
    )
    return share


def shares(db: Session, case: Case) -> list[CaseShare]:
    return list(
        db.execute(
            select(CaseShare).where(CaseShare.case_id == case.id).order_by(CaseShare.shared_at)
        )
        .scalars()
        .all()
    )
