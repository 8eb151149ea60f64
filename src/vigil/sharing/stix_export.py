"""Exporting reports as STIX 2.1 bundles: only reports the policy lets the actor export,
each one recorded as a dissemination and audited."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from vigil.platform import audit, policy
from vigil.platform.actor import Actor
from vigil.platform.errors import InvalidInput, NotFound
from vigil.platform.models import Agency
from vigil.platform.policy.markings import Tlp
from vigil.platform.types import utcnow
from vigil.reports.models import Report
from vigil.sharing.models import Dissemination, ImportedReport
from vigil.sharing.stix_mapping import (
    MENTION_FIELDS,
    Origin,
    ReportValues,
    common_objects,
    marking_object,
    report_objects,
)

MAX_EXPORT_REPORTS = 100_000


def origin_of(imported: ImportedReport) -> Origin:
    return Origin(
        stix_id=imported.stix_id,
        name=imported.name,
        created=imported.stix_created,
        modified=imported.stix_modified,
        published=imported.stix_published,
        receipt_number=imported.receipt_number,
        source_identity_id=imported.source_identity_id,
        source_name=imported.source_name,
        source_identity_class=imported.source_identity_class,
        notes=tuple(imported.notes or ()),
    )


def _mention_values(mention: Any) -> dict[str, Any]:
    values = {name: getattr(mention, name) for name in MENTION_FIELDS}
    if values["date_of_birth"] is not None:
        values["date_of_birth"] = values["date_of_birth"].isoformat()
    return values


def report_values(
    report: Report, agency_name: str, imported: ImportedReport | None
) -> ReportValues:
    """The mapping's view of one stored report."""
    return ReportValues(
        receipt_number=report.receipt_number,
        kind=report.kind,
        file_class=report.file_class,
        narrative=report.narrative,
        occurred_at=report.occurred_at,
        reported_at=report.reported_at,
        created_at=report.created_at,
        updated_at=report.updated_at,
        location_text=report.location_text,
        latitude=report.latitude,
        longitude=report.longitude,
        behaviors=tuple(report.behaviors or ()),
        weapons=tuple(report.weapons or ()),
        target_types=tuple(report.target_types or ()),
        target_name=report.target_name,
        marking=report.marking,
        protected_activity_only=report.protected_activity_only,
        urgency_level=report.effective_level,
        urgency_score=report.urgency_score,
        urgency_rules=tuple(
            str(rule.get("label", rule.get("rule", ""))) for rule in report.urgency_rules or ()
        ),
        owner_agency_name=agency_name,
        mentions=tuple(_mention_values(m) for m in report.mentions),
        origin=origin_of(imported) if imported else None,
        changed_since_import=bool(imported and report.updated_at > imported.imported_at),
    )


def load_values(db: Session, reports: Sequence[Report]) -> list[ReportValues]:
    """ReportValues for reports already loaded (and already authorized)."""
    ids = [report.id for report in reports]
    owners = {r.owner_agency_id for r in reports}
    agencies = {
        row.id: row.name
        for row in db.execute(select(Agency.id, Agency.name).where(Agency.id.in_(owners)))
    }
    imported = {
        row.report_id: row
        for row in db.execute(
            select(ImportedReport).where(ImportedReport.report_id.in_(ids))
        ).scalars()
    }
    return [
        report_values(report, agencies[report.owner_agency_id], imported.get(report.id))
        for report in reports
    ]


def bundle_objects(values: Iterable[ReportValues]) -> list[dict[str, Any]]:
    """Every object of the reports' bundle, each id once."""
    objects: dict[str, dict[str, Any]] = {obj["id"]: obj for obj in common_objects()}
    for one in values:
        marking = marking_object(Tlp(one.marking))
        objects.setdefault(marking["id"], marking)
        for obj in report_objects(one):
            objects.setdefault(obj["id"], obj)
    return list(objects.values())


def make_bundle(values: Iterable[ReportValues]) -> str:
    """The bundle as JSON text."""
    bundle = {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": bundle_objects(values)}
    return json.dumps(bundle, ensure_ascii=False)


@dataclass(frozen=True)
class Export:
    bundle: str
    report_ids: list[int]
    dissemination_ids: list[int]


def _clean(value: str, field: str, maximum: int) -> str:
    value = " ".join((value or "").split())
    if not 5 <= len(value) <= maximum:
        raise InvalidInput({field: f"Say it in 5 to {maximum} characters."})
    return value


def exportable_reports(db: Session, *, actor: Actor, report_ids: Sequence[int]) -> list[Report]:
    """The reports, in the order asked, if the actor may export every one (else
    NotFound for the first that they may not: its existence stays secret)."""
    if not report_ids:
        raise InvalidInput({"report_ids": "Choose at least one report."})
    if len(report_ids) > MAX_EXPORT_REPORTS:
        raise InvalidInput({"report_ids": f"Export at most {MAX_EXPORT_REPORTS:,} reports."})
    found: dict[int, Report] = {}
    unique = list(dict.fromkeys(report_ids))
    for start in range(0, len(unique), 1000):
        chunk = unique[start : start + 1000]
        statement = (
            select(Report).where(Report.id.in_(chunk)).options(selectinload(Report.mentions))
        )
        found.update({r.id: r for r in db.execute(statement).scalars()})
    reports = []
    for report_id in unique:
        report = found.get(report_id)
        if report is None or not policy.decide(actor, "export", "report_export", report):
            raise NotFound("report_export")
        reports.append(report)
    return reports


def export_reports(
    db: Session,
    *,
    actor: Actor,
    report_ids: Sequence[int],
    recipient: str,
    reason: str,
    channel: str = "stix_export",
    recipient_agency_id: int | None = None,
    at: datetime | None = None,
) -> Export:
    """A bundle of the reports for ``recipient``: one dissemination record and one
    audit event per report."""
    recipient = _clean(recipient, "recipient", 200)
    reason = _clean(reason, "reason", 2000)
    reports = exportable_reports(db, actor=actor, report_ids=report_ids)
    values = load_values(db, reports)
    bundle = make_bundle(values)
    now = at or utcnow()
    records = [
        Dissemination(
            report_id=report.id,
            stix_id=one.stix_id,
            receipt_number=report.receipt_number,
            channel=channel,
            recipient_agency_id=recipient_agency_id,
            recipient_label=recipient,
            marking=report.marking,
            by_user_id=actor.user_id,
            by_agency_id=actor.agency_id,
            reason=reason,
            at=now,
        )
        for report, one in zip(reports, values, strict=True)
    ]
    db.add_all(records)
    db.flush()
    for record in records:
        audit.record(
            db,
            actor=actor,
            action="report.export",
            object_type="report",
            object_id=record.report_id,
            agency_id=actor.agency_id,
            details={"dissemination": record.id, "channel": channel, "marking": record.marking},
        )
    return Export(
        bundle=bundle,
        report_ids=[report.id for report in reports],
        dissemination_ids=[record.id for record in records],
    )
