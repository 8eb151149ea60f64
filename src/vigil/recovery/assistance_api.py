"""JSON API of the family assistance center, the fund and the resiliency center: the
provider's staff register families, log visits, take claims and record offers (the
writes a phone bank or an intake tablet makes); the lead's daily summary; the fund's
public report. The same services and policy as the pages."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from vigil.platform.schemas import Strict
from vigil.recovery import assistance, community, fund_report, funds
from vigil.recovery.assistance import RegistrationInput
from vigil.web.deps import ActorDep, PathId, SessionDep

router = APIRouter()


class RegistrationIn(Strict):
    kind: Literal["survivor", "family"]
    display_name: str = Field(min_length=1, max_length=200)
    people_count: int = Field(default=1, ge=1, le=assistance.MAX_PEOPLE)
    preferred_language: str | None = Field(default=None, max_length=60)
    contact: str | None = Field(default=None, max_length=2000)
    reunification_record: str | None = Field(default=None, max_length=100)


class RegistrationOut(BaseModel):
    id: int
    number: str
    center_id: int
    kind: str
    display_name: str
    people_count: int
    reunification_record: str | None
    registered_at: datetime


@router.post("/centers/{center_id}/registrations", status_code=201)
def register(
    center_id: PathId, body: RegistrationIn, actor: ActorDep, db: SessionDep
) -> RegistrationOut:
    """Register a family or survivor at the center (the provider's staff)."""
    found = assistance.register(
        db, actor=actor, center_id=center_id, data=RegistrationInput(**body.model_dump())
    )
    return RegistrationOut(
        id=found.id,
        number=found.number,
        center_id=found.center_id,
        kind=found.kind,
        display_name=found.display_name,
        people_count=found.people_count,
        reunification_record=found.reunification_record,
        registered_at=found.registered_at,
    )


class VisitIn(Strict):
    services: list[str] = Field(default_factory=list, max_length=20)
    note: str | None = Field(default=None, max_length=2000)


class VisitOut(BaseModel):
    id: int
    registration_id: int
    visited_at: datetime
    services: list[str]


@router.post("/registrations/{registration_id}/visits", status_code=201)
def log_visit(registration_id: PathId, body: VisitIn, actor: ActorDep, db: SessionDep) -> VisitOut:
    """Record a registered family's visit and the services it used."""
    visit = assistance.log_visit(
        db, actor=actor, registration_id=registration_id, services=body.services, note=body.note
    )
    return VisitOut(
        id=visit.id,
        registration_id=visit.registration_id,
        visited_at=visit.visited_at,
        services=list(visit.services),
    )


class SummaryOut(BaseModel):
    center_id: int
    day: date
    families_registered: int
    people_registered: int
    new_registrations: int
    visits: int
    families_visiting: int
    services_used: dict[str, int]
    briefings: list[dict[str, object]]
    languages_needed: dict[str, int]
    languages_without_interpreter: list[str]
    families_without_case: int


@router.get("/centers/{center_id}/summary")
def daily_summary(
    center_id: PathId,
    actor: ActorDep,
    db: SessionDep,
    day: Annotated[date | None, Query()] = None,
) -> SummaryOut:
    """The center's day for its lead (today, UTC, unless a day is given)."""
    found = assistance.daily_summary(
        db, actor=actor, center_id=center_id, day=day or datetime.now(UTC).date()
    )
    return SummaryOut(
        center_id=found.center.id,
        day=found.day,
        families_registered=found.families_registered,
        people_registered=found.people_registered,
        new_registrations=found.new_registrations,
        visits=found.visits,
        families_visiting=found.families_visiting,
        services_used=found.services_used,
        briefings=[
            {
                "scheduled_at": b.briefing.scheduled_at.isoformat(),
                "topic": b.briefing.topic,
                "families": b.families,
                "people": b.people,
            }
            for b in found.briefings
        ],
        languages_needed=found.languages_needed,
        languages_without_interpreter=found.languages_without_interpreter,
        families_without_case=found.families_without_case,
    )


class ClaimIn(Strict):
    claimant_name: str = Field(min_length=1, max_length=200)
    harm: Literal["killed", "hospitalised", "injured", "present"]
    nights: int | None = Field(default=None, ge=1, le=funds.MAX_NIGHTS)
    evidence_record: str | None = Field(default=None, max_length=100)
    evidence_document: str | None = Field(default=None, max_length=200)


class ClaimOut(BaseModel):
    id: int
    number: str
    harm: str
    nights: int | None
    evidence_check: str | None
    status: str


@router.post("/funds/{fund_id}/claims", status_code=201)
def submit_claim(fund_id: PathId, body: ClaimIn, actor: ActorDep, db: SessionDep) -> ClaimOut:
    """Take a claim on the fund; its evidence is checked against the incident's lists."""
    claim = funds.submit_claim(db, actor=actor, fund_id=fund_id, **body.model_dump())
    return ClaimOut(
        id=claim.id,
        number=claim.number,
        harm=claim.harm,
        nights=claim.nights,
        evidence_check=claim.evidence_check,
        status=claim.status,
    )


class TierResultOut(BaseModel):
    tier: str
    label: str
    weight: str
    claimants: int
    smallest_cents: int
    largest_cents: int
    total_cents: int


class PublicReportOut(BaseModel):
    fund_id: int
    name: str
    status: str
    rounding_rule: str
    protocol_versions: list[dict[str, object]]
    results: list[TierResultOut]
    distributed_cents: int
    input_sha256: str | None
    payments_made: int
    payments_due: int
    decisions: dict[str, int | None] = Field(description="null: suppressed (small cell)")
    refused_by_harm: dict[str, int | None] = Field(description="null: suppressed")


@router.get("/funds/{fund_id}/report")
def public_report(fund_id: PathId, actor: ActorDep, db: SessionDep) -> PublicReportOut:
    """The fund's public report: protocols, payments by tier; it names no one."""
    r = fund_report.public_report(db, actor=actor, fund_id=fund_id)
    return PublicReportOut(
        fund_id=r.fund_id,
        name=r.name,
        status=r.status,
        rounding_rule=r.rounding_rule,
        protocol_versions=[
            {
                "version": p.version,
                "stage": p.stage,
                "fund_cents": p.fund_cents,
                "comment_until": p.comment_until.isoformat() if p.comment_until else None,
                "comments_received": p.comments_received,
                "tiers": [t.as_dict() for t in p.tiers],
            }
            for p in r.protocols
        ],
        results=[
            TierResultOut(
                tier=t.tier.id,
                label=t.tier.label,
                weight=t.tier.weight,
                claimants=t.claimants,
                smallest_cents=t.smallest_cents,
                largest_cents=t.largest_cents,
                total_cents=t.total_cents,
            )
            for t in r.results
        ],
        distributed_cents=r.distributed_cents,
        input_sha256=r.input_sha256,
        payments_made=r.payments_made,
        payments_due=r.payments_due,
        decisions={c.key: c.count for c in r.decisions.cells},
        refused_by_harm={c.key: c.count for c in r.refused_by_harm.cells},
    )


class OfferIn(Strict):
    offer_kind: Literal["in_kind", "volunteer"]
    kind: str = Field(min_length=1, max_length=40)
    offered_by: str = Field(min_length=1, max_length=200)
    quantity: int = Field(ge=1, le=community.MAX_QUANTITY)
    languages: str | None = Field(default=None, max_length=300)
    contact: str | None = Field(default=None, max_length=300)


class OfferOut(BaseModel):
    id: int
    offer_kind: str
    kind: str
    quantity: int
    need_id: int | None


@router.post("/community/offers", status_code=201)
def add_offer(body: OfferIn, actor: ActorDep, db: SessionDep) -> OfferOut:
    """Record an in-kind offer or a volunteer for the resiliency center."""
    offer = community.add_offer(db, actor=actor, **body.model_dump())
    return OfferOut(
        id=offer.id,
        offer_kind=offer.offer_kind,
        kind=offer.kind,
        quantity=offer.quantity,
        need_id=offer.need_id,
    )
