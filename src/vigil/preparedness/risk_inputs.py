"""What a site's risk is computed from besides its registered values, as one reader may
see it: the open threats against it that reports and threat-assessment cases hold (only
those the reader may see, counted inside the query through the policy module) and its
latest signed-off assessment the reader may read."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.selectable import ScalarSelect

from vigil.assessment.models import Case
from vigil.assessment.vocabulary import ACTIVE_STATUSES
from vigil.platform import policy
from vigil.platform.actor import Actor
from vigil.preparedness.assessment_models import SiteAssessment, SiteThreat
from vigil.preparedness.models import ProtectedSite
from vigil.preparedness.risk import AssessedVulnerability, RiskInputs
from vigil.reports.models import Report

_CHUNK = 900


def open_reports_query(actor: Actor) -> Select[int, int]:
    """(site id, open reports against it the actor may see). A report is open until it
    is disposed of or purged."""
    return (
        select(SiteThreat.site_id, func.count())
        .join(Report, Report.id == SiteThreat.report_id)
        .where(
            Report.disposed_at.is_(None),
            Report.purged_at.is_(None),
            policy.scope(actor, "list", "report"),
        )
        .group_by(SiteThreat.site_id)
    )


def open_cases_query(actor: Actor) -> Select[int, int]:
    """(site id, active threat-assessment cases about it the actor may see)."""
    return (
        select(SiteThreat.site_id, func.count())
        .join(Case, Case.id == SiteThreat.case_id)
        .where(Case.status.in_(ACTIVE_STATUSES), policy.scope(actor, "list", "case"))
        .group_by(SiteThreat.site_id)
    )


def latest_assessment_column(actor: Actor) -> ScalarSelect[int]:
    """The id of a site's latest signed-off assessment the actor may read, as a
    correlated subquery on ``protected_sites`` (one index probe per site)."""
    return (
        select(SiteAssessment.id)
        .where(
            SiteAssessment.site_id == ProtectedSite.id,
            SiteAssessment.status == "signed_off",
            policy.scope(actor, "list", "site_assessment"),
        )
        .order_by(SiteAssessment.signed_off_at.desc(), SiteAssessment.id.desc())
        .limit(1)
        .correlate(ProtectedSite)
        .scalar_subquery()
    )


def assessed(db: Session, assessment_ids: Collection[int]) -> dict[int, AssessedVulnerability]:
    """The frozen vulnerability of each signed-off assessment, by assessment id."""
    found: dict[int, AssessedVulnerability] = {}
    ids = sorted(set(assessment_ids))
    for start in range(0, len(ids), _CHUNK):
        rows = db.execute(
            select(
                SiteAssessment.id,
                SiteAssessment.vulnerability,
                SiteAssessment.score,
                SiteAssessment.signed_off_at,
            ).where(SiteAssessment.id.in_(ids[start : start + _CHUNK]))
        ).all()
        for assessment_id, vulnerability, score, signed_off_at in rows:
            if vulnerability is not None and signed_off_at is not None:
                found[assessment_id] = AssessedVulnerability(
                    vulnerability, assessment_id, signed_off_at, score
                )
    return found


def threat_counts(
    db: Session, actor: Actor, site_ids: Collection[int] | None = None
) -> dict[int, tuple[int, int]]:
    """{site id: (open reports, open cases)} the actor may see, for the given sites (all
    linked sites when None)."""
    counts: dict[int, list[int]] = {}
    for position, query in enumerate((open_reports_query(actor), open_cases_query(actor))):
        if site_ids is not None:
            query = query.where(SiteThreat.site_id.in_(sorted(set(site_ids))))
        for site_id, count in db.execute(query).all():
            counts.setdefault(site_id, [0, 0])[position] = int(count)
    return {site_id: (c[0], c[1]) for site_id, c in counts.items()}


def inputs_for(db: Session, actor: Actor, site_ids: Collection[int]) -> dict[int, RiskInputs]:
    """Everything the risk of each given site needs beyond the site itself."""
    if not site_ids:
        return {}
    ids = sorted(set(site_ids))
    latest: dict[int, int | None] = {}
    for start in range(0, len(ids), _CHUNK):
        latest.update(
            db.execute(
                select(ProtectedSite.id, latest_assessment_column(actor)).where(
                    ProtectedSite.id.in_(ids[start : start + _CHUNK])
                )
            ).all()
        )
    found = assessed(db, [a for a in latest.values() if a is not None])
    counts = threat_counts(db, actor, ids)
    return {
        site_id: RiskInputs(
            open_reports=counts.get(site_id, (0, 0))[0],
            open_cases=counts.get(site_id, (0, 0))[1],
            assessed=found.get(latest.get(site_id) or 0),
        )
        for site_id in ids
    }
