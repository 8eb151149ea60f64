"""Candidate mitigation measures at a site, and the best plan over every site a planner
may see for a budget (the exact solver of ``mitigation``), with a risk-versus-budget
curve."""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.platform import audit, policy
from vigil.platform.actor import Actor
from vigil.platform.errors import InvalidInput, NotFound
from vigil.platform.types import utcnow
from vigil.preparedness import mitigation, risk_inputs
from vigil.preparedness.models import MitigationMeasure, ProtectedSite
from vigil.preparedness.plan_input import MAX_MAGNITUDE, PlanInputError
from vigil.preparedness.risk import SiteRisk
from vigil.preparedness.sites import get_site, risk_of

MAX_MEASURES_PER_SITE = 40
# A page waits for at most this long per solve; a plan stopped by it says so.
PAGE_TIME_LIMIT_SECONDS = 10.0
CURVE_SHARES = (0.0, 0.1, 0.25, 0.5, 0.75, 1.0)


def _audit(db: Session, actor: Actor, action: str, site: ProtectedSite, measure_id: int) -> None:
    audit.record(
        db,
        actor=actor,
        action=f"mitigation_measure.{action}",
        object_type="mitigation_measure",
        object_id=measure_id,
        agency_id=site.owner_agency_id,
        details={"site_id": site.id},
    )


def measures_of(db: Session, *, actor: Actor, site_id: int) -> list[MitigationMeasure]:
    """The candidate measures at a site the actor may read, oldest first."""
    site = get_site(db, actor=actor, site_id=site_id)
    return list(
        db.execute(
            select(MitigationMeasure)
            .where(MitigationMeasure.site_id == site.id)
            .order_by(MitigationMeasure.id)
        ).scalars()
    )


def add_measure(
    db: Session,
    *,
    actor: Actor,
    site_id: int,
    name: str,
    cost: float | None,
    vulnerability_factor: float | None,
    exclusive_group: str | None = None,
) -> MitigationMeasure:
    """Add a candidate measure to a site the actor may change."""
    site = get_site(db, actor=actor, site_id=site_id, action="update")
    errors: dict[str, str] = {}
    clean_name = " ".join((name or "").split())
    if not clean_name:
        errors["measure_name"] = "Name the measure."
    elif len(clean_name) > 200:
        errors["measure_name"] = "Use at most 200 characters."
    if cost is None or not math.isfinite(cost) or not 0 <= cost <= MAX_MAGNITUDE:
        errors["cost"] = "Enter a cost from 0 up."
    if (
        vulnerability_factor is None
        or not math.isfinite(vulnerability_factor)
        or not 0 < vulnerability_factor <= 1
    ):
        errors["vulnerability_factor"] = (
            "Enter the share of vulnerability left: more than 0, at most 1."
        )
    group = " ".join((exclusive_group or "").split()).casefold() or None
    if group and len(group) > 60:
        errors["exclusive_group"] = "Use at most 60 characters."
    if len(measures_of(db, actor=actor, site_id=site.id)) >= MAX_MEASURES_PER_SITE:
        errors["measure_name"] = f"A site has at most {MAX_MEASURES_PER_SITE} candidate measures."
    if errors:
        raise InvalidInput(errors)
    measure = MitigationMeasure(
        site_id=site.id,
        name=clean_name,
        cost=cost,
        vulnerability_factor=vulnerability_factor,
        exclusive_group=group,
        created_at=utcnow(),
        created_by_user_id=actor.user_id,
    )
    db.add(measure)
    db.flush()
    _audit(db, actor, "create", site, measure.id)
    return measure


def remove_measure(db: Session, *, actor: Actor, site_id: int, measure_id: int) -> None:
    """Remove a candidate measure from a site the actor may change."""
    site = get_site(db, actor=actor, site_id=site_id, action="update")
    measure = db.get(MitigationMeasure, measure_id)
    if measure is None or measure.site_id != site.id:
        raise NotFound("mitigation_measure")
    db.delete(measure)
    db.flush()
    _audit(db, actor, "delete", site, measure_id)


@dataclass(frozen=True)
class PlannedMeasure:
    measure: MitigationMeasure
    site: ProtectedSite


@dataclass(frozen=True)
class CurvePoint:
    budget: float
    risk_after: float
    measures: int
    optimal: bool


@dataclass(frozen=True)
class MitigationView:
    """The best plan for a budget over the sites a planner may see."""

    budget: float
    plan: mitigation.MitigationPlan
    chosen: list[PlannedMeasure]
    candidates: list[PlannedMeasure]
    total_cost: float
    curve: list[CurvePoint]
    forced_in: frozenset[int]
    forced_out: frozenset[int]


def require_planner(actor: Actor) -> None:
    """PermissionDenied unless the actor may plan over the sites (for the blank page)."""
    policy.authorize(actor, "list", "protected_site")


def plan_mitigation(
    db: Session,
    *,
    actor: Actor,
    budget: float,
    forced_in: frozenset[int] = frozenset(),
    forced_out: frozenset[int] = frozenset(),
    curve: bool = True,
) -> MitigationView:
    """The exact best plan for ``budget`` over every site the actor may read, with the
    risk left at a range of budgets; forced measures must be (or must not be) in it."""
    policy.authorize(actor, "list", "protected_site")
    if not math.isfinite(budget) or not 0 <= budget <= MAX_MAGNITUDE:
        raise InvalidInput({"budget": "Enter a budget from 0 up."})
    scope = policy.scope(actor, "list", "protected_site")
    sites = {s.id: s for s in db.execute(select(ProtectedSite).where(scope)).scalars()}
    measures = list(
        db.execute(
            select(MitigationMeasure)
            .where(MitigationMeasure.site_id.in_(select(ProtectedSite.id).where(scope)))
            .order_by(MitigationMeasure.site_id, MitigationMeasure.id)
        ).scalars()
    )
    known = {m.id for m in measures}
    unknown = sorted((forced_in | forced_out) - known)
    if unknown:
        raise InvalidInput({"force": f"No candidate measure {unknown[0]} among your sites."})
    # Each site as the planner sees it: threat raised by the open threats they may see,
    # vulnerability from the latest signed-off assessment they may read.
    inputs = risk_inputs.inputs_for(db, actor, list(sites))
    seen = {site_id: risk_of(site, inputs[site_id]) for site_id, site in sites.items()}
    problem = _problem(sites, measures, budget, seen)
    try:
        plan = mitigation.solve(
            problem,
            time_limit_seconds=PAGE_TIME_LIMIT_SECONDS,
            forced_in=[str(i) for i in forced_in],
            forced_out=[str(i) for i in forced_out],
        )
    except PlanInputError as problem_text:
        raise InvalidInput({"force": str(problem_text)}) from None
    total = math.fsum(m.cost for m in measures)
    points = []
    if curve:
        for share in CURVE_SHARES:
            at = round(total * share, 2)
            point = mitigation.solve(
                _problem(sites, measures, at, seen), time_limit_seconds=PAGE_TIME_LIMIT_SECONDS
            )
            points.append(CurvePoint(at, point.risk_after, len(point.selected), point.optimal))
    by_id = {m.id: m for m in measures}
    chosen = [PlannedMeasure(by_id[int(k)], sites[by_id[int(k)].site_id]) for k in plan.selected]
    return MitigationView(
        budget=budget,
        plan=plan,
        chosen=chosen,
        candidates=[PlannedMeasure(m, sites[m.site_id]) for m in measures],
        total_cost=total,
        curve=points,
        forced_in=forced_in,
        forced_out=forced_out,
    )


def _problem(
    sites: dict[int, ProtectedSite],
    measures: list[MitigationMeasure],
    budget: float,
    seen: dict[int, SiteRisk],
) -> mitigation.MitigationProblem:
    groups: dict[tuple[int, str], list[str]] = {}
    for m in measures:
        if m.exclusive_group:
            groups.setdefault((m.site_id, m.exclusive_group), []).append(str(m.id))
    return mitigation.MitigationProblem(
        budget=budget,
        sites=tuple(
            mitigation.Site(
                key=str(s.id),
                label=s.id,
                threat=seen[s.id].threat.value,
                vulnerability=seen[s.id].vulnerability.value,
                consequence=float(s.capacity),
            )
            for s in sites.values()
        ),
        measures=tuple(
            mitigation.Measure(
                key=str(m.id),
                label=m.id,
                site=str(m.site_id),
                cost=m.cost,
                factor=m.vulnerability_factor,
                excludes=frozenset(
                    other
                    for other in groups.get((m.site_id, m.exclusive_group or ""), [])
                    if other != str(m.id)
                ),
            )
            for m in measures
        ),
    )
