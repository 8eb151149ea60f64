"""Preparedness JSON API: the risk register, registering, reading and changing a site, its
candidate mitigation measures, and the best mitigation plan for a budget. The same
services and policy as the pages."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field, StrictFloat, StrictInt

from vigil.preparedness import measures, sites
from vigil.preparedness.models import MitigationMeasure, ProtectedSite
from vigil.preparedness.risk import SiteRisk
from vigil.reports.schemas import Strict
from vigil.web.deps import ActorDep, PathId, SessionDep

PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}
RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "Sign-in required", **PROBLEM},
    403: {"description": "Not allowed", **PROBLEM},
    404: {"description": "Not found, or not yours to see (the site's marking)", **PROBLEM},
    422: {"description": "Invalid input", **PROBLEM},
}

router = APIRouter(prefix="/api/v1/preparedness", tags=["preparedness"], responses=RESPONSES)

SiteKind = Literal[
    "k12_school",
    "college",
    "house_of_worship",
    "venue_or_mall",
    "workplace",
    "outdoor_event",
    "government_facility",
    "other",
]
SiteMarking = Literal["CLEAR", "GREEN", "AMBER", "AMBER+STRICT"]
Finite = Annotated[StrictFloat, Field(allow_inf_nan=False)]


class SiteIn(Strict):
    """A site to register, or its new details (every field, as on the form)."""

    name: str = Field(max_length=200)
    kind: SiteKind
    marking: SiteMarking = "AMBER"
    address: str = Field(max_length=300)
    latitude: Finite | None = Field(default=None, ge=-90, le=90)
    longitude: Finite | None = Field(default=None, ge=-180, le=180)
    capacity: StrictInt = Field(ge=0, le=sites.MAX_CAPACITY)
    hours: str | None = Field(default=None, max_length=200)
    contacts: str | None = Field(default=None, max_length=2000)
    threat: Finite = Field(ge=0, le=1)
    threat_reason: str | None = Field(default=None, max_length=2000)
    vulnerability: Finite = Field(gt=0, le=1)
    vulnerability_reason: str | None = Field(default=None, max_length=2000)

    def as_input(self) -> sites.SiteInput:
        return sites.SiteInput(**self.model_dump())


class RiskPartOut(BaseModel):
    value: float
    source: str
    reason: str | None


class RiskOut(BaseModel):
    value: float
    threat: RiskPartOut
    vulnerability: RiskPartOut
    consequence: RiskPartOut


class SiteSummaryOut(BaseModel):
    id: int
    owner_agency_id: int
    name: str
    kind: str
    marking: str
    capacity: int
    risk: RiskOut


class SiteOut(SiteSummaryOut):
    address: str
    latitude: float | None
    longitude: float | None
    hours: str | None
    contacts: str | None
    created_at: datetime
    updated_at: datetime


class RegisterRowOut(BaseModel):
    rank: int
    site: SiteSummaryOut


class RegisterOut(BaseModel):
    total: int
    page: int
    pages: int
    total_risk: float
    sites: list[RegisterRowOut]


def _risk(risk: SiteRisk) -> RiskOut:
    def part(p: Any) -> RiskPartOut:
        return RiskPartOut(value=p.value, source=p.source, reason=p.reason)

    return RiskOut(
        value=risk.value,
        threat=part(risk.threat),
        vulnerability=part(risk.vulnerability),
        consequence=part(risk.consequence),
    )


def _summary(site: ProtectedSite, risk: SiteRisk) -> SiteSummaryOut:
    return SiteSummaryOut(
        id=site.id,
        owner_agency_id=site.owner_agency_id,
        name=site.name,
        kind=site.kind,
        marking=site.marking,
        capacity=site.capacity,
        risk=_risk(risk),
    )


def _site(site: ProtectedSite, risk: SiteRisk) -> SiteOut:
    return SiteOut(
        **_summary(site, risk).model_dump(),
        address=site.address,
        latitude=site.latitude,
        longitude=site.longitude,
        hours=site.hours,
        contacts=site.contacts,
        created_at=site.created_at,
        updated_at=site.updated_at,
    )


@router.get("/sites")
def risk_register(
    actor: ActorDep,
    db: SessionDep,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    kind: SiteKind | None = None,
) -> RegisterOut:
    """The regional risk register: every site the caller may see, highest risk first."""
    register = sites.risk_register(db, actor=actor, page=page, kind=kind)
    return RegisterOut(
        total=register.total,
        page=register.page,
        pages=register.pages,
        total_risk=register.total_risk,
        sites=[RegisterRowOut(rank=r.rank, site=_summary(r.site, r.risk)) for r in register.rows],
    )


@router.post("/sites", status_code=201)
def register_site(body: SiteIn, actor: ActorDep, db: SessionDep) -> SiteOut:
    """Register a site owned by the caller's agency (TLP:AMBER unless the body says)."""
    site = sites.register_site(db, actor=actor, data=body.as_input())
    return _site(site, sites.risk_of(site))


@router.get("/sites/{site_id}")
def read_site(site_id: PathId, actor: ActorDep, db: SessionDep) -> SiteOut:
    """A site with its risk and how it was reached (the read is audited)."""
    site, risk = sites.read_site(db, actor=actor, site_id=site_id)
    return _site(site, risk)


@router.put("/sites/{site_id}")
def update_site(site_id: PathId, body: SiteIn, actor: ActorDep, db: SessionDep) -> SiteOut:
    """Replace a site's details (the owning agency's staff only)."""
    site = sites.update_site(db, actor=actor, site_id=site_id, data=body.as_input())
    return _site(site, sites.risk_of(site))


class MeasureIn(Strict):
    """A candidate measure: its cost in whole currency units (a planning estimate) and the
    share of the site's vulnerability it leaves."""

    name: str = Field(max_length=200)
    cost: StrictInt = Field(ge=0, le=10**12)
    vulnerability_factor: Finite = Field(gt=0, le=1)
    exclusive_group: str | None = Field(default=None, max_length=60)


class MeasureOut(BaseModel):
    id: int
    site_id: int
    name: str
    cost: float
    vulnerability_factor: float
    exclusive_group: str | None


def _measure(m: MitigationMeasure) -> MeasureOut:
    return MeasureOut(
        id=m.id,
        site_id=m.site_id,
        name=m.name,
        cost=m.cost,
        vulnerability_factor=m.vulnerability_factor,
        exclusive_group=m.exclusive_group,
    )


@router.get("/sites/{site_id}/measures")
def list_measures(site_id: PathId, actor: ActorDep, db: SessionDep) -> list[MeasureOut]:
    """The candidate mitigation measures at a site."""
    return [_measure(m) for m in measures.measures_of(db, actor=actor, site_id=site_id)]


@router.post("/sites/{site_id}/measures", status_code=201)
def add_measure(site_id: PathId, body: MeasureIn, actor: ActorDep, db: SessionDep) -> MeasureOut:
    """Add a candidate measure to a site of the caller's agency."""
    measure = measures.add_measure(
        db,
        actor=actor,
        site_id=site_id,
        name=body.name,
        cost=float(body.cost),
        vulnerability_factor=body.vulnerability_factor,
        exclusive_group=body.exclusive_group,
    )
    return _measure(measure)


@router.delete("/sites/{site_id}/measures/{measure_id}", status_code=204)
def remove_measure(site_id: PathId, measure_id: PathId, actor: ActorDep, db: SessionDep) -> None:
    """Remove a candidate measure from a site of the caller's agency."""
    measures.remove_measure(db, actor=actor, site_id=site_id, measure_id=measure_id)


class PlannedOut(BaseModel):
    measure_id: int
    site_id: int
    name: str
    cost: float
    vulnerability_factor: float


class CurvePointOut(BaseModel):
    budget: float
    risk_after: float
    measures: int
    optimal: bool


class MitigationOut(BaseModel):
    budget: float
    selected: list[PlannedOut]
    cost: float
    risk_before: float
    risk_after: float
    optimal: bool
    gap: float
    risk_lower_bound: float
    curve: list[CurvePointOut]


@router.get("/mitigation")
def plan_mitigation(
    actor: ActorDep,
    db: SessionDep,
    budget: Annotated[float, Query(ge=0, le=1e12, allow_inf_nan=False)],
    force_in: Annotated[list[int] | None, Query(max_length=1000)] = None,
    force_out: Annotated[list[int] | None, Query(max_length=1000)] = None,
    curve: bool = False,
) -> MitigationOut:
    """The exact best plan for a budget over every site the caller may see (HiGHS); with
    ``curve=true``, also the risk left at 0, 10, 25, 50, 75 and 100% of the candidates'
    total cost (six more solves)."""
    view = measures.plan_mitigation(
        db,
        actor=actor,
        budget=budget,
        forced_in=frozenset(force_in or []),
        forced_out=frozenset(force_out or []),
        curve=curve,
    )
    plan = view.plan
    return MitigationOut(
        budget=view.budget,
        selected=[
            PlannedOut(
                measure_id=c.measure.id,
                site_id=c.site.id,
                name=c.measure.name,
                cost=c.measure.cost,
                vulnerability_factor=c.measure.vulnerability_factor,
            )
            for c in view.chosen
        ],
        cost=plan.cost,
        risk_before=plan.risk_before,
        risk_after=plan.risk_after,
        optimal=plan.optimal,
        gap=plan.gap,
        risk_lower_bound=plan.risk_lower_bound,
        curve=[
            CurvePointOut(
                budget=p.budget, risk_after=p.risk_after, measures=p.measures, optimal=p.optimal
            )
            for p in view.curve
        ],
    )
