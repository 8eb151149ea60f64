"""Candidate measures at sites and the best mitigation plan over the sites a planner may
see, on SQLite and PostgreSQL: exact against brute force, alternatives, forcing, scope."""

from __future__ import annotations

import itertools
import math

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories import actor_for, make_agency, make_user
from tests.preparedness.test_sites import school
from vigil.platform.actor import Actor
from vigil.platform.errors import InvalidInput, NotFound
from vigil.platform.models import AuditEvent
from vigil.platform.policy import PermissionDenied
from vigil.platform.roles import AgencyKind, Role
from vigil.preparedness import measures, sites
from vigil.preparedness.models import MitigationMeasure, ProtectedSite


def brute_force(db: Session, budget: float) -> float:
    """The least total risk over every affordable set of measures (one per group)."""
    all_sites = list(db.execute(select(ProtectedSite)).scalars())
    candidates = list(db.execute(select(MitigationMeasure)).scalars())
    best = math.inf
    for size in range(len(candidates) + 1):
        for chosen in itertools.combinations(candidates, size):
            if sum(m.cost for m in chosen) > budget + 1e-9:
                continue
            groups = [(m.site_id, m.exclusive_group) for m in chosen if m.exclusive_group]
            if len(groups) != len(set(groups)):
                continue
            risk = 0.0
            for site in all_sites:
                factor = math.prod(m.vulnerability_factor for m in chosen if m.site_id == site.id)
                risk += site.threat * site.vulnerability * site.capacity * factor
            best = min(best, risk)
    return best


def planner(db: Session) -> tuple[Actor, list[ProtectedSite]]:
    agency = make_agency(db, kind=AgencyKind.EMERGENCY_MANAGEMENT)
    actor = actor_for(make_user(db, agency=agency, roles={Role.ANALYST}))
    made = [
        sites.register_site(
            db, actor=actor, data=school(name=name, threat=t, vulnerability=v, capacity=c)
        )
        for name, t, v, c in (
            ("North", 0.2, 0.8, 900),
            ("South", 0.1, 0.5, 2000),
            ("Mall", 0.3, 0.9, 400),
        )
    ]
    specs = [
        (0, "Door locks", 4000, 0.7, "entry"),
        (0, "Vestibule", 9000, 0.5, "entry"),
        (0, "Cameras", 6000, 0.85, None),
        (1, "Guard", 12000, 0.6, None),
        (1, "Training", 2000, 0.9, None),
        (2, "Bollards", 7000, 0.75, None),
        (2, "Mass notification", 3000, 0.8, None),
    ]
    for index, name, cost, factor, group in specs:
        measures.add_measure(
            db,
            actor=actor,
            site_id=made[index].id,
            name=name,
            cost=cost,
            vulnerability_factor=factor,
            exclusive_group=group,
        )
    return actor, made


@pytest.mark.parametrize("budget", [0, 5000, 13000, 20000, 30000, 100000])
def test_the_plan_is_optimal_against_brute_force(db: Session, budget: float) -> None:
    actor, _ = planner(db)
    view = measures.plan_mitigation(db, actor=actor, budget=budget, curve=budget == 20000)
    assert view.plan.optimal
    assert view.plan.cost <= budget
    assert view.plan.risk_after == pytest.approx(brute_force(db, budget), rel=1e-9)
    groups = [
        (c.site.id, c.measure.exclusive_group) for c in view.chosen if c.measure.exclusive_group
    ]
    assert len(groups) == len(set(groups))
    if budget == 20000:
        risks = [p.risk_after for p in view.curve]
        assert view.curve[0].budget == 0 and risks == sorted(risks, reverse=True)
        assert risks[-1] == pytest.approx(brute_force(db, view.total_cost))


def test_forcing_measures_in_and_out(db: Session) -> None:
    actor, _ = planner(db)
    ids = {m.name: m.id for m in db.execute(select(MitigationMeasure)).scalars()}
    free = measures.plan_mitigation(db, actor=actor, budget=20000, curve=False)
    forced = measures.plan_mitigation(
        db, actor=actor, budget=20000, forced_in=frozenset({ids["Guard"]}), curve=False
    )
    assert "Guard" in {c.measure.name for c in forced.chosen}
    assert forced.plan.risk_after >= free.plan.risk_after - 1e-9
    out = measures.plan_mitigation(
        db, actor=actor, budget=20000, forced_out=frozenset({ids["Vestibule"]}), curve=False
    )
    assert "Vestibule" not in {c.measure.name for c in out.chosen}
    with pytest.raises(InvalidInput, match="exclude each other"):
        measures.plan_mitigation(
            db,
            actor=actor,
            budget=20000,
            forced_in=frozenset({ids["Door locks"], ids["Vestibule"]}),
            curve=False,
        )
    with pytest.raises(InvalidInput, match="more than the budget"):
        measures.plan_mitigation(
            db, actor=actor, budget=1000, forced_in=frozenset({ids["Guard"]}), curve=False
        )
    with pytest.raises(InvalidInput):
        measures.plan_mitigation(db, actor=actor, budget=1000, forced_in=frozenset({10**9}))


def test_another_agencys_sites_and_measures_stay_out(db: Session) -> None:
    actor, made = planner(db)
    police = make_agency(db)
    outsider = actor_for(make_user(db, agency=police, roles={Role.ANALYST}))
    clerk = actor_for(make_user(db, agency=police))
    view = measures.plan_mitigation(db, actor=outsider, budget=50000, curve=False)
    assert view.candidates == [] and view.plan.risk_before == 0
    with pytest.raises(NotFound):
        measures.measures_of(db, actor=outsider, site_id=made[0].id)
    measure_id = measures.measures_of(db, actor=actor, site_id=made[0].id)[0].id
    with pytest.raises(NotFound):
        measures.remove_measure(db, actor=outsider, site_id=made[0].id, measure_id=measure_id)
    with pytest.raises(PermissionDenied):
        measures.plan_mitigation(db, actor=clerk, budget=1)
    # A measure is removed only through its own site.
    with pytest.raises(NotFound):
        measures.remove_measure(db, actor=actor, site_id=made[1].id, measure_id=measure_id)
    measures.remove_measure(db, actor=actor, site_id=made[0].id, measure_id=measure_id)
    actions = (
        db.execute(select(AuditEvent.action).where(AuditEvent.object_type == "mitigation_measure"))
        .scalars()
        .all()
    )
    assert actions.count("mitigation_measure.create") == 7
    assert actions.count("mitigation_measure.delete") == 1


@pytest.mark.parametrize(
    ("name", "cost", "factor", "field"),
    [
        ("", 10.0, 0.5, "measure_name"),
        ("Fence", -1.0, 0.5, "cost"),
        ("Fence", float("inf"), 0.5, "cost"),
        ("Fence", None, 0.5, "cost"),
        ("Fence", 10.0, 0.0, "vulnerability_factor"),
        ("Fence", 10.0, 1.5, "vulnerability_factor"),
        ("Fence", 10.0, float("nan"), "vulnerability_factor"),
    ],
)
def test_bad_measures_are_refused(
    db: Session, name: str, cost: float | None, factor: float, field: str
) -> None:
    actor, made = planner(db)
    with pytest.raises(InvalidInput) as refused:
        measures.add_measure(
            db, actor=actor, site_id=made[0].id, name=name, cost=cost, vulnerability_factor=factor
        )
    assert field in refused.value.errors
    with pytest.raises(InvalidInput):
        measures.plan_mitigation(db, actor=actor, budget=float("nan"))
