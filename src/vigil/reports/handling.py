"""Working a report: route, acknowledge, dispose, override the triage level, share."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vigil.platform import audit
from vigil.platform.actor import Actor
from vigil.platform.errors import InvalidInput
from vigil.platform.models import Agency
from vigil.platform.policy.markings import Tlp
from vigil.platform.settings import Settings
from vigil.platform.types import utcnow
from vigil.reports.models import Report, ReportEvent, ReportShare
from vigil.reports.service import ack_deadline, managed_report
from vigil.reports.vocabulary import UrgencyLevel

DISPOSITIONS = {
    "referred_to_threat_assessment": "Referred to a threat-assessment team",
    "referred_to_law_enforcement": "Referred to law enforcement for investigation",
    "referred_to_mental_health": "Referred to mental-health or crisis services",
    "referred_to_school": "Referred to the school or employer",
    "welfare_check": "Welfare check made",
    "information_only": "Recorded for information; no action needed",
    "unfounded": "Unfounded after inquiry",
    "duplicate": "Duplicate of another report",
}


def _event(
    db: Session, report: Report, actor: Actor, kind: str, summary: str, **data: object
) -> None:
    db.add(
        ReportEvent(
            report_id=report.id,
            kind=kind,
            user_id=actor.user_id,
            agency_id=actor.agency_id,
            at=utcnow(),
            summary=summary,
            data=data,
        )
    )
    report.updated_at = utcnow()


def _text(value: str, field: str, minimum: int = 5, maximum: int = 2000) -> str:
    value = " ".join(value.split())
    if not minimum <= len(value) <= maximum:
        raise InvalidInput({field: f"Write {minimum} to {maximum} characters."})
    return value


def _clock_start(db: Session, report: Report) -> datetime:
    """When the acknowledgement clock started: at filing, or at the last routing (which
    hands the report to an agency that has not seen it)."""
    routed_at = db.execute(
        select(func.max(ReportEvent.at)).where(
            ReportEvent.report_id == report.id, ReportEvent.kind == "routed"
        )
    ).scalar_one_or_none()
    return routed_at or report.reported_at


def route_report(
    db: Session, *, actor: Actor, settings: Settings, report_id: int, agency_id: int, reason: str
) -> Report:
    """Send a report to the agency responsible for it (a manual routing decision)."""
    report = managed_report(db, actor=actor, report_id=report_id, action="route")
    if report.marking == Tlp.RED.value and agency_id != report.routed_agency_id:
        # Nobody there is a named recipient: the report would sit unseen on their queue.
        raise InvalidInput(
            {
                "agency_id": (
                    "A TLP:RED report reaches named recipients only and cannot be routed to "
                    "another agency's queue."
                )
            }
        )
    agency = db.get(Agency, agency_id)
    if agency is None or not agency.active:
        raise InvalidInput({"agency_id": "Choose an active agency."})
    reason = _text(reason, "reason")
    previous = report.routed_agency_id
    report.routed_agency_id = agency.id
    report.acknowledged_at = None
    report.escalated_at = None
    report.ack_due_at = ack_deadline(settings, report.effective_level, utcnow())
    _event(
        db,
        report,
        actor,
        "routed",
        f"Routed to {agency.name}: {reason}",
        from_agency=previous,
        to_agency=agency.id,
    )
    audit.record(
        db,
        actor=actor,
        action="report.route",
        object_type="report",
        object_id=report.id,
        agency_id=report.owner_agency_id,
        details={"from_agency": previous, "to_agency": agency.id},
    )
    return report


def acknowledge_report(db: Session, *, actor: Actor, report_id: int) -> Report:
    report = managed_report(db, actor=actor, report_id=report_id, action="acknowledge")
    if report.acknowledged_at is None:
        report.acknowledged_at = utcnow()
        _event(db, report, actor, "acknowledged", "Acknowledged")
        audit.record(
            db,
            actor=actor,
            action="report.acknowledge",
            object_type="report",
            object_id=report.id,
            agency_id=report.owner_agency_id,
        )
    return report


def dispose_report(
    db: Session, *, actor: Actor, report_id: int, disposition: str, outcome: str
) -> Report:
    """Record what was done and the outcome; the report leaves the agency's queue."""
    report = managed_report(db, actor=actor, report_id=report_id, action="dispose")
    if disposition not in DISPOSITIONS:
        raise InvalidInput({"disposition": "Choose what was done."})
    outcome = _text(outcome, "outcome")
    now = utcnow()
    report.disposition = disposition
    report.disposed_at = now
    report.acknowledged_at = report.acknowledged_at or now
    _event(
        db,
        report,
        actor,
        "disposition",
        f"{DISPOSITIONS[disposition]}: {outcome}",
        disposition=disposition,
    )
    audit.record(
        db,
        actor=actor,
        action="report.dispose",
        object_type="report",
        object_id=report.id,
        agency_id=report.owner_agency_id,
        details={"disposition": disposition},
    )
    return report


def override_level(
    db: Session, *, actor: Actor, settings: Settings, report_id: int, level: str, reason: str
) -> Report:
    """An analyst overrides the computed urgency level, with a reason (audited)."""
    report = managed_report(db, actor=actor, report_id=report_id, action="override_level")
    try:
        chosen = UrgencyLevel(level)
    except ValueError:
        raise InvalidInput({"level": "Choose imminent, high, moderate or low."}) from None
    reason = _text(reason, "reason")
    previous = report.effective_level
    report.level_override = None if chosen.value == report.urgency_level else chosen.value
    if report.acknowledged_at is None:
        report.ack_due_at = ack_deadline(settings, chosen.value, _clock_start(db, report))
    _event(
        db,
        report,
        actor,
        "level_override",
        f"Level {previous} → {chosen.value}: {reason}",
        previous=previous,
        level=chosen.value,
    )
    audit.record(
        db,
        actor=actor,
        action="report.override_level",
        object_type="report",
        object_id=report.id,
        agency_id=report.owner_agency_id,
        details={"previous": previous, "level": chosen.value},
    )
    return report


def share_report(
    db: Session, *, actor: Actor, report_id: int, agency_ids: list[int], reason: str
) -> Report:
    """Share with named agencies (need-to-know). Recorded as a dissemination."""
    report = managed_report(db, actor=actor, report_id=report_id, action="share")
    if report.marking in (Tlp.AMBER_STRICT.value, Tlp.RED.value):
        # A share would be logged as a dissemination yet give no access: refuse it.
        raise InvalidInput(
            {
                "agency_ids": (
                    f"TLP:{report.marking} does not reach other agencies. Change the marking "
                    "to TLP:AMBER first if they need to know."
                )
            }
        )
    reason = _text(reason, "reason")
    known = set(db.execute(select(Agency.id).where(Agency.id.in_(agency_ids))).scalars())
    if not agency_ids or known != set(agency_ids):
        raise InvalidInput({"agency_ids": "Choose one or more existing agencies."})
    new = sorted(known - report.shared_agency_ids - {report.owner_agency_id})
    for agency_id in new:
        report.shares.append(ReportShare(agency_id=agency_id, shared_by_user_id=actor.user_id))
    if new:
        _event(db, report, actor, "shared", f"Shared with agencies {new}: {reason}", agencies=new)
        audit.record(
            db,
            actor=actor,
            action="report.share",
            object_type="report",
            object_id=report.id,
            agency_id=report.owner_agency_id,
            details={"agencies": new},
        )
    return report
