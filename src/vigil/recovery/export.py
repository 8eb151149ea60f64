"""What a survivor may take away, and when the record goes: the export of everything
held about them (the case and, beside it, their assistance-center and fund records),
and the retention purge of closed cases past their keeping date."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from vigil.platform import audit, policy
from vigil.platform.actor import Actor
from vigil.platform.models import Agency, AuditEvent
from vigil.platform.types import utcnow
from vigil.recovery.assistance_models import (
    AssistanceCenter,
    BriefingAttendance,
    CenterBriefing,
    CenterRegistration,
    CenterVisit,
    Fund,
    FundClaim,
    FundPayment,
)
from vigil.recovery.cases import audit_case, get_case
from vigil.recovery.models import (
    Consent,
    DateReminder,
    Disclosure,
    ImportantDate,
    NeedsAssessment,
    PlanItem,
    Referral,
    ReferralEvent,
    SurvivorCase,
)


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _row(obj: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    return {name: _iso(getattr(obj, name)) for name in fields}


def center_and_fund_records(db: Session, case_id: int) -> dict[str, list[dict[str, Any]]]:
    """The family's registrations at assistance centers (with their visits and the
    briefings attended) and their claims on donated funds (with the payment), as held
    by the provider beside the case."""
    registrations = list(
        db.execute(
            select(CenterRegistration, AssistanceCenter.name)
            .join(AssistanceCenter, AssistanceCenter.id == CenterRegistration.center_id)
            .where(CenterRegistration.survivor_case_id == case_id)
            .order_by(CenterRegistration.registered_at, CenterRegistration.id)
        ).all()
    )
    ids = [registration.id for registration, _ in registrations] or [0]
    visits: dict[int, list[dict[str, Any]]] = {}
    for visit in db.execute(
        select(CenterVisit)
        .where(CenterVisit.registration_id.in_(ids))
        .order_by(CenterVisit.visited_at, CenterVisit.id)
    ).scalars():
        visits.setdefault(visit.registration_id, []).append(
            _row(visit, ("visited_at", "services", "note"))
        )
    attended: dict[int, list[dict[str, Any]]] = {}
    for registration_id, at, topic, presenter, attendees in db.execute(
        select(
            BriefingAttendance.registration_id,
            CenterBriefing.scheduled_at,
            CenterBriefing.topic,
            CenterBriefing.presenter,
            BriefingAttendance.attendees,
        )
        .join(CenterBriefing, CenterBriefing.id == BriefingAttendance.briefing_id)
        .where(BriefingAttendance.registration_id.in_(ids))
        .order_by(CenterBriefing.scheduled_at, CenterBriefing.id)
    ):
        attended.setdefault(registration_id, []).append(
            {"at": _iso(at), "topic": topic, "presenter": presenter, "attendees": attendees}
        )
    claims = db.execute(
        select(FundClaim, Fund.name, FundPayment)
        .join(Fund, Fund.id == FundClaim.fund_id)
        .outerjoin(FundPayment, FundPayment.claim_id == FundClaim.id)
        .where(FundClaim.survivor_case_id == case_id)
        .order_by(FundClaim.id)
    ).all()
    return {
        "assistance_center_registrations": [
            _row(
                r,
                (
                    "number",
                    "kind",
                    "display_name",
                    "people_count",
                    "preferred_language",
                    "contact",
                    "reunification_record",
                    "registered_at",
                ),
            )
            | {
                "center": center_name,
                "visits": visits.get(r.id, []),
                "briefings_attended": attended.get(r.id, []),
            }
            for r, center_name in registrations
        ],
        "fund_claims": [
            _row(
                c,
                (
                    "number",
                    "claimant_name",
                    "harm",
                    "nights",
                    "evidence_record",
                    "evidence_document",
                    "evidence_check",
                    "status",
                    "decision_reason",
                    "decided_at",
                    "created_at",
                ),
            )
            | {
                "fund": fund_name,
                "payment": _row(payment, ("tier", "amount_cents", "paid_on"))
                if payment is not None
                else None,
            }
            for c, fund_name, payment in claims
        ],
    }


def export_case(db: Session, *, actor: Actor, case_id: int) -> dict[str, Any]:
    """Everything Vigil holds about the survivor or family of one case, as JSON-ready
    data: the case, consents, every disclosure made under them, referrals with their
    history, dates and reminders, their registrations, visits and briefings at the
    assistance center, their fund claims and payments, and the trail of who did what
    to the record."""
    case = get_case(db, actor=actor, case_id=case_id, action="export")
    agency_names = dict(db.execute(select(Agency.id, Agency.name)).all())
    consents = db.execute(
        select(Consent).where(Consent.case_id == case.id).order_by(Consent.id)
    ).scalars()
    disclosures = list(
        db.execute(
            select(Disclosure)
            .where(Disclosure.case_id == case.id)
            .order_by(Disclosure.at, Disclosure.id)
        ).scalars()
    )
    referrals = list(
        db.execute(
            select(Referral).where(Referral.case_id == case.id).order_by(Referral.id)
        ).scalars()
    )
    events = db.execute(
        select(ReferralEvent)
        .where(ReferralEvent.referral_id.in_([r.id for r in referrals] or [0]))
        .order_by(ReferralEvent.at, ReferralEvent.id)
    ).scalars()
    history: dict[int, list[dict[str, Any]]] = {}
    for event in events:
        history.setdefault(event.referral_id, []).append(
            _row(event, ("from_status", "to_status", "at", "note"))
        )
    dates = list(
        db.execute(
            select(ImportantDate)
            .where(ImportantDate.case_id == case.id)
            .order_by(ImportantDate.on_date)
        ).scalars()
    )
    reminders = db.execute(
        select(DateReminder)
        .where(DateReminder.date_id.in_([d.id for d in dates] or [0]))
        .order_by(DateReminder.sent_at)
    ).scalars()
    trail = db.execute(
        select(AuditEvent.occurred_at, AuditEvent.action, AuditEvent.agency_id, AuditEvent.outcome)
        .where(AuditEvent.object_type == "survivor_case", AuditEvent.object_id == str(case.id))
        .order_by(AuditEvent.seq)
    ).all()
    document = {
        "exported_at": utcnow().isoformat(),
        "case": _row(
            case,
            (
                "number",
                "kind",
                "display_name",
                "preferred_language",
                "contact",
                "notes",
                "status",
                "incident_id",
                "opened_at",
                "first_service_at",
                "closed_at",
                "retain_until",
            ),
        )
        | {"provider": agency_names.get(case.provider_agency_id)},
        "consents": [
            _row(
                c,
                (
                    "purpose",
                    "written_on_file",
                    "document_reference",
                    "signed_on",
                    "expires_on",
                    "recorded_at",
                    "revoked_at",
                ),
            )
            | {"recipient": agency_names.get(c.recipient_agency_id)}
            for c in consents
        ],
        "disclosures": [
            _row(d, ("purpose", "at")) | {"recipient": agency_names.get(d.recipient_agency_id)}
            for d in disclosures
            if d.subject == "case"
        ],
        # The times their assistance-center records went with a disclosure.
        "center_record_disclosures": [
            _row(d, ("purpose", "at")) | {"recipient": agency_names.get(d.recipient_agency_id)}
            for d in disclosures
            if d.subject == "center_records"
        ],
        "referrals": [
            _row(
                r,
                (
                    "service_kind",
                    "provider_name",
                    "status",
                    "referred_on",
                    "follow_up_on",
                    "closed_at",
                ),
            )
            | {"history": history.get(r.id, [])}
            for r in referrals
        ],
        "dates": [
            _row(d, ("kind", "label", "on_date", "yearly", "remind_days_before")) for d in dates
        ],
        "reminders_sent": [_row(r, ("occurs_on", "sent_at")) for r in reminders],
        "needs_assessments": [
            _row(a, ("instrument_key", "instrument_version", "scores", "assessed_on"))
            for a in db.execute(
                select(NeedsAssessment)
                .where(NeedsAssessment.case_id == case.id)
                .order_by(NeedsAssessment.assessed_on, NeedsAssessment.id)
            ).scalars()
        ],
        "service_plan": [
            _row(i, ("need", "goal", "service_kind", "status", "target_on"))
            for i in db.execute(
                select(PlanItem).where(PlanItem.case_id == case.id).order_by(PlanItem.id)
            ).scalars()
        ],
        **center_and_fund_records(db, case.id),
        "access_log": [
            {
                "at": occurred_at,
                "action": action,
                "agency": agency_names.get(agency_id) if agency_id is not None else None,
                "outcome": outcome,
            }
            for occurred_at, action, agency_id, outcome in trail
        ],
    }
    audit_case(db, actor=actor, action="export", case=case)
    return document


def purge_expired(db: Session, *, actor: Actor, today: date | None = None) -> list[int]:
    """Delete closed cases past their retention date, with everything hanging off them.
    The audit trail keeps the case ids and the reason, nothing else."""
    policy.authorize(actor, "purge", "survivor_operations")
    today = today or utcnow().date()
    due = list(
        db.execute(
            select(SurvivorCase.id, SurvivorCase.provider_agency_id)
            .where(SurvivorCase.status == "closed", SurvivorCase.retain_until < today)
            .order_by(SurvivorCase.id)
        ).all()
    )
    ids = [case_id for case_id, _ in due]
    for chunk_start in range(0, len(ids), 500):
        chunk = ids[chunk_start : chunk_start + 500]
        # Children first, explicitly: SQLite enforces ON DELETE CASCADE only with its
        # foreign-key pragma, and a purge must not depend on a connection setting.
        date_ids = select(ImportantDate.id).where(ImportantDate.case_id.in_(chunk))
        referral_ids = select(Referral.id).where(Referral.case_id.in_(chunk))
        db.execute(delete(DateReminder).where(DateReminder.date_id.in_(date_ids)))
        db.execute(delete(ReferralEvent).where(ReferralEvent.referral_id.in_(referral_ids)))
        db.execute(delete(Disclosure).where(Disclosure.case_id.in_(chunk)))
        db.execute(delete(Consent).where(Consent.case_id.in_(chunk)))
        db.execute(delete(ImportantDate).where(ImportantDate.case_id.in_(chunk)))
        db.execute(delete(NeedsAssessment).where(NeedsAssessment.case_id.in_(chunk)))
        db.execute(delete(PlanItem).where(PlanItem.case_id.in_(chunk)))
        db.execute(delete(Referral).where(Referral.case_id.in_(chunk)))
        # The assistance center's registration and a fund claim outlive the case (the
        # fund's books must add up); only their link to it goes.
        for linked in (CenterRegistration, FundClaim):
            db.execute(
                update(linked)
                .where(linked.survivor_case_id.in_(chunk))
                .values(survivor_case_id=None)
            )
        db.execute(delete(SurvivorCase).where(SurvivorCase.id.in_(chunk)))
    for case_id, agency_id in due:
        audit.record(
            db,
            actor=actor,
            action="survivor_case.purge",
            object_type="survivor_case",
            object_id=case_id,
            agency_id=agency_id,
            details={"reason": "retention period ended"},
        )
    db.expire_all()
    return ids
