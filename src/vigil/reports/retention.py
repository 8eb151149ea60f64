"""Retention of reports: the review queue, revalidation and purge, per file class.

The clocks (settings, set by ``service.retention_dates`` when a report enters a
class): a tip/lead is kept ``tip_lead_retention_days`` (one year) unless it is
linked to an open case; a SAR ``sar_retention_days`` (five years); criminal
intelligence enters the review queue ``intelligence_review_notice_days`` before
``intelligence_retention_days`` (five years, 28 CFR 23.20(h)) and is purged at the
limit unless a supervisor revalidated it, with their name, the date and a reason.
A report marked as describing only protected activity is purged at the tip/lead
limit, counted from filing, whatever its class and whatever case it is linked to.

A purge deletes the report row and everything hanging off it (mentions, attachment
metadata, the tipster conversation, events, shares, reviews), its search entry and
its notifications. The audit trail keeps the report id, the receipt number and the
reason, never content. Attachment files are content-addressed and may be shared
with other reports: the purge returns the digests nothing else refers to, and the
caller deletes those files after its commit (``delete_unreferenced_files``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import Session

from vigil.platform import audit, policy
from vigil.platform.actor import Actor
from vigil.platform.errors import InvalidInput
from vigil.platform.settings import Settings
from vigil.platform.types import utcnow
from vigil.reports import notifications, search
from vigil.reports.attachments import AttachmentStore, LocalAttachmentStore
from vigil.reports.models import Report, ReportAttachment, ReportEvent, RetentionReview
from vigil.reports.service import get_report, managed_report, retention_dates
from vigil.reports.vocabulary import FileClass

MIN_REASON = 20  # characters: a revalidation is justified in a sentence
MAX_REASON = 5000
REVIEW_DUE_EVENT = "retention_review_due"


class PurgeReason(StrEnum):
    """Why a report was purged: the only words about it the audit trail keeps."""

    TIP_LEAD_LIMIT = "tip/lead retention limit"
    SAR_LIMIT = "SAR retention limit"
    INTELLIGENCE_NOT_REVALIDATED = "intelligence not revalidated"
    PROTECTED_ACTIVITY = "protected activity only: tip/lead retention limit"
    REVIEW_DECISION = "purged at retention review"
    WITHDRAWN_BY_SOURCE = "withdrawn by the partner that shared it"


class Decision(StrEnum):
    REVALIDATE = "revalidate"
    PURGE = "purge"


def report_ids_linked_to_open_cases(db: Session) -> set[int]:
    """Hook: the ids of reports linked to an open threat-assessment case.

    A tip/lead linked to an open case is kept past its limit and purged at the first
    run after the case closes. Cases arrive with the assessment module, which
    replaces this body with its query; until then no report is linked to a case.
    ``run_retention`` looks this function up at every run.
    """
    return set()


def purge_reason(file_class: str, protected_activity_only: bool) -> PurgeReason:
    """The reason recorded when a report of this class reaches its purge date."""
    if protected_activity_only:
        return PurgeReason.PROTECTED_ACTIVITY
    return {
        FileClass.TIP_LEAD.value: PurgeReason.TIP_LEAD_LIMIT,
        FileClass.SAR.value: PurgeReason.SAR_LIMIT,
        FileClass.INTELLIGENCE.value: PurgeReason.INTELLIGENCE_NOT_REVALIDATED,
    }[file_class]


def held_for_open_case(file_class: str, protected_activity_only: bool, linked: bool) -> bool:
    """Only an ordinary tip/lead waits for its case; protected activity never does."""
    return linked and file_class == FileClass.TIP_LEAD.value and not protected_activity_only


@dataclass(frozen=True)
class RetentionRun:
    """What one run did. ``files_to_delete`` are attachment digests that no report
    refers to any more: delete them from the store after the commit."""

    queued_for_review: int
    purged: int
    held_for_open_case: int
    files_to_delete: tuple[str, ...]


def _purge(db: Session, *, actor: Actor, report: Report, reason: PurgeReason) -> set[str]:
    """Delete one report and its content; returns the digests of its attachments."""
    digests = {attachment.sha256 for attachment in report.attachments}
    report_id, receipt, agency_id = report.id, report.receipt_number, report.owner_agency_id
    # 28 CFR 23.20(h): everyone who received the report learns of the purge (in-app
    # notices, and a revoked object in the sharing groups' TAXII collections).
    from vigil.sharing import propagation

    propagation.propagate(db, actor=actor, report=report, change="purge")
    search.remove_from_index(db, report_id)
    notifications.forget_report(db, report_id)
    # Mentions, attachment metadata and shares go with the ORM cascade; messages,
    # events, class changes, reviews and idempotency keys with ON DELETE CASCADE.
    db.delete(report)
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="report.purge",
        object_type="report",
        object_id=report_id,
        agency_id=agency_id,
        details={"receipt_number": receipt, "reason": reason.value},
    )
    return digests


def purge_withdrawn(db: Session, *, actor: Actor, report_id: int) -> set[str]:
    """Purge a copy of a partner's report that the partner withdrew (a federation pull
    met it revoked); returns the attachment digests to delete after the commit."""
    report = get_report(db, actor=actor, report_id=report_id, audit_read=False)
    policy.authorize(actor, "purge", "withdrawn_copy", report)
    return _purge(db, actor=actor, report=report, reason=PurgeReason.WITHDRAWN_BY_SOURCE)


def _unreferenced(db: Session, digests: Iterable[str]) -> tuple[str, ...]:
    candidates = set(digests)
    if not candidates:
        return ()
    still_used = set(
        db.execute(
            select(ReportAttachment.sha256).where(ReportAttachment.sha256.in_(candidates))
        ).scalars()
    )
    return tuple(sorted(candidates - still_used))


def _queue_for_review(db: Session, *, actor: Actor, report: Report, now: datetime) -> None:
    if report.review_due_at is None or report.purge_due_at is None:
        raise ValueError(f"report {report.id} has no review or purge date to queue")
    label = FileClass(report.file_class).label
    db.add(
        ReportEvent(
            report_id=report.id,
            kind=REVIEW_DUE_EVENT,
            agency_id=report.owner_agency_id,
            at=now,
            summary=(
                f"Retention review due: revalidate or purge by "
                f"{report.purge_due_at:%Y-%m-%d} ({label})"
            ),
            data={"purge_due": report.purge_due_at.isoformat()},
        )
    )
    notifications.notify_supervisors(
        db,
        actor=actor,
        agency_id=report.owner_agency_id,
        kind="report.retention_review",
        subject=(
            f"Retention review due: report {report.receipt_number}, "
            f"purged on {report.purge_due_at:%Y-%m-%d} unless revalidated"
        ),
        link="/reports/retention",
        report_id=report.id,
        at=now,
    )
    audit.record(
        db,
        actor=actor,
        action="report.retention_review_due",
        object_type="report",
        object_id=report.id,
        agency_id=report.owner_agency_id,
        details={
            "file_class": report.file_class,
            "purge_due": f"{report.purge_due_at:%Y-%m-%d}",
        },
    )


def run_retention(
    db: Session,
    *,
    actor: Actor,
    settings: Settings,
    now: datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> RetentionRun:
    """Purge the reports past their retention limit and put those due for review into
    the review queue (notifying the owning agency's supervisors), all audited, in the
    caller's transaction. Only the command line and the scheduler may run it."""
    policy.authorize(actor, "retention_run", "report")
    now = now or utcnow()
    protected_cutoff = now - timedelta(days=settings.tip_lead_retention_days)
    past_limit = list(
        db.execute(
            select(Report)
            .where(
                or_(
                    Report.purge_due_at <= now,
                    and_(
                        Report.protected_activity_only.is_(True),
                        Report.reported_at <= protected_cutoff,
                    ),
                )
            )
            .order_by(Report.id)
            # A concurrent run (the server's scheduler and a shell) skips what this
            # one is purging instead of failing on a row that disappears under it.
            .with_for_update(skip_locked=True)
        ).scalars()
    )
    already_noticed = exists(
        select(ReportEvent.id).where(
            ReportEvent.report_id == Report.id,
            ReportEvent.kind == REVIEW_DUE_EVENT,
            ReportEvent.at >= Report.review_due_at,
        )
    )
    linked = report_ids_linked_to_open_cases(db) if past_limit else set()
    total = len(past_limit)
    purged = held = 0
    digests: set[str] = set()
    for done, report in enumerate(past_limit, start=1):
        if held_for_open_case(
            report.file_class, report.protected_activity_only, report.id in linked
        ):
            held += 1
        else:
            reason = purge_reason(report.file_class, report.protected_activity_only)
            digests |= _purge(db, actor=actor, report=report, reason=reason)
            purged += 1
        if progress is not None:
            progress(done, total)
    due_for_review = list(
        db.execute(
            select(Report)
            .where(
                Report.review_due_at.is_not(None),
                Report.review_due_at <= now,
                Report.purge_due_at > now,
                ~already_noticed,
            )
            .order_by(Report.review_due_at, Report.id)
            .with_for_update(skip_locked=True)
        ).scalars()
    )
    for report in due_for_review:
        _queue_for_review(db, actor=actor, report=report, now=now)
    return RetentionRun(
        queued_for_review=len(due_for_review),
        purged=purged,
        held_for_open_case=held,
        files_to_delete=_unreferenced(db, digests),
    )


def review_queue(db: Session, *, actor: Actor, now: datetime | None = None) -> list[Report]:
    """Reports the actor may see whose retention review is due, soonest purge first."""
    policy.authorize(actor, "list", "report")
    now = now or utcnow()
    rows = list(
        db.execute(
            select(Report)
            .where(
                policy.scope(actor, "list", "report"),
                Report.review_due_at.is_not(None),
                Report.review_due_at <= now,
            )
            .order_by(Report.purge_due_at, Report.id)
        ).scalars()
    )
    audit.record(
        db,
        actor=actor,
        action="report.list",
        object_type="report",
        details={"view": "retention_queue", "returned": len(rows)},
    )
    return rows


@dataclass(frozen=True)
class ReviewOutcome:
    """A supervisor's retention decision. After a purge, delete ``files_to_delete``
    from the store once the transaction has committed."""

    report_id: int
    receipt_number: str
    decision: Decision
    decided_at: datetime
    review_due_at: datetime | None
    purge_due_at: datetime | None
    files_to_delete: tuple[str, ...]


def _reason(value: str) -> str:
    value = " ".join(value.split())
    if len(value) < MIN_REASON:
        raise InvalidInput({"reason": f"Write the reason in at least {MIN_REASON} characters."})
    if len(value) > MAX_REASON:
        raise InvalidInput({"reason": f"Keep the reason under {MAX_REASON} characters."})
    return value


def review_report(
    db: Session,
    *,
    actor: Actor,
    settings: Settings,
    report_id: int,
    decision: str,
    reason: str,
    now: datetime | None = None,
) -> ReviewOutcome:
    """A supervisor of the owning agency decides on a report due for review:
    revalidate (a new review and purge date counted from today, recorded with the
    reviewer, the date and the reason) or purge it now."""
    report = managed_report(db, actor=actor, report_id=report_id, action="retention_review")
    try:
        chosen = Decision(decision)
    except ValueError:
        raise InvalidInput({"decision": "Choose to revalidate or to purge."}) from None
    now = now or utcnow()
    if report.review_due_at is None or report.review_due_at > now:
        raise InvalidInput({"decision": "This report is not due for a retention review."})
    reason = _reason(reason)
    receipt = report.receipt_number
    if chosen is Decision.PURGE:
        digests = _purge(db, actor=actor, report=report, reason=PurgeReason.REVIEW_DECISION)
        return ReviewOutcome(
            report_id, receipt, chosen, now, None, None, _unreferenced(db, digests)
        )
    if report.protected_activity_only:
        raise InvalidInput(
            {"decision": "A report about protected activity only cannot be revalidated."}
        )
    review_due, purge_due = retention_dates(settings, report.file_class, now, False)
    report.review_due_at, report.purge_due_at = review_due, purge_due
    report.updated_at = now
    db.add(
        RetentionReview(
            report_id=report.id,
            reviewer_user_id=actor.user_id,
            decided_at=now,
            decision="revalidated",
            reason=reason,
            next_review_at=review_due,
        )
    )
    db.add(
        ReportEvent(
            report_id=report.id,
            kind="retention_review",
            user_id=actor.user_id,
            agency_id=actor.agency_id,
            at=now,
            summary=f"Revalidated; kept until {purge_due:%Y-%m-%d}: {reason}",
            data={"decision": "revalidated", "purge_due": purge_due.isoformat()},
        )
    )
    audit.record(
        db,
        actor=actor,
        action="report.retention_revalidate",
        object_type="report",
        object_id=report.id,
        agency_id=report.owner_agency_id,
        details={
            "next_review": f"{review_due:%Y-%m-%d}" if review_due else None,
            "purge_due": f"{purge_due:%Y-%m-%d}",
        },
    )
    return ReviewOutcome(report.id, receipt, chosen, now, review_due, purge_due, ())


def attachment_store(settings: Settings) -> AttachmentStore:
    return LocalAttachmentStore(settings.resolved_attachments_dir, settings.max_attachment_bytes)


def delete_unreferenced_files(db: Session, store: AttachmentStore, digests: Iterable[str]) -> int:
    """After the purge committed: delete the files no attachment row refers to (checked
    again, in case the purge rolled back or a new report brought the same file)."""
    removed = 0
    for digest in _unreferenced(db, digests):
        store.delete(digest)
        removed += 1
    return removed


def remove_files(
    session_factory: Callable[[], Session], settings: Settings, digests: Iterable[str]
) -> int:
    """Delete the purged reports' files in a session of its own; call after the commit."""
    digests = tuple(digests)
    if not digests:
        return 0
    with session_factory() as db:
        return delete_unreferenced_files(db, attachment_store(settings), digests)
