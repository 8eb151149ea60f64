"""Vigil's own outcomes, de-identified: one agency's reports by kind and month, ISE-SAR
categories, dispositions and time to triage; threat-assessment cases and their
management outcomes; reunification and victim-service figures; and who is reported,
vetted and referred, by the demographic fields reports record.

Everything is counted inside the policy boundary and only suppressed counts leave it
(vigil.analytics.suppression): no count from 1 to ``threshold - 1``, no hidden count
worked out from its totals, no median or percentile over fewer than ``threshold``
cases. Only aggregates are read from the other domains' tables (GROUP BY counts), and
each agency's figures are computed alone: a supervisor sees their own agency's, and
another agency's only where that agency shares them (OutcomeSharing). No pooled
all-agency table is published beside them, so no table can be subtracted from another.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from statistics import median, quantiles

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from vigil.analytics.disparities import Disparity, disparities
from vigil.analytics.models import OutcomeSharing
from vigil.analytics.suppression import (
    DEFAULT_THRESHOLD,
    MAX_THRESHOLD,
    MIN_THRESHOLD,
    Grid,
    protect_grid,
    suppress,
)
from vigil.assessment.models import Case, Intervention
from vigil.assessment.vocabulary import STATUSES as CASE_STATUSES
from vigil.platform import audit, policy
from vigil.platform.actor import Actor
from vigil.platform.errors import InvalidInput, NotFound
from vigil.platform.models import Agency
from vigil.platform.types import utcnow
from vigil.recovery.models import Referral, SurvivorCase
from vigil.recovery.vocabulary import CASE_KINDS, REFERRAL_STATUSES, SERVICE_KINDS
from vigil.reports.handling import DISPOSITIONS
from vigil.reports.models import Report
from vigil.reports.vocabulary import BEHAVIOR_LABELS, ReportKind
from vigil.response.models import Incident, Inquiry, InquiryCandidate, ListedPerson
from vigil.response.pages import STATUS_LABELS as PERSON_STATUSES

PERIODS = (6, 12, 24, 36)  # months back, the current month included
PUBLISHED_MONTHS = 12  # the one view the pages and the API publish
KINDS = {kind.value: kind.label for kind in ReportKind}
MANAGEMENT = {
    "referrals_completed": "Mental-health referrals completed",
    "protective_orders_granted": "Extreme risk protection orders granted",
    "cases_with_firearms_relinquished": "Cases where firearms were relinquished",
}


@dataclass(frozen=True)
class OutcomeQuery:
    months: int = 12
    threshold: int = DEFAULT_THRESHOLD


@dataclass(frozen=True)
class OneWay:
    """Counts by one classification; ``total`` None where the classes overlap (no
    total is published, so only the small cells are hidden) or where it is small."""

    key: str
    title: str
    labels: dict[str, str]
    cells: dict[str, int | None]
    total: int | None
    has_total: bool = True
    note: str = ""


@dataclass(frozen=True)
class TwoWay:
    key: str
    title: str
    row_labels: dict[str, str]
    grid: Grid
    note: str = ""


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    value: float | int | None  # None: fewer than the threshold behind it
    basis: int | None  # how many cases it is over (None: suppressed)
    unit: str


@dataclass(frozen=True)
class AgencyOutcomes:
    agency_id: int
    agency_name: str
    months: tuple[str, ...]
    threshold: int
    since: date
    shared: bool
    reports: list[OneWay | TwoWay] = field(default_factory=list)
    triage: list[Figure] = field(default_factory=list)
    cases: list[OneWay | TwoWay] = field(default_factory=list)
    management: list[Figure] = field(default_factory=list)
    reunification: list[OneWay | TwoWay] = field(default_factory=list)
    recovery: list[OneWay | TwoWay] = field(default_factory=list)
    disparities: list[Disparity] = field(default_factory=list)


@dataclass(frozen=True)
class OutcomeScope:
    """What the policy decides on: whose figures, and whether that agency shares."""

    agency_id: int
    shared: bool


def month_labels(today: date, months: int) -> tuple[str, ...]:
    year, month = today.year, today.month
    found = []
    for _ in range(months):
        found.append(f"{year}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return tuple(reversed(found))


def _since(labels: tuple[str, ...]) -> datetime:
    year, month = map(int, labels[0].split("-"))
    return datetime(year, month, 1, tzinfo=UTC)


def _month(moment: datetime | date) -> str:
    return f"{moment.year}-{moment.month:02d}"


def _one_way(
    key: str,
    title: str,
    labels: Mapping[str, str],
    counts: Mapping[str, int],
    threshold: int,
    *,
    has_total: bool = True,
    note: str = "",
) -> OneWay:
    full = {name: int(counts.get(name, 0)) for name in labels}
    if has_total:
        total, cells = suppress(full, threshold)
    else:
        total, cells = None, {n: None if 0 < v < threshold else v for n, v in full.items()}
    return OneWay(key, title, dict(labels), cells, total, has_total, note)


def _two_way(
    key: str,
    title: str,
    row_labels: Mapping[str, str],
    columns: tuple[str, ...],
    counts: Counter[tuple[str, str]],
    threshold: int,
    note: str = "",
) -> TwoWay:
    grid = protect_grid(list(row_labels), list(columns), counts, threshold)
    return TwoWay(key, title, dict(row_labels), grid, note)


def _figure(key: str, label: str, values: list[float], threshold: int, unit: str) -> list[Figure]:
    enough = len(values) >= threshold
    basis = len(values) if enough or not values else None
    found = [
        Figure(
            f"{key}_median",
            f"{label}: median",
            round(median(values), 1) if enough else None,
            basis,
            unit,
        ),
        Figure(
            f"{key}_p90",
            f"{label}: 90th percentile",
            round(quantiles(values, n=10, method="inclusive")[-1], 1) if enough else None,
            basis,
            unit,
        ),
    ]
    return found


def sharing_agencies(db: Session) -> set[int]:
    return set(db.scalars(select(OutcomeSharing.agency_id).where(OutcomeSharing.shared)))


def is_shared(db: Session, agency_id: int) -> bool:
    row = db.get(OutcomeSharing, agency_id)
    return bool(row and row.shared)


def visible_agencies(db: Session, *, actor: Actor) -> list[tuple[int, str]]:
    """The agencies whose figures the actor may open: their own, then those sharing."""
    policy.authorize(actor, "list", "analytics_outcomes")
    shared = sharing_agencies(db)
    found = []
    for agency in db.scalars(select(Agency).order_by(Agency.name)):
        scope = OutcomeScope(agency.id, agency.id in shared)
        if policy.decide(actor, "read", "analytics_outcomes", scope):
            found.append((agency.id, agency.name))
    found.sort(key=lambda item: item[0] != actor.agency_id)
    return found


def set_sharing(db: Session, *, actor: Actor, shared: bool) -> None:
    """Turn the actor's agency's sharing of its outcome figures on or off (audited)."""
    _, agency_id = actor.member_ids()
    policy.authorize(actor, "update", "analytics_outcome_sharing", agency_id)
    row = db.get(OutcomeSharing, agency_id)
    if row is None:
        row = OutcomeSharing(agency_id=agency_id)
        db.add(row)
    row.shared = shared
    row.changed_by_user_id = actor.user_id
    row.changed_at = utcnow()
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="analytics.outcomes_sharing_changed",
        object_type="analytics_outcome_sharing",
        object_id=agency_id,
        details={"shared": shared},
    )


def agency_outcomes(
    db: Session,
    *,
    actor: Actor,
    agency_id: int,
    query: OutcomeQuery,
    today: date | None = None,
) -> AgencyOutcomes:
    """One agency's de-identified outcome figures over the chosen months."""
    agency = db.get(Agency, agency_id)
    if agency is None:
        raise NotFound("agency")
    shared = is_shared(db, agency_id)
    policy.authorize(actor, "read", "analytics_outcomes", OutcomeScope(agency_id, shared))
    if not MIN_THRESHOLD <= query.threshold <= MAX_THRESHOLD or query.months not in PERIODS:
        raise InvalidInput({"query": "Choose a listed period and a threshold of 2 or more."})
    labels = month_labels(today or utcnow().date(), query.months)
    since = _since(labels)
    threshold = query.threshold
    found = AgencyOutcomes(
        agency_id=agency_id,
        agency_name=agency.name,
        months=labels,
        threshold=threshold,
        since=since.date(),
        shared=shared,
    )
    _reports(db, found, agency_id, since, threshold)
    _cases(db, found, agency_id, since, threshold)
    _reunification(db, found, agency_id, since, threshold)
    _recovery(db, found, agency_id, since, threshold)
    found.disparities.extend(disparities(db, agency_id=agency_id, since=since, threshold=threshold))
    audit.record(
        db,
        actor=actor,
        action="analytics.outcomes_read",
        object_type="analytics_outcomes",
        object_id=agency_id,
        details={"months": query.months, "threshold": threshold},
    )
    return found


def _reports(
    db: Session, found: AgencyOutcomes, agency_id: int, since: datetime, threshold: int
) -> None:
    rows = db.execute(
        select(
            Report.kind,
            Report.reported_at,
            Report.behaviors,
            Report.disposition,
            Report.acknowledged_at,
        ).where(Report.owner_agency_id == agency_id, Report.reported_at >= since)
    ).all()
    by_month: Counter[tuple[str, str]] = Counter()
    behaviors: Counter[str] = Counter()
    dispositions: Counter[str] = Counter()
    hours: list[float] = []
    for kind, reported_at, named, disposition, acknowledged_at in rows:
        by_month[(kind, _month(reported_at))] += 1
        behaviors.update(set(named or ()))
        if disposition:
            dispositions[disposition] += 1
        if acknowledged_at is not None:
            hours.append(max(0.0, (acknowledged_at - reported_at).total_seconds() / 3600))
    found.reports.append(
        _two_way(
            "reports_by_month",
            "Reports received, by kind and month",
            KINDS,
            found.months,
            by_month,
            threshold,
        )
    )
    found.reports.append(
        _one_way(
            "behaviors",
            "Reports by ISE-SAR behavior category",
            {str(key): label for key, label in BEHAVIOR_LABELS.items()},
            behaviors,
            threshold,
            has_total=False,
            note="A report may name several categories, so the categories have no total.",
        )
    )
    found.reports.append(
        _one_way(
            "dispositions",
            "Reports disposed, by disposition",
            DISPOSITIONS,
            dispositions,
            threshold,
        )
    )
    found.triage.extend(
        _figure("time_to_triage", "Time from receipt to acknowledgement", hours, threshold, "hours")
    )


def _cases(
    db: Session, found: AgencyOutcomes, agency_id: int, since: datetime, threshold: int
) -> None:
    opened = Counter(
        _month(at)
        for (at,) in db.execute(
            select(Case.opened_at).where(Case.owner_agency_id == agency_id, Case.opened_at >= since)
        )
    )
    closed = Counter(
        _month(at)
        for (at,) in db.execute(
            select(Case.closed_at).where(
                Case.owner_agency_id == agency_id,
                Case.closed_at.is_not(None),
                Case.closed_at >= since,
            )
        )
        if at is not None
    )
    counts: Counter[tuple[str, str]] = Counter()
    for month, count in opened.items():
        counts[("opened", month)] = count
    for month, count in closed.items():
        counts[("closed", month)] = count
    found.cases.append(
        _two_way(
            "cases_by_month",
            "Threat-assessment cases opened and closed, by month",
            {"opened": "Opened", "closed": "Closed"},
            found.months,
            counts,
            threshold,
            note="A case opened and closed in the period counts in both rows.",
        )
    )
    # Every case the agency holds, not only those opened in the period: a total equal to
    # the "Opened" row's would let one table's hidden cell be worked out from the other.
    statuses = dict(
        db.execute(
            select(Case.status, func.count())
            .where(Case.owner_agency_id == agency_id)
            .group_by(Case.status)
        ).all()
    )
    found.cases.append(
        _one_way(
            "case_status",
            "All the agency's cases, by where they stand now",
            CASE_STATUSES,
            statuses,
            threshold,
        )
    )
    interventions = db.execute(
        select(
            Intervention.case_id,
            Intervention.kind,
            Intervention.status,
            Intervention.completed_at,
            Intervention.erpo_status,
            Intervention.erpo_decided_on,
            Intervention.firearms_relinquished,
            Intervention.relinquished_on,
        )
        .join(Case, Case.id == Intervention.case_id)
        .where(Case.owner_agency_id == agency_id)
    ).all()
    referrals = set()
    orders = set()
    relinquished: dict[int, int] = {}
    for case_id, kind, status, completed_at, erpo, decided_on, firearms, on in interventions:
        if (
            kind == "mental_health_referral"
            and status == "done"
            and completed_at is not None
            and completed_at >= since
        ):
            referrals.add(case_id)
        if erpo in ("granted", "expired") and decided_on is not None and decided_on >= since.date():
            orders.add(case_id)
        if firearms and on is not None and on >= since.date():
            relinquished[case_id] = relinquished.get(case_id, 0) + int(firearms)
    management = _one_way(
        "management",
        "Management outcomes (cases)",
        MANAGEMENT,
        {
            "referrals_completed": len(referrals),
            "protective_orders_granted": len(orders),
            "cases_with_firearms_relinquished": len(relinquished),
        },
        threshold,
        has_total=False,
        note="Cases counted once per outcome; one case may have several outcomes.",
    )
    found.cases.append(management)
    enough = len(relinquished) >= threshold
    found.management.append(
        Figure(
            "firearms_relinquished",
            "Firearms relinquished",
            sum(relinquished.values()) if enough or not relinquished else None,
            len(relinquished) if enough or not relinquished else None,
            "firearms",
        )
    )


def _reunification(
    db: Session, found: AgencyOutcomes, agency_id: int, since: datetime, threshold: int
) -> None:
    incidents = select(Incident.id).where(
        Incident.lead_agency_id == agency_id, Incident.started_at >= since
    )
    statuses = dict(
        db.execute(
            select(ListedPerson.status, func.count())
            .where(ListedPerson.incident_id.in_(incidents))
            .group_by(ListedPerson.status)
        ).all()
    )
    found.reunification.append(
        _one_way(
            "persons_by_status",
            "People on reunification lists, by status",
            PERSON_STATUSES,
            statuses,
            threshold,
            note="Incidents this agency led that began in the period.",
        )
    )
    inquiries = db.scalar(
        select(func.count()).select_from(Inquiry).where(Inquiry.incident_id.in_(incidents))
    )
    matched = db.scalar(
        select(func.count())
        .select_from(Inquiry)
        .where(
            Inquiry.incident_id.in_(incidents),
            exists().where(
                InquiryCandidate.inquiry_id == Inquiry.id,
                InquiryCandidate.confirmed_at.is_not(None),
            ),
        )
    )
    found.reunification.append(
        _one_way(
            "inquiries",
            "Inquiries from families",
            {"received": "Received", "matched": "Matched to a listed person (confirmed)"},
            {"received": int(inquiries or 0), "matched": int(matched or 0)},
            threshold,
            has_total=False,
        )
    )


def _recovery(
    db: Session, found: AgencyOutcomes, agency_id: int, since: datetime, threshold: int
) -> None:
    cases = select(SurvivorCase.id).where(
        SurvivorCase.provider_agency_id == agency_id, SurvivorCase.opened_at >= since
    )
    by_kind = dict(
        db.execute(
            select(SurvivorCase.kind, func.count())
            .where(SurvivorCase.id.in_(cases))
            .group_by(SurvivorCase.kind)
        ).all()
    )
    by_service = dict(
        db.execute(
            select(Referral.service_kind, func.count())
            .where(Referral.case_id.in_(cases))
            .group_by(Referral.service_kind)
        ).all()
    )
    by_status = dict(
        db.execute(
            select(Referral.status, func.count())
            .where(Referral.case_id.in_(cases))
            .group_by(Referral.status)
        ).all()
    )
    found.recovery.extend(
        [
            _one_way("clients", "Clients served, by kind of case", CASE_KINDS, by_kind, threshold),
            _one_way(
                "services", "Referrals, by kind of service", SERVICE_KINDS, by_service, threshold
            ),
            _one_way(
                "referral_outcomes",
                "Referrals, by outcome",
                REFERRAL_STATUSES,
                by_status,
                threshold,
            ),
        ]
    )
