"""Threats against a site: linking a report or a threat-assessment case to the site it
names as a target, and listing the links a reader may see. Whether a link counts, and
whether it is shown at all, is decided on every read by the policy module: a reader
never learns of a report or case they may not read."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.assessment import cases
from vigil.assessment.models import Case
from vigil.assessment.vocabulary import ACTIVE_STATUSES
from vigil.platform import audit, policy
from vigil.platform.actor import Actor
from vigil.platform.errors import Conflict, InvalidInput, NotFound
from vigil.platform.types import utcnow
from vigil.preparedness.assessment_models import SiteThreat
from vigil.preparedness.models import ProtectedSite
from vigil.preparedness.sites import get_site
from vigil.reports import service as reports
from vigil.reports.models import Report


def _audit(db: Session, actor: Actor, action: str, site: ProtectedSite, link: SiteThreat) -> None:
    audit.record(
        db,
        actor=actor,
        action=f"protected_site.{action}",
        object_type="protected_site",
        object_id=site.id,
        agency_id=site.owner_agency_id,
        details={"threat_id": link.id, "report_id": link.report_id, "case_id": link.case_id},
    )


def link_threat(
    db: Session,
    *,
    actor: Actor,
    site_id: int,
    report_id: int | None = None,
    case_id: int | None = None,
) -> SiteThreat:
    """Record that a report or a case the actor may read holds a threat against a site
    the actor's agency owns."""
    site = get_site(db, actor=actor, site_id=site_id, action="update")
    if (report_id is None) == (case_id is None):
        raise InvalidInput({"threat": "Give a report number or a case number."})
    try:
        if report_id is not None:
            reports.get_report(db, actor=actor, report_id=report_id, audit_read=False)
        else:
            cases.load_case(db, actor=actor, case_id=case_id or 0)
    except (NotFound, policy.PermissionDenied):
        field = "report_id" if report_id is not None else "case_id"
        raise InvalidInput({field: "No such report or case that you may read."}) from None
    existing = db.execute(
        select(SiteThreat.id).where(
            SiteThreat.site_id == site.id,
            SiteThreat.report_id == report_id
            if report_id is not None
            else SiteThreat.case_id == case_id,
        )
    ).scalar_one_or_none()
    if existing is not None:
        raise Conflict("It is already linked to this site.", field="threat")
    link = SiteThreat(
        site_id=site.id,
        report_id=report_id,
        case_id=case_id,
        linked_at=utcnow(),
        linked_by_user_id=actor.user_id,
    )
    db.add(link)
    db.flush()
    _audit(db, actor, "link_threat", site, link)
    return link


def unlink_threat(db: Session, *, actor: Actor, site_id: int, threat_id: int) -> None:
    """Remove a link from a site the actor's agency owns; only one whose report or case
    the actor may read (else it is not theirs to know of: NotFound, audited)."""
    site = get_site(db, actor=actor, site_id=site_id, action="update")
    link = db.get(SiteThreat, threat_id)
    if link is None or link.site_id != site.id:
        raise NotFound("threat")
    if link.report_id is not None:
        report = db.get(Report, link.report_id)
        if report is None or not policy.decide(actor, "read", "report", report):
            raise NotFound("report")
    else:
        case = db.get(Case, link.case_id)
        if case is None or not policy.decide(actor, "read", "case", cases.facts(db, case)):
            raise NotFound("case")
    _audit(db, actor, "unlink_threat", site, link)
    db.delete(link)
    db.flush()


@dataclass(frozen=True)
class ThreatRow:
    link: SiteThreat
    label: str  # a receipt or case number
    open: bool


def threats_of(db: Session, *, actor: Actor, site_id: int) -> list[ThreatRow]:
    """The reports and cases linked to a site that the actor may read (others are not
    even counted), newest link first."""
    site = get_site(db, actor=actor, site_id=site_id)
    found = []
    for link, receipt, disposed, purged in db.execute(
        select(SiteThreat, Report.receipt_number, Report.disposed_at, Report.purged_at)
        .join(Report, Report.id == SiteThreat.report_id)
        .where(SiteThreat.site_id == site.id, policy.scope(actor, "list", "report"))
    ).all():
        found.append(ThreatRow(link, f"Report {receipt}", disposed is None and purged is None))
    for link, number, status in db.execute(
        select(SiteThreat, Case.number, Case.status)
        .join(Case, Case.id == SiteThreat.case_id)
        .where(SiteThreat.site_id == site.id, policy.scope(actor, "list", "case"))
    ).all():
        found.append(ThreatRow(link, f"Case {number}", status in ACTIVE_STATUSES))
    found.sort(key=lambda row: (row.link.linked_at, row.link.id), reverse=True)
    return found
