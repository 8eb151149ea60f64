"""Filing, reading and listing reports (service functions; policy first, audit after)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import String, and_, case, cast, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from vigil.platform import audit, policy
from vigil.platform.actor import Actor
from vigil.platform.errors import Conflict, InvalidInput, NotFound
from vigil.platform.models import Agency, User
from vigil.platform.policy.markings import Tlp
from vigil.platform.settings import Settings
from vigil.platform.types import utcnow
from vigil.reports import identifiers, numbers, search
from vigil.reports.models import (
    IdempotencyKey,
    Mention,
    Report,
    ReportEvent,
    ReportRecipient,
    ReportShare,
)
from vigil.reports.schemas import MentionIn, ReportCreate
from vigil.reports.triage import score_urgency
from vigil.reports.vocabulary import FileClass, Source, UrgencyLevel

LEVEL_RANK = {
    UrgencyLevel.IMMINENT: 0,
    UrgencyLevel.HIGH: 1,
    UrgencyLevel.MODERATE: 2,
    UrgencyLevel.LOW: 3,
}


def ack_deadline(settings: Settings, level: str, start: datetime) -> datetime:
    minutes = {
        UrgencyLevel.IMMINENT: settings.ack_minutes_imminent,
        UrgencyLevel.HIGH: settings.ack_minutes_high,
        UrgencyLevel.MODERATE: settings.ack_minutes_moderate,
        UrgencyLevel.LOW: settings.ack_minutes_low,
    }[UrgencyLevel(level)]
    return start + timedelta(minutes=minutes)


def retention_dates(
    settings: Settings, file_class: str, start: datetime, protected_activity_only: bool
) -> tuple[datetime | None, datetime]:
    """(review due, purge due) for a report entering ``file_class`` at ``start``."""
    tip_limit = start + timedelta(days=settings.tip_lead_retention_days)
    if protected_activity_only or file_class == FileClass.TIP_LEAD:
        return None, tip_limit
    if file_class == FileClass.SAR:
        return None, start + timedelta(days=settings.sar_retention_days)
    purge = start + timedelta(days=settings.intelligence_retention_days)
    return purge - timedelta(days=settings.intelligence_review_notice_days), purge


def earlier_reports_about(db: Session, agency_id: int, mentions: list[MentionIn]) -> int:
    """Earlier reports in the agency about the same person (same full name or a shared
    phone, e-mail or handle of a subject). Linkage finds more; this is the explainable
    floor."""
    return identifiers.count_reports(db, agency_id, identifiers.of_subjects(mentions))


def _request_hash(data: ReportCreate) -> str:
    return hashlib.sha256(data.model_dump_json().encode("utf-8")).hexdigest()


def find_idempotent(db: Session, scope: str, key: str, data: ReportCreate) -> Report | None:
    existing = db.execute(
        select(IdempotencyKey).where(IdempotencyKey.scope == scope, IdempotencyKey.key == key)
    ).scalar_one_or_none()
    if existing is None:
        return None
    if existing.request_hash != _request_hash(data):
        raise Conflict(
            "This Idempotency-Key was already used for a different submission.",
            field="Idempotency-Key",
        )
    return db.get(Report, existing.report_id)


def _check_recipients(db: Session, data: ReportCreate) -> None:
    errors = {}
    if data.shared_agency_ids:
        found = set(
            db.execute(select(Agency.id).where(Agency.id.in_(data.shared_agency_ids))).scalars()
        )
        if missing := set(data.shared_agency_ids) - found:
            errors["shared_agency_ids"] = f"No agency with id {min(missing)}."
    if data.recipient_user_ids:
        found = set(
            db.execute(
                select(User.id).where(
                    User.id.in_(data.recipient_user_ids), User.disabled_at.is_(None)
                )
            ).scalars()
        )
        if missing := set(data.recipient_user_ids) - found:
            errors["recipient_user_ids"] = f"No active user with id {min(missing)}."
    if errors:
        raise InvalidInput(errors)


@dataclass(frozen=True)
class Filing:
    """Who and where a new report comes from; decided by the caller."""

    source: Source
    owner_agency_id: int
    routed_agency_id: int
    created_by_user_id: int | None = None
    tipster_contact: dict[str, str] | None = None
    followup_code_hash: str | None = None


def file_report(
    db: Session,
    *,
    actor: Actor,
    settings: Settings,
    data: ReportCreate,
    filing: Filing,
    idempotency_scope: str | None = None,
    idempotency_key: str | None = None,
    key_checked: bool = False,
) -> tuple[Report, bool]:
    """Store a report with its mentions, triage, deadline, retention and search entry,
    audited in the same transaction. Returns (report, True) for a repeated submission.
    ``key_checked``: the caller has just looked the idempotency key up in this
    transaction and found no earlier submission (a race is still caught below)."""
    if idempotency_key and idempotency_scope and not key_checked:
        earlier = find_idempotent(db, idempotency_scope, idempotency_key, data)
        if earlier is not None:
            return earlier, True
    _check_recipients(db, data)
    now = utcnow()
    subject_identifiers = identifiers.of_subjects(data.mentions)
    earlier_count = identifiers.count_reports(db, filing.routed_agency_id, subject_identifiers)
    triage = score_urgency(
        data.narrative,
        earlier_reports=earlier_count,
        behaviors=data.behaviors,
        target_types=data.target_types,
        weapons=data.weapons,
    )
    review_due, purge_due = retention_dates(
        settings, FileClass.TIP_LEAD, now, data.protected_activity_only
    )
    report = Report(
        receipt_number=numbers.new_receipt_number(),
        kind=data.kind.value,
        file_class=FileClass.TIP_LEAD.value,
        source=filing.source.value,
        narrative=data.narrative,
        occurred_at=data.occurred_at,
        reported_at=now,
        location_text=data.location_text,
        latitude=data.latitude,
        longitude=data.longitude,
        behaviors=[b.value for b in data.behaviors],
        weapons=data.weapons,
        target_types=[t.value for t in data.target_types],
        target_name=data.target_name,
        marking=data.marking.value,
        owner_agency_id=filing.owner_agency_id,
        routed_agency_id=filing.routed_agency_id,
        created_by_user_id=filing.created_by_user_id,
        protected_activity_only=data.protected_activity_only,
        tipster_contact=filing.tipster_contact,
        followup_code_hash=filing.followup_code_hash,
        urgency_score=triage.score,
        urgency_level=triage.level,
        urgency_rules=triage.as_dict()["rules"],
        ack_due_at=ack_deadline(settings, triage.level, now),
        review_due_at=review_due,
        purge_due_at=purge_due,
        created_at=now,
        updated_at=now,
    )
    report.mentions = [_mention(given) for given in data.mentions]
    report.shares = [
        ReportShare(agency_id=agency_id, shared_by_user_id=actor.user_id)
        for agency_id in sorted(set(data.shared_agency_ids))
    ]
    named = set(data.recipient_user_ids)
    if data.marking is Tlp.RED and actor.user_id is not None:
        named.add(actor.user_id)
    report.recipients = [ReportRecipient(user_id=user_id) for user_id in sorted(named)]
    try:
        # One savepoint for the report and its idempotency key: if a concurrent retry
        # with the same key won the race, none of this submission stays behind.
        with db.begin_nested():
            db.add(report)
            db.flush()
            if idempotency_key and idempotency_scope:
                db.add(
                    IdempotencyKey(
                        scope=idempotency_scope,
                        key=idempotency_key,
                        request_hash=_request_hash(data),
                        report_id=report.id,
                    )
                )
                db.flush()
    except IntegrityError:
        if idempotency_key and idempotency_scope:
            raise DuplicateSubmission() from None
        raise
    identifiers.store(db, report.id, subject_identifiers)
    db.add(
        ReportEvent(
            report_id=report.id,
            kind="filed",
            agency_id=filing.routed_agency_id,
            user_id=actor.user_id,
            at=now,
            summary=f"Filed by {filing.source.value}; routed to agency {filing.routed_agency_id}",
            data={"level": triage.level, "score": triage.score},
        )
    )
    if report.shares:
        # Sharing at filing is a dissemination like any other: logged and audited.
        shared = [share.agency_id for share in report.shares]
        db.add(
            ReportEvent(
                report_id=report.id,
                kind="shared",
                agency_id=filing.owner_agency_id,
                user_id=actor.user_id,
                at=now,
                summary=f"Shared at filing with agencies {shared}",
                data={"agencies": shared},
            )
        )
    search.index_report(db, report, new=True)
    audit.record(
        db,
        actor=actor,
        action="report.create",
        object_type="report",
        object_id=report.id,
        agency_id=filing.owner_agency_id,
        details={
            "kind": report.kind,
            "source": report.source,
            "marking": report.marking,
            "level": report.urgency_level,
            "mentions": len(report.mentions),
        },
    )
    if report.shares:
        audit.record(
            db,
            actor=actor,
            action="report.share",
            object_type="report",
            object_id=report.id,
            agency_id=filing.owner_agency_id,
            details={"agencies": [share.agency_id for share in report.shares]},
        )
    return report, False


def _mention(given: MentionIn) -> Mention:
    values = given.model_dump(mode="python")
    values["role"] = given.role.value
    values["sex"] = given.sex.value if given.sex else None
    return Mention(**values)


class DuplicateSubmission(Exception):
    """Two submissions with one idempotency key raced; the caller retries the lookup."""


def create_report(
    db: Session,
    *,
    actor: Actor,
    settings: Settings,
    data: ReportCreate,
    source: Source = Source.WEB,
    idempotency_key: str | None = None,
) -> tuple[Report, bool]:
    """A signed-in user or an API client files a report for its own agency."""
    policy.authorize(actor, "create", "report")
    user_id, agency_id = actor.member_ids()
    filing = Filing(
        source=source,
        owner_agency_id=agency_id,
        routed_agency_id=agency_id,
        created_by_user_id=user_id,
    )
    scope = f"user:{user_id}"
    try:
        return file_report(
            db,
            actor=actor,
            settings=settings,
            data=data,
            filing=filing,
            idempotency_scope=scope,
            idempotency_key=idempotency_key,
        )
    except DuplicateSubmission:
        # Raised only for a keyed submission whose key another transaction committed.
        earlier = find_idempotent(db, scope, idempotency_key or "", data)
        if earlier is None:
            raise
        return earlier, True


def get_report(db: Session, *, actor: Actor, report_id: int, audit_read: bool = True) -> Report:
    """One report, if the actor may read it. Every view is audited."""
    report = db.get(Report, report_id)
    if report is None or not policy.decide(actor, "read", "report", report):
        raise NotFound("report")
    if audit_read:
        audit.record(
            db,
            actor=actor,
            action="report.read",
            object_type="report",
            object_id=report.id,
            agency_id=report.owner_agency_id,
        )
    return report


def managed_report(db: Session, *, actor: Actor, report_id: int, action: str) -> Report:
    """A visible report the actor may act on with ``action`` (else 404 / 403)."""
    report = get_report(db, actor=actor, report_id=report_id, audit_read=False)
    policy.authorize(actor, action, "report", report)
    return report


@dataclass(frozen=True)
class QueueFilter:
    agency_id: int | None = None
    kind: str | None = None
    behavior: str | None = None
    level: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    unassessed_only: bool = True


def level_order() -> object:
    level = func.coalesce(Report.level_override, Report.urgency_level)
    return case({value.value: rank for value, rank in LEVEL_RANK.items()}, value=level, else_=9)


def list_reports(
    db: Session, *, actor: Actor, filters: QueueFilter, limit: int = 50, offset: int = 0
) -> tuple[list[Report], int]:
    """The triage queue: visible reports, most urgent first, filtered inside the query."""
    policy.authorize(actor, "list", "report")
    statement = select(Report).where(policy.scope(actor, "list", "report"))
    conditions = []
    if filters.agency_id is not None:
        conditions.append(Report.routed_agency_id == filters.agency_id)
    if filters.kind:
        conditions.append(Report.kind == filters.kind)
    if filters.behavior:
        # Values are validated enum members; JSON lists are matched as text on both
        # SQLite and PostgreSQL.
        conditions.append(cast(Report.behaviors, String).like(f'%"{filters.behavior}"%'))
    if filters.level:
        conditions.append(
            func.coalesce(Report.level_override, Report.urgency_level) == filters.level
        )
    if filters.since:
        conditions.append(Report.reported_at >= filters.since)
    if filters.until:
        conditions.append(Report.reported_at < filters.until)
    if filters.unassessed_only:
        conditions.append(Report.disposed_at.is_(None))
    if conditions:
        statement = statement.where(and_(*conditions))
    total = db.execute(select(func.count()).select_from(statement.subquery())).scalar_one()
    rows = (
        db.execute(
            statement.options(selectinload(Report.shares))
            .order_by(level_order(), Report.urgency_score.desc(), Report.reported_at)  # type: ignore[arg-type]
            .limit(limit)
            .offset(offset)
        )
        .scalars()
        .all()
    )
    audit.record(
        db,
        actor=actor,
        action="report.list",
        object_type="report",
        details={"returned": len(rows), "offset": offset},
    )
    return list(rows), total
