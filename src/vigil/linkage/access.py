"""Requests for access to a report seen only as a pointer, and their decisions.

The requester says why they need to know; the holding agency's analysts and
supervisors are notified (by the report's receipt number, nothing of its content)
and decide. A grant shares the report with the requester's agency — a
dissemination, logged on the report and audited like any share; a refusal is
recorded on the report too. The requester is told either way.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.linkage.models import AccessRequest, PersonMention
from vigil.platform import audit, policy
from vigil.platform.actor import Actor
from vigil.platform.errors import Conflict, InvalidInput, NotFound
from vigil.platform.models import Agency, Notification, User, UserRole
from vigil.platform.policy.linkage_rules import DECIDER_ROLES
from vigil.platform.types import utcnow
from vigil.reports import handling
from vigil.reports.models import Mention, Report, ReportEvent

PENDING, GRANTED, REFUSED = "pending", "granted", "refused"


def _reason(value: str, field: str = "reason") -> str:
    cleaned = " ".join(value.split())
    if not 5 <= len(cleaned) <= 2000:
        raise InvalidInput({field: "Say why, in 5 to 2,000 characters."})
    return cleaned


def _deciders(db: Session, agency_id: int) -> list[int]:
    statement = (
        select(User.id)
        .join(UserRole, UserRole.user_id == User.id)
        .join(Agency, Agency.id == User.agency_id)
        .where(
            User.agency_id == agency_id,
            User.disabled_at.is_(None),
            Agency.active.is_(True),
            UserRole.role.in_([role.value for role in DECIDER_ROLES]),
        )
        .distinct()
        .order_by(User.id)
    )
    return list(db.execute(statement).scalars())


def _mentions_person(db: Session, report_id: int, person_id: int) -> bool:
    statement = (
        select(PersonMention.mention_id)
        .join(Mention, Mention.id == PersonMention.mention_id)
        .where(Mention.report_id == report_id, PersonMention.person_id == person_id)
        .limit(1)
    )
    return db.execute(statement).first() is not None


def request_access(
    db: Session, *, actor: Actor, report_id: int, reason: str, person_id: int | None = None
) -> AccessRequest:
    report = db.get(Report, report_id)
    if report is None or not policy.decide(actor, "create", "access_request", report):
        raise NotFound("access_request")
    reason = _reason(reason)
    if person_id is not None and not _mentions_person(db, report.id, person_id):
        raise InvalidInput({"person_id": "That person is not mentioned in this report."})
    requester_id, requester_agency_id = actor.member_ids()
    existing = db.execute(
        select(AccessRequest).where(
            AccessRequest.report_id == report.id,
            AccessRequest.requester_user_id == requester_id,
            AccessRequest.status == PENDING,
        )
    ).scalar_one_or_none()
    if existing is not None:
        return existing
    request = AccessRequest(
        report_id=report.id,
        person_id=person_id,
        requester_user_id=requester_id,
        requester_agency_id=requester_agency_id,
        holding_agency_id=report.owner_agency_id,
        reason=reason,
        status=PENDING,
    )
    db.add(request)
    db.flush()
    for user_id in _deciders(db, report.owner_agency_id):
        db.add(
            Notification(
                user_id=user_id,
                kind="access_request",
                subject=f"Access requested to report {report.receipt_number}",
                link=f"/linkage/access-requests/{request.id}",
                object_type="access_request",
                object_id=str(request.id),
            )
        )
    audit.record(
        db,
        actor=actor,
        action="access_request.create",
        object_type="access_request",
        object_id=request.id,
        agency_id=report.owner_agency_id,
        details={"report": report.id},
    )
    return request


def list_requests(db: Session, *, actor: Actor) -> list[AccessRequest]:
    policy.authorize(actor, "list", "access_request")
    return list(
        db.execute(
            select(AccessRequest)
            .where(policy.scope(actor, "list", "access_request"))
            .order_by(AccessRequest.status != PENDING, AccessRequest.created_at.desc())
            .limit(500)
        ).scalars()
    )


def get_request(db: Session, *, actor: Actor, request_id: int) -> AccessRequest:
    request = db.get(AccessRequest, request_id)
    if request is None or not policy.decide(actor, "read", "access_request", request):
        raise NotFound("access_request")
    return request


class _WithReport:
    """An access request with its report, as the policy rule for "decide" reads it."""

    def __init__(self, request: AccessRequest, report: Report) -> None:
        self.request = request
        self.report = report


def can_decide(db: Session, actor: Actor, request: AccessRequest) -> bool:
    report = db.get_one(Report, request.report_id)
    return policy.decide(actor, "decide", "access_request", _WithReport(request, report))


def decide_request(
    db: Session, *, actor: Actor, request_id: int, grant: bool, reason: str
) -> AccessRequest:
    request = get_request(db, actor=actor, request_id=request_id)
    report = db.get_one(Report, request.report_id)
    policy.authorize(actor, "decide", "access_request", _WithReport(request, report))
    if request.status != PENDING:
        raise Conflict("This request has already been decided.", field="decision")
    reason = _reason(reason)
    if grant:
        handling.share_report(
            db,
            actor=actor,
            report_id=report.id,
            agency_ids=[request.requester_agency_id],
            reason=f"access request {request.id}: {reason}",
        )
    else:
        db.add(
            ReportEvent(
                report_id=report.id,
                kind="access_refused",
                user_id=actor.user_id,
                agency_id=actor.agency_id,
                summary=f"Access request {request.id} refused: {reason}",
                data={"agency": request.requester_agency_id},
            )
        )
    request.status = GRANTED if grant else REFUSED
    request.decided_by_user_id = actor.user_id
    request.decided_at = utcnow()
    request.decision_reason = reason
    db.add(
        Notification(
            user_id=request.requester_user_id,
            kind="access_decision",
            subject=f"Your access request {request.id} was {request.status}",
            link=f"/linkage/access-requests/{request.id}",
            object_type="access_request",
            object_id=str(request.id),
        )
    )
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="access_request.decide",
        object_type="access_request",
        object_id=request.id,
        agency_id=report.owner_agency_id,
        details={"decision": request.status, "report": report.id},
    )
    return request
