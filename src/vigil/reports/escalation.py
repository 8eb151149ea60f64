"""Acknowledgement deadlines: a report not acknowledged in time escalates, once, to the
supervisors of the agency it is routed to.

Each urgency level has its deadline (settings ``ack_minutes_*``; defaults: imminent
15 minutes, high 4 hours, moderate 2 days, low 7 days), set when the report is filed
and again when it is routed or its level is overridden. Routing a report elsewhere
clears ``escalated_at``, so a missed deadline at the new agency escalates there too.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.platform import audit
from vigil.platform.actor import Actor, command_line
from vigil.platform.settings import Settings
from vigil.platform.types import utcnow
from vigil.reports.models import Report, ReportEvent
from vigil.reports.notifications import notify_supervisors

SCHEDULER = command_line("scheduler")


def breach_subject(receipt_number: str, level: str) -> str:
    """What a supervisor's notification says: the receipt and the level, nothing else."""
    return f"Acknowledgement overdue: report {receipt_number} ({level})"


def escalate_breaches(
    db: Session, *, settings: Settings, now: datetime | None = None, actor: Actor = SCHEDULER
) -> int:
    """Escalate every unacknowledged, undisposed report past its acknowledgement
    deadline that has not been escalated yet; returns how many were escalated."""
    now = now or utcnow()
    overdue = (
        db.execute(
            select(Report)
            .where(
                Report.acknowledged_at.is_(None),
                Report.disposed_at.is_(None),
                Report.escalated_at.is_(None),
                Report.ack_due_at.is_not(None),
                Report.ack_due_at <= now,
            )
            .order_by(Report.ack_due_at, Report.id)
            # Two servers (or the server and a shell) never escalate the same report twice.
            .with_for_update(skip_locked=True)
        )
        .scalars()
        .all()
    )
    escalated = 0
    for report in overdue:
        level = report.effective_level
        report.escalated_at = now
        report.updated_at = now
        notified = notify_supervisors(
            db,
            actor=actor,
            agency_id=report.routed_agency_id,
            kind="report.escalated",
            subject=breach_subject(report.receipt_number, level),
            link=f"/reports/{report.id}",
            report_id=report.id,
            at=now,
        )
        db.add(
            ReportEvent(
                report_id=report.id,
                kind="escalated",
                agency_id=report.routed_agency_id,
                at=now,
                summary=(
                    f"Not acknowledged by the {level} deadline; escalated to "
                    f"{notified} supervisor{'s' if notified != 1 else ''}"
                ),
                data={"level": level, "notified": notified},
            )
        )
        audit.record(
            db,
            actor=actor,
            action="report.escalate",
            object_type="report",
            object_id=report.id,
            agency_id=report.owner_agency_id,
            details={
                "level": level,
                "routed_agency": report.routed_agency_id,
                "notified": notified,
            },
        )
        escalated += 1
    return escalated
