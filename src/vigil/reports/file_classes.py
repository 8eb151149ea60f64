"""Civil liberties as code: promotion from tip/lead to SAR (a supervisor's vetting) and
to criminal intelligence (a documented criminal predicate, 28 CFR Part 23).

A report marked as describing only protected activity (political, religious or
social views, associations or activities) can never become intelligence and keeps
the tip/lead retention limit whatever its class.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from vigil.platform import audit
from vigil.platform.actor import Actor
from vigil.platform.errors import InvalidInput
from vigil.platform.policy.markings import Tlp
from vigil.platform.settings import Settings
from vigil.platform.types import utcnow
from vigil.reports.models import FileClassChange, Report, ReportEvent
from vigil.reports.service import managed_report, retention_dates
from vigil.reports.vocabulary import Behavior, FileClass

MIN_REASON = 20  # characters: a justification is a sentence, not a checkbox
MAX_REASON = 5000


def _reason(value: str, field: str, what: str) -> str:
    value = " ".join(value.split())
    if len(value) < MIN_REASON:
        raise InvalidInput({field: f"Write the {what} in at least {MIN_REASON} characters."})
    if len(value) > MAX_REASON:
        raise InvalidInput({field: f"Keep the {what} under {MAX_REASON} characters."})
    return value


def _change(
    db: Session,
    report: Report,
    actor: Actor,
    settings: Settings,
    to_class: FileClass,
    **reasons: str | None,
) -> FileClassChange:
    now = utcnow()
    change = FileClassChange(
        report_id=report.id,
        from_class=report.file_class,
        to_class=to_class.value,
        user_id=actor.user_id,
        decided_at=now,
        **reasons,
    )
    db.add(change)
    report.file_class = to_class.value
    if report.protected_activity_only:
        # Vetting restarts no clock: such a report never outlives the tip/lead limit
        # counted from when it came in.
        _, limit = retention_dates(settings, FileClass.TIP_LEAD, report.reported_at, True)
        report.review_due_at = None
        report.purge_due_at = min(limit, report.purge_due_at or limit)
    else:
        report.review_due_at, report.purge_due_at = retention_dates(
            settings, to_class, now, report.protected_activity_only
        )
    report.updated_at = now
    db.add(
        ReportEvent(
            report_id=report.id,
            kind="file_class",
            user_id=actor.user_id,
            agency_id=actor.agency_id,
            at=now,
            summary=f"{FileClass(change.from_class).label} → {to_class.label}",
        )
    )
    # A reclassified (and perhaps re-marked) report is a changed record: whoever
    # received it is told, and partner instances get the new version (28 CFR 23.20(h)).
    from vigil.sharing import propagation

    propagation.propagate(db, actor=actor, report=report, change="correction")
    audit.record(
        db,
        actor=actor,
        action=f"report.promote_{to_class.value}",
        object_type="report",
        object_id=report.id,
        agency_id=report.owner_agency_id,
        details={"from": change.from_class, "to": to_class.value},
    )
    return change


def promote_to_sar(
    db: Session,
    *,
    actor: Actor,
    settings: Settings,
    report_id: int,
    behavior: Behavior,
    nexus: str,
) -> Report:
    """A supervisor vets a tip/lead as a SAR: an ISE-SAR behavior category and a
    potential nexus to violence or terrorism, in words."""
    report = managed_report(db, actor=actor, report_id=report_id, action="promote_sar")
    if report.file_class != FileClass.TIP_LEAD:
        raise InvalidInput({"file_class": "Only a tip/lead can be vetted as a SAR."})
    nexus = _reason(nexus, "nexus", "potential nexus to violence or terrorism")
    if behavior.value not in report.behaviors:
        report.behaviors = [*report.behaviors, behavior.value]
    _change(db, report, actor, settings, FileClass.SAR, behavior=behavior.value, nexus=nexus)
    return report


def promote_to_intelligence(
    db: Session,
    *,
    actor: Actor,
    settings: Settings,
    report_id: int,
    predicate: str,
    justification: str,
) -> Report:
    """Criminal intelligence needs reasonable suspicion of criminal conduct (the
    predicate) and a written justification; never for protected activity alone."""
    report = managed_report(db, actor=actor, report_id=report_id, action="promote_intelligence")
    if report.protected_activity_only:
        raise InvalidInput(
            {
                "protected_activity_only": (
                    "This report describes only protected activity (views, associations or "
                    "activities); it can never be kept as criminal intelligence."
                )
            }
        )
    if report.file_class == FileClass.INTELLIGENCE:
        raise InvalidInput({"file_class": "This report is already criminal intelligence."})
    predicate = _reason(predicate, "predicate", "criminal predicate (reasonable suspicion)")
    justification = _reason(justification, "justification", "justification")
    if report.marking in (Tlp.CLEAR.value, Tlp.GREEN.value):
        # Intelligence is need-to-know: never community-wide.
        report.marking = Tlp.AMBER.value
    _change(
        db,
        report,
        actor,
        settings,
        FileClass.INTELLIGENCE,
        predicate=predicate,
        justification=justification,
    )
    return report
