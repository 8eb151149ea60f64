"""The mitigation plan is optimal: checked against brute force on small random instances."""

from __future__ import annotations

import itertools
import math
import random
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vigil.preparedness import mitigation
from vigil.preparedness.plan_input import PlanInputError


@st.composite
def instances(draw: st.DrawFn, max_measures: int = 8) -> dict[str, Any]:
    site_count = draw(st.integers(1, 3))
    sites = [
        {
            "id": f"s{n}",
            "threat": draw(
                st.sampled_from([0.0, 0.1, 0.5, 1.0]) | st.floats(0, 1).map(lambda v: round(v, 6))
            ),
            "vulnerability": draw(st.floats(0.01, 1)),
            "consequence": draw(
                st.sampled_from([0, 1, 100]) | st.floats(0, 1e4).map(lambda v: round(v, 3))
            ),
        }
        for n in range(site_count)
    ]
    measure_count = draw(st.integers(0, max_measures))
    measures: list[dict[str, Any]] = []
    for n in range(measure_count):
        site = draw(st.sampled_from(sites))["id"]
        at_site = [m["id"] for m in measures if m["site"] == site]
        excludes = draw(st.lists(st.sampled_from(at_site), unique=True)) if at_site else []
        measure: dict[str, Any] = {
            "id": f"m{n}",
            "site": site,
            "cost": draw(
                st.sampled_from([0, 1, 5, 10]) | st.floats(0, 20).map(lambda v: round(v, 2))
            ),
            "vulnerability_factor": draw(st.sampled_from([1.0, 0.5]) | st.floats(0.05, 1)),
        }
        if excludes:
            measure["excludes"] = excludes
        measures.append(measure)
    total = sum(m["cost"] for m in measures)
    budget = draw(
        st.sampled_from([0.0, total]) | st.floats(0, max(total, 1)).map(lambda v: round(v, 2))
    )
    return {"budget": budget, "sites": sites, "measures": measures}


def brute_force(problem: mitigation.MitigationProblem) -> float:
    """The least residual risk over every subset of measures that is allowed and affordable."""
    best = math.inf
    keys = [m.key for m in problem.measures]
    for size in range(len(keys) + 1):
        for subset in itertools.combinations(keys, size):
            if not mitigation.is_allowed(problem, subset):
                continue
            cost, risks = mitigation.evaluate(problem, subset)
            if mitigation.within_budget(cost, problem.budget):
                best = min(best, math.fsum(risks.values()))
    return best


def assert_optimal(data: dict[str, Any]) -> mitigation.MitigationPlan:
    problem = mitigation.parse_problem(data)
    plan = mitigation.solve(problem)
    assert plan.optimal
    assert mitigation.is_allowed(problem, plan.selected)
    cost, risks = mitigation.evaluate(problem, plan.selected)
    assert mitigation.within_budget(cost, problem.budget)
    assert plan.cost == pytest.approx(cost)
    assert plan.risk_after == pytest.approx(math.fsum(risks.values()))
    assert plan.risk_before == pytest.approx(sum(s.risk for s in problem.sites))
    best = brute_force(problem)
    assert plan.risk_after == pytest.approx(best, rel=1e-7, abs=1e-9 * max(1.0, plan.risk_before))
    return plan


@settings(max_examples=120, deadline=None)
@given(instances())
def test_plan_is_optimal_against_brute_force(data: dict[str, Any]) -> None:
    assert_optimal(data)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_dynamic_programming_frontier_is_optimal_too(data: dict[str, Any]) -> None:
    with mock.patch.object(mitigation, "ENUMERATE_UP_TO", 0):
        assert_optimal(data)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(max_measures=7))
def test_chain_formulation_is_optimal_too(data: dict[str, Any]) -> None:
    with (
        mock.patch.object(mitigation, "ENUMERATE_UP_TO", 0),
        mock.patch.object(mitigation, "MAX_FRONTIER_STATES", 0),
    ):
        assert_optimal(data)


def test_a_worked_example() -> None:
    data = {
        "budget": 100,
        "sites": [
            {"id": "school", "threat": 0.5, "vulnerability": 0.8, "consequence": 1000},
            {"id": 7, "threat": 0.2, "vulnerability": 1, "consequence": 500},
        ],
        "measures": [
            {"id": "camera", "site": "school", "cost": 60, "vulnerability_factor": 0.5},
            {
                "id": "locks",
                "site": "school",
                "cost": 30,
                "vulnerability_factor": 0.7,
                "excludes": ["camera"],
            },
            {"id": "guard", "site": 7, "cost": 50, "vulnerability_factor": 0.4},
        ],
    }
    problem = mitigation.parse_problem(data)
    plan = mitigation.solve(problem)
    # Greedy by reduction per dollar takes locks (4/$) then guard (1.2/$): 400*0.7 + 40 = 320.
    assert plan.as_json(problem)["selected"] == ["camera"]
    assert (plan.cost, plan.risk_before, plan.risk_after) == (60, 500, 300)
    # Exclusions hold whichever side lists them; forcing measures in or out is exact too.
    forced = mitigation.solve(problem, forced_in=["locks"])
    assert forced.selected == ("locks", "guard") and forced.risk_after == pytest.approx(320)
    assert mitigation.solve(problem, forced_out=["camera"]).selected == ("locks", "guard")
    with pytest.raises(PlanInputError, match="exclude each other"):
        mitigation.solve(problem, forced_in=["locks", "camera"])
    with pytest.raises(PlanInputError, match="more than the budget"):
        mitigation.solve(problem, forced_in=["camera", "guard"])


def test_costs_that_add_up_to_the_budget_in_decimal_fit_it() -> None:
    data = {
        "budget": 0.3,
        "sites": [{"id": "a", "threat": 1, "vulnerability": 1, "consequence": 1}],
        "measures": [
            {"id": "x", "site": "a", "cost": 0.1, "vulnerability_factor": 0.5},
            {"id": "y", "site": "a", "cost": 0.2, "vulnerability_factor": 0.5},
        ],
    }
    assert mitigation.solve(mitigation.parse_problem(data)).selected == ("x", "y")


def many_measures(sites: int, per_site: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    measures = []
    for s in range(sites):
        for k in range(per_site):
            measure: dict[str, Any] = {
                "id": f"m{s}.{k}",
                "site": f"s{s}",
                "cost": round(rng.uniform(1, 100), 2),
                "vulnerability_factor": rng.uniform(0.3, 0.95),
            }
            if k and rng.random() < 0.3:
                measure["excludes"] = [f"m{s}.{k - 1}"]
            measures.append(measure)
    return {
        "budget": 0.2 * sum(m["cost"] for m in measures),
        "sites": [
            {
                "id": f"s{s}",
                "threat": rng.random(),
                "vulnerability": rng.uniform(0.1, 1),
                "consequence": rng.uniform(10, 1000),
            }
            for s in range(sites)
        ],
        "measures": measures,
    }


def test_sites_with_many_measures_are_solved_exactly_by_their_frontier() -> None:
    problem = mitigation.parse_problem(many_measures(3, 16, seed=4))
    plan = mitigation.solve(problem)
    assert plan.optimal
    # No time limit that a loaded machine could reach: this is about the answer, and a
    # solve cut short by the clock is labelled not optimal (the test below).
    with mock.patch.object(mitigation, "MAX_FRONTIER_STATES", 0):
        chain = mitigation.solve(problem, time_limit_seconds=3600)
    assert chain.optimal
    assert chain.risk_after == pytest.approx(plan.risk_after, rel=1e-6)


def test_a_solve_stopped_by_the_time_limit_is_labelled_with_a_proven_gap() -> None:
    problem = mitigation.parse_problem(many_measures(20, 14, seed=1))
    exact = mitigation.solve(problem)
    assert exact.optimal and exact.gap <= 1e-6
    with (
        mock.patch.object(mitigation, "ENUMERATE_UP_TO", 0),
        mock.patch.object(mitigation, "MAX_FRONTIER_STATES", 0),
    ):
        stopped = mitigation.solve(problem, time_limit_seconds=0.5)
    assert not stopped.optimal
    assert stopped.as_json(problem)["optimal"] is False
    assert stopped.gap > 0
    cost, _ = mitigation.evaluate(problem, stopped.selected)
    assert mitigation.within_budget(cost, problem.budget)
    assert mitigation.is_allowed(problem, stopped.selected)
    # The bound is proven: the true optimum lies between it and the plan returned.
    assert (
        stopped.risk_lower_bound <= exact.risk_after * (1 + 1e-9) <= stopped.risk_after * (1 + 1e-9)
    )
    assert stopped.gap == pytest.approx(
        (stopped.risk_after - stopped.risk_lower_bound) / stopped.risk_after
    )
