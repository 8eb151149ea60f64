"""The mitigation plan chosen for a budget as an investment justification (each
measure's cost, the risk it removes given the other measures chosen at its site, and
the risk removed per unit of money) and as corrective actions to carry it out."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from vigil.platform.actor import Actor
from vigil.platform.errors import InvalidInput
from vigil.preparedness import corrective_actions, measures
from vigil.preparedness.improvement_models import CorrectiveAction
from vigil.preparedness.models import MitigationMeasure, ProtectedSite


@dataclass(frozen=True)
class MeasureCase:
    """Why one chosen measure is in the plan."""

    measure: MitigationMeasure
    site: ProtectedSite
    # Risk at the site with the whole plan, and how much more there would be without
    # this one measure (the others at the site kept).
    risk_removed: float
    per_thousand: float | None  # risk removed per 1,000 spent (None for a free measure)
    actions: list[CorrectiveAction]


@dataclass(frozen=True)
class SiteCase:
    site: ProtectedSite
    risk_before: float
    risk_after: float
    cost: float


@dataclass(frozen=True)
class Justification:
    view: measures.MitigationView
    measures: list[MeasureCase]
    sites: list[SiteCase]


def justify(
    db: Session,
    *,
    actor: Actor,
    budget: float,
    forced_in: frozenset[int] = frozenset(),
    forced_out: frozenset[int] = frozenset(),
) -> Justification:
    """The exact plan for ``budget`` with the reasoning for each measure in it."""
    view = measures.plan_mitigation(
        db, actor=actor, budget=budget, forced_in=forced_in, forced_out=forced_out, curve=False
    )
    after = view.plan.site_risk_after
    existing = corrective_actions.actions_for_source(
        db,
        actor=actor,
        source_kind="measure",
        source_refs=[str(c.measure.id) for c in view.chosen],
    )
    cases = []
    for chosen in view.chosen:
        site_after = after.get(str(chosen.site.id), 0.0)
        removed = site_after * (1 / chosen.measure.vulnerability_factor - 1)
        cost = chosen.measure.cost
        cases.append(
            MeasureCase(
                measure=chosen.measure,
                site=chosen.site,
                risk_removed=removed,
                per_thousand=removed / cost * 1000 if cost else None,
                actions=existing.get(str(chosen.measure.id), []),
            )
        )
    cases.sort(
        key=lambda c: (-(math.inf if c.per_thousand is None else c.per_thousand), c.measure.id)
    )
    site_ids = {c.site.id: c.site for c in view.chosen}
    sites = [
        SiteCase(
            site=site,
            risk_before=site.threat * site.vulnerability * site.capacity,
            risk_after=after.get(str(site.id), 0.0),
            cost=math.fsum(c.measure.cost for c in view.chosen if c.site.id == site.id),
        )
        for site in site_ids.values()
    ]
    sites.sort(key=lambda s: (-(s.risk_before - s.risk_after), s.site.id))
    return Justification(view, cases, sites)


@dataclass(frozen=True)
class PlannedActions:
    created: list[CorrectiveAction]
    already: int  # chosen measures that already had an open corrective action


def actions_from_plan(
    db: Session,
    *,
    actor: Actor,
    budget: float,
    owner_user_id: int | None,
    due: date | None,
    poete: str,
    forced_in: frozenset[int] = frozenset(),
    forced_out: frozenset[int] = frozenset(),
) -> PlannedActions:
    """One corrective action per measure of the plan (source: the measure), skipping
    measures that already have an open action; measures at sites of another agency (a
    TLP:GREEN site the planner may see) are left to their owners."""
    errors: dict[str, str] = {}
    if poete not in corrective_actions.POETE:
        errors["poete"] = (
            "Choose the POETE element: planning, organization, equipment, training or exercise."
        )
    if owner_user_id is None:
        errors["owner_user_id"] = "Choose who owns the actions."
    if due is None:
        errors["due"] = "Enter the due date, such as 2027-03-31."
    if errors:
        raise InvalidInput(errors)
    case = justify(db, actor=actor, budget=budget, forced_in=forced_in, forced_out=forced_out)
    created: list[CorrectiveAction] = []
    already = 0
    for item in case.measures:
        if item.site.owner_agency_id != actor.agency_id:
            continue
        if any(a.status != "closed" for a in item.actions):
            already += 1
            continue
        created.append(
            corrective_actions.create_corrective_action(
                db,
                actor=actor,
                site_id=item.site.id,
                title=item.measure.name,
                owner_user_id=owner_user_id,
                due=due,
                poete=poete,
                source_kind="measure",
                source_ref=str(item.measure.id),
                description=(
                    f"From the mitigation plan for a budget of {budget:,.2f}: costs "
                    f"{item.measure.cost:,.2f} and removes {item.risk_removed:.2f} of "
                    "expected harm at the site."
                ),
            )
        )
    return PlannedActions(created, already)
