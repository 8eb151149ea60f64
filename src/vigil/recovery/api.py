"""Victim-services JSON API: the caseload, a case with its consents, referrals and
dates, the survivor's export; the cases disclosed to one's agency and a disclosure under
consent; the de-identified statistics. The same services and policy as the pages.

Staff change cases through the pages; the assistance center, fund and resiliency
center take writes through the API too (assistance_api, tested as the provider's staff
in tests/recovery/test_assistance_web.py)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from vigil.recovery import cases, consents, export, statistics
from vigil.recovery.case_view import view_case
from vigil.recovery.models import Consent, ImportantDate, Referral, SurvivorCase
from vigil.web.deps import ActorDep, PathId, SessionDep

PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}
RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "Sign-in required", **PROBLEM},
    403: {"description": "Not allowed", **PROBLEM},
    404: {"description": "Not found, or not yours to see (victim-services records)", **PROBLEM},
    409: {"description": "The record's state forbids it", **PROBLEM},
    422: {"description": "Invalid input", **PROBLEM},
}

router = APIRouter(prefix="/api/v1/recovery", tags=["recovery"], responses=RESPONSES)

Purpose = Literal[
    "service_coordination",
    "crime_victim_compensation",
    "victim_witness_notification",
    "law_enforcement_investigation",
    "fund_distribution",
    "benefits_and_housing",
    "legal_assistance",
]


class CaseSummaryOut(BaseModel):
    id: int
    number: str
    kind: str
    display_name: str
    status: str
    advocate_user_id: int | None
    opened_at: datetime


class CaseloadOut(BaseModel):
    total: int
    page: int
    pages: int
    cases: list[CaseSummaryOut]


@router.get("/cases")
def caseload(
    actor: ActorDep,
    db: SessionDep,
    status: Annotated[Literal["open", "closed", "all"], Query()] = "open",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> CaseloadOut:
    """Your cases as an advocate, or your provider's as a supervisor; newest first."""
    load = cases.caseload(db, actor=actor, status=None if status == "all" else status, page=page)
    return CaseloadOut(
        total=load.total,
        page=load.page,
        pages=load.pages,
        cases=[CaseSummaryOut(**row.__dict__) for row in load.rows],
    )


def _summary(case: SurvivorCase) -> CaseSummaryOut:
    return CaseSummaryOut(
        id=case.id,
        number=case.number,
        kind=case.kind,
        display_name=case.display_name,
        status=case.status,
        advocate_user_id=case.advocate_user_id,
        opened_at=case.opened_at,
    )


class ConsentOut(BaseModel):
    id: int
    recipient_agency_id: int
    purpose: str
    document_reference: str
    signed_on: date
    expires_on: date
    revoked_at: datetime | None
    state: str


def _consent(consent: Consent, state: str | None = None) -> ConsentOut:
    return ConsentOut(
        id=consent.id,
        recipient_agency_id=consent.recipient_agency_id,
        purpose=consent.purpose,
        document_reference=consent.document_reference,
        signed_on=consent.signed_on,
        expires_on=consent.expires_on,
        revoked_at=consent.revoked_at,
        state=state or consents.consent_state(consent),
    )


class ReferralOut(BaseModel):
    id: int
    service_kind: str
    provider_name: str
    status: str
    referred_on: date
    follow_up_on: date | None
    closed_at: datetime | None


def _referral(referral: Referral) -> ReferralOut:
    return ReferralOut(
        id=referral.id,
        service_kind=referral.service_kind,
        provider_name=referral.provider_name,
        status=referral.status,
        referred_on=referral.referred_on,
        follow_up_on=referral.follow_up_on,
        closed_at=referral.closed_at,
    )


class DateOut(BaseModel):
    id: int
    kind: str
    label: str
    on_date: date
    yearly: bool
    remind_days_before: int


def _date(moment: ImportantDate) -> DateOut:
    return DateOut(
        id=moment.id,
        kind=moment.kind,
        label=moment.label,
        on_date=moment.on_date,
        yearly=moment.yearly,
        remind_days_before=moment.remind_days_before,
    )


class CaseOut(CaseSummaryOut):
    provider_agency_id: int
    incident_id: int | None
    preferred_language: str | None
    contact: str | None
    notes: str | None
    first_service_at: datetime | None
    closed_at: datetime | None
    retain_until: date | None
    consents: list[ConsentOut]
    referrals: list[ReferralOut]
    dates: list[DateOut]


@router.get("/cases/{survivor_case_id}")
def read_case(survivor_case_id: PathId, actor: ActorDep, db: SessionDep) -> CaseOut:
    """One case, for its advocate and the provider's supervisors."""
    view = view_case(db, actor=actor, case_id=survivor_case_id)
    case = view.case
    return CaseOut(
        **_summary(case).model_dump(),
        provider_agency_id=case.provider_agency_id,
        incident_id=case.incident_id,
        preferred_language=case.preferred_language,
        contact=case.contact,
        notes=case.notes,
        first_service_at=case.first_service_at,
        closed_at=case.closed_at,
        retain_until=case.retain_until,
        consents=[_consent(c, state) for c, state, _ in view.consents],
        referrals=[_referral(r) for r in view.referrals],
        dates=[_date(d) for d in view.dates],
    )


@router.get("/cases/{survivor_case_id}/export")
def export_case(survivor_case_id: PathId, actor: ActorDep, db: SessionDep) -> dict[str, Any]:
    """Everything held about the survivor or family of one case."""
    return export.export_case(db, actor=actor, case_id=survivor_case_id)


class DisclosedOut(BaseModel):
    case_id: int
    number: str
    purpose: str
    consent_expires_on: date


@router.get("/disclosed")
def disclosed(actor: ActorDep, db: SessionDep) -> list[DisclosedOut]:
    """The cases your agency may read under a consent in force, and for what."""
    return [
        DisclosedOut(case_id=i, number=n, purpose=p, consent_expires_on=e)
        for i, n, p, e in consents.cases_disclosed_to(db, actor=actor)
    ]


class DisclosureOut(BaseModel):
    case_id: int
    number: str
    kind: str
    display_name: str
    status: str
    purpose: str
    consent_id: int
    consent_expires_on: date
    referrals: list[dict[str, Any]]
    dates: list[dict[str, Any]]
    center_records: list[dict[str, Any]] = Field(
        default_factory=list,
        description="The family's assistance-center registrations, visits and briefings "
        "attended: only under a consent that covers them.",
    )


@router.get("/cases/{survivor_case_id}/disclosure")
def disclosure(
    survivor_case_id: PathId,
    actor: ActorDep,
    db: SessionDep,
    purpose: Annotated[Purpose, Query()],
) -> DisclosureOut:
    """Read a case held by a victim-services provider, for a purpose a written consent
    naming your agency allows; without one: 404, and the refusal is audited."""
    seen = consents.disclose_case(db, actor=actor, case_id=survivor_case_id, purpose=purpose)
    return DisclosureOut(
        case_id=seen.case_id,
        number=seen.number,
        kind=seen.kind,
        display_name=seen.display_name,
        status=seen.status,
        purpose=seen.purpose,
        consent_id=seen.consent_id,
        consent_expires_on=seen.consent_expires_on,
        referrals=[
            {"service_kind": k, "provider_name": p, "status": s, "referred_on": o.isoformat()}
            for k, p, s, o in seen.referrals
        ],
        dates=[{"kind": k, "label": lb, "on_date": o.isoformat()} for k, lb, o in seen.dates],
        center_records=[
            {
                "number": r.number,
                "center": r.center_name,
                "kind": r.kind,
                "display_name": r.display_name,
                "people_count": r.people_count,
                "registered_at": r.registered_at.isoformat(),
                "visits": [{"at": at.isoformat(), "services": used} for at, used in r.visits],
                "briefings": [
                    {"at": at.isoformat(), "topic": topic, "attendees": attendees}
                    for at, topic, attendees in r.briefings
                ],
            }
            for r in seen.center_records
        ],
    )


class CellOut(BaseModel):
    key: str
    label: str
    count: int | None = Field(description="null: suppressed (small or complementary cell)")


class TableOut(BaseModel):
    title: str
    total: int | None
    cells: list[CellOut]


class StatisticsOut(BaseModel):
    threshold: int
    clients: TableOut
    services: TableOut
    outcomes: TableOut
    median_days_to_first_service: float | None
    cases_with_a_first_service: int | None


def _table(table: statistics.Table) -> TableOut:
    return TableOut(
        title=table.title,
        total=table.total,
        cells=[CellOut(key=c.key, label=c.label, count=c.count) for c in table.cells],
    )


@router.get("/statistics")
def service_statistics(
    actor: ActorDep,
    db: SessionDep,
    threshold: Annotated[
        int, Query(ge=statistics.DEFAULT_THRESHOLD, le=statistics.MAX_THRESHOLD)
    ] = statistics.DEFAULT_THRESHOLD,
) -> StatisticsOut:
    """De-identified service statistics with small-cell suppression (a threshold may be
    raised, never lowered below the default)."""
    figures = statistics.service_statistics(db, actor=actor, threshold=threshold)
    return StatisticsOut(
        threshold=figures.threshold,
        clients=_table(figures.clients),
        services=_table(figures.services),
        outcomes=_table(figures.outcomes),
        median_days_to_first_service=figures.median_days_to_first_service,
        cases_with_a_first_service=figures.cases_with_a_first_service,
    )


# The assistance-center, fund and resiliency-center endpoints share this router.
from vigil.recovery import assistance_api  # noqa: E402

router.include_router(assistance_api.router)
