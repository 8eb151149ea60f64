"""Optimal mitigation under a budget: which measures at which sites leave the least risk.

A site's residual risk is threat × consequence × vulnerability × the product of the
vulnerability factors of the measures chosen there, so the objective is not linear in
the choices. It is made exact, not approximated:

* a site becomes one binary variable per combination of its measures that no exclusion
  forbids, with "exactly one combination per site"; a combination's cost and residual
  risk are constants, so the budget and the objective are linear. Combinations another
  one beats on both cost and risk, and combinations over the budget, can never be in an
  optimal plan and are dropped: all combinations are enumerated for up to
  ``ENUMERATE_UP_TO`` measures, and built by dynamic programming beyond;
* a site whose undominated combinations still explode becomes a chain
  ``r_j = r_{j-1} - (1 - f_j) z_j`` with ``z_j = r_{j-1} x_j`` written exactly for a
  binary ``x_j`` (``z_j <= r_0 x_j``, ``z_j <= r_{j-1}``; minimising the last ``r``
  drives every ``z_j`` to its bound).

The mixed-integer programme is solved by HiGHS through ``scipy.optimize.milp``. A solve
stopped by the time limit returns the best plan found with the proven gap, labelled
``optimal: false``, never a silent heuristic.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import sparse  # type: ignore[import-untyped]
from scipy.optimize import Bounds, LinearConstraint, milp  # type: ignore[import-untyped]

from vigil.preparedness.plan_input import (
    PlanInputError,
    array,
    check_fields,
    identifier,
    number,
)

ENUMERATE_UP_TO = 12
# Beyond this many combinations kept for one site, the site goes into the chain form.
MAX_FRONTIER_STATES = 50_000
# A plan may spend the budget up to this relative excess, so that costs such as 0.1 and
# 0.2 fit a budget of 0.3 despite binary floating point.
BUDGET_TOLERANCE = 1e-9
# HiGHS stops when its proven gap is at most this share of the objective.
MIP_RELATIVE_GAP = 1e-9
DEFAULT_TIME_LIMIT_SECONDS = 60.0
# The objective is scaled so that the total risk before any measure is this number:
# HiGHS's absolute gap tolerance (1e-6) is then one part in 1e12 of the risk.
_OBJECTIVE_SCALE = 1e6
_BUDGET_ROW_SCALE = 1e6
# How many times a plan a hair over the budget is solved again with a lower limit.
_REPAIRS = 3


@dataclass(frozen=True)
class Site:
    """A protected site as the planner sees it: its risk without any new measure."""

    key: str
    label: str | int
    threat: float
    vulnerability: float
    consequence: float

    @property
    def risk(self) -> float:
        return self.threat * self.consequence * self.vulnerability


@dataclass(frozen=True)
class Measure:
    """A candidate measure at one site, and the measures it cannot be combined with."""

    key: str
    label: str | int
    site: str
    cost: float
    factor: float
    excludes: frozenset[str] = frozenset()


@dataclass(frozen=True)
class MitigationProblem:
    """Budget, sites and candidate measures; exclusions are symmetric and site-local."""

    budget: float
    sites: tuple[Site, ...]
    measures: tuple[Measure, ...]

    def excluded_pairs(self) -> set[frozenset[str]]:
        return {frozenset((m.key, other)) for m in self.measures for other in m.excludes}


@dataclass(frozen=True)
class MitigationPlan:
    """The chosen measures and what they buy; ``gap`` is proven, relative to risk_after."""

    selected: tuple[str, ...]
    cost: float
    risk_before: float
    risk_after: float
    optimal: bool
    gap: float
    risk_lower_bound: float
    site_risk_after: Mapping[str, float] = field(default_factory=dict)

    def as_json(self, problem: MitigationProblem) -> dict[str, Any]:
        labels = {m.key: m.label for m in problem.measures}
        return {
            "selected": [labels[key] for key in self.selected],
            "cost": self.cost,
            "risk_before": self.risk_before,
            "risk_after": self.risk_after,
            "optimal": self.optimal,
            "status": "optimal" if self.optimal else "time limit reached; best plan found",
            "gap": self.gap,
            "risk_lower_bound": self.risk_lower_bound,
            "solver": "HiGHS via scipy.optimize.milp",
        }


# --- input --------------------------------------------------------------------------


def parse_problem(data: Any) -> MitigationProblem:
    """The problem in ``data`` (parsed JSON), or PlanInputError naming the first fault."""
    top = check_fields(data, "the input", required=("budget", "sites", "measures"))
    budget = number(top["budget"], "budget", minimum=0)
    sites: dict[str, Site] = {}
    for n, raw in enumerate(array(top["sites"], "sites")):
        where = f"sites[{n}]"
        item = check_fields(raw, where, required=("id", "threat", "vulnerability", "consequence"))
        key = identifier(item["id"], f"{where}.id")
        if key in sites:
            raise PlanInputError(f"{where}.id {key!r} is used by another site")
        sites[key] = Site(
            key=key,
            label=item["id"],
            threat=number(item["threat"], f"{where}.threat", minimum=0, maximum=1),
            vulnerability=number(
                item["vulnerability"],
                f"{where}.vulnerability",
                minimum=0,
                maximum=1,
                above_minimum=True,
            ),
            consequence=number(item["consequence"], f"{where}.consequence", minimum=0),
        )
    measures: dict[str, Measure] = {}
    raw_excludes: dict[str, list[tuple[str, str]]] = {}
    for n, raw in enumerate(array(top["measures"], "measures")):
        where = f"measures[{n}]"
        item = check_fields(
            raw,
            where,
            required=("id", "site", "cost", "vulnerability_factor"),
            optional=("excludes",),
        )
        key = identifier(item["id"], f"{where}.id")
        if key in measures:
            raise PlanInputError(f"{where}.id {key!r} is used by another measure")
        site = identifier(item["site"], f"{where}.site")
        if site not in sites:
            raise PlanInputError(f"{where}.site {site!r} is not one of the sites")
        excludes = []
        for k, other in enumerate(array(item.get("excludes", []), f"{where}.excludes")):
            excludes.append((identifier(other, f"{where}.excludes[{k}]"), f"{where}.excludes[{k}]"))
        raw_excludes[key] = excludes
        measures[key] = Measure(
            key=key,
            label=item["id"],
            site=site,
            cost=number(item["cost"], f"{where}.cost", minimum=0),
            factor=number(
                item["vulnerability_factor"],
                f"{where}.vulnerability_factor",
                minimum=0,
                maximum=1,
                above_minimum=True,
            ),
        )
    checked: list[Measure] = []
    for key, measure in measures.items():
        excluded: set[str] = set()
        for other, where in raw_excludes[key]:
            if other not in measures:
                raise PlanInputError(f"{where} {other!r} is not one of the measures")
            if other == key:
                raise PlanInputError(f"{where}: measure {key!r} cannot exclude itself")
            if measures[other].site != measure.site:
                raise PlanInputError(
                    f"{where} {other!r} is at site {measures[other].site!r}, "
                    f"not at {measure.site!r}; only measures at the same site exclude each other"
                )
            if other in excluded:
                raise PlanInputError(f"{where} {other!r} is listed twice")
            excluded.add(other)
        checked.append(
            Measure(
                key=measure.key,
                label=measure.label,
                site=measure.site,
                cost=measure.cost,
                factor=measure.factor,
                excludes=frozenset(excluded),
            )
        )
    return MitigationProblem(budget=budget, sites=tuple(sites.values()), measures=tuple(checked))


# --- evaluation -----------------------------------------------------------------------


def within_budget(cost: float, budget: float) -> bool:
    """Whether a total cost fits the budget (with BUDGET_TOLERANCE for rounding)."""
    return cost <= budget * (1 + BUDGET_TOLERANCE) + BUDGET_TOLERANCE


def evaluate(problem: MitigationProblem, selected: Iterable[str]) -> tuple[float, dict[str, float]]:
    """The cost of a set of measures and each site's residual risk under it."""
    chosen = set(selected)
    by_key = {m.key: m for m in problem.measures}
    cost = math.fsum(by_key[key].cost for key in chosen)
    factors: dict[str, list[float]] = {site.key: [] for site in problem.sites}
    for measure in problem.measures:
        if measure.key in chosen:
            factors[measure.site].append(measure.factor)
    site_risk = {site.key: site.risk * math.prod(factors[site.key]) for site in problem.sites}
    return cost, site_risk


def is_allowed(problem: MitigationProblem, selected: Iterable[str]) -> bool:
    """Whether a set of measures respects every exclusion."""
    chosen = set(selected)
    return not any(pair <= chosen for pair in problem.excluded_pairs())


# --- the programme --------------------------------------------------------------------


@dataclass
class _Programme:
    """Columns and rows of the MILP as it is built, site by site."""

    objective: list[float] = field(default_factory=list)
    integral: list[int] = field(default_factory=list)
    lower: list[float] = field(default_factory=list)
    upper: list[float] = field(default_factory=list)
    budget_row: dict[int, float] = field(default_factory=dict)
    rows: list[tuple[dict[int, float], float, float]] = field(default_factory=list)

    def column(self, cost: float, *, integral: bool, lower: float, upper: float) -> int:
        self.objective.append(cost)
        self.integral.append(1 if integral else 0)
        self.lower.append(lower)
        self.upper.append(upper)
        return len(self.objective) - 1


@dataclass(frozen=True)
class _Combinations:
    """One enumerated site: its candidate combinations as rows of a membership matrix."""

    measures: tuple[Measure, ...]
    members: NDArray[np.bool_]
    columns: tuple[int, ...]


@dataclass(frozen=True)
class _Chain:
    """One site in the chain formulation: the x column of each of its measures."""

    measures: tuple[Measure, ...]
    x_columns: tuple[int, ...]


def _site_combinations(
    site: Site,
    measures: Sequence[Measure],
    excluded: set[frozenset[str]],
    budget: float,
    forced_in: set[str],
) -> tuple[NDArray[np.bool_], NDArray[np.float64], NDArray[np.float64]]:
    """The combinations worth considering: allowed, within budget and not dominated."""
    k = len(measures)
    members = ((np.arange(2**k)[:, None] >> np.arange(k)) & 1).astype(bool)
    allowed = np.ones(len(members), dtype=bool)
    index = {m.key: i for i, m in enumerate(measures)}
    for pair in excluded:
        a, b = sorted(pair)
        if a in index and b in index:
            allowed &= ~(members[:, index[a]] & members[:, index[b]])
    for key in forced_in & set(index):
        allowed &= members[:, index[key]]
    members = members[allowed]
    costs = members.astype(np.float64) @ np.array([m.cost for m in measures], dtype=np.float64)
    factors = np.where(members, np.array([m.factor for m in measures]), 1.0).prod(axis=1)
    risks = site.risk * factors
    fits = costs <= budget * (1 + BUDGET_TOLERANCE) + BUDGET_TOLERANCE
    members, costs, risks = members[fits], costs[fits], risks[fits]
    order = np.lexsort((risks, costs))
    members, costs, risks = members[order], costs[order], risks[order]
    best_before = np.concatenate(([np.inf], np.minimum.accumulate(risks)[:-1]))
    keep = risks < best_before
    return members[keep], costs[keep], risks[keep]


def _site_frontier(
    site: Site,
    measures: Sequence[Measure],
    excluded: set[frozenset[str]],
    budget: float,
    forced_in: set[str],
) -> tuple[NDArray[np.bool_], NDArray[np.float64], NDArray[np.float64]] | None:
    """The same combinations as _site_combinations, by dynamic programming for many measures.

    Measures are added one at a time, keeping only combinations no other beats on both
    cost and factor among those that allow the same measures still to come (the chosen
    measures that exclude a later one). None when more than MAX_FRONTIER_STATES remain.
    """
    k = len(measures)
    index = {m.key: i for i, m in enumerate(measures)}
    partners = [0] * k
    last_partner = [-1] * k
    for pair in excluded:
        a, b = sorted(pair)
        if a in index and b in index:
            i, j = index[a], index[b]
            partners[i] |= 1 << j
            partners[j] |= 1 << i
            last_partner[i] = max(last_partner[i], j)
            last_partner[j] = max(last_partner[j], i)
    limit = budget * (1 + BUDGET_TOLERANCE) + BUDGET_TOLERANCE
    groups: dict[int, list[tuple[float, float, int]]] = {0: [(0.0, 1.0, 0)]}
    for j, measure in enumerate(measures):
        # Chosen measures whose last exclusion partner is still to come.
        pending = sum(1 << i for i in range(j + 1) if last_partner[i] > j)
        grown: dict[int, list[tuple[float, float, int]]] = {}
        for states in groups.values():
            for cost, factor, mask in states:
                if measure.key not in forced_in:
                    grown.setdefault(mask & pending, []).append((cost, factor, mask))
                if mask & partners[j] == 0 and cost + measure.cost <= limit:
                    taken = mask | (1 << j)
                    grown.setdefault(taken & pending, []).append(
                        (cost + measure.cost, factor * measure.factor, taken)
                    )
        groups = {}
        total = 0
        for signature, states in grown.items():
            states.sort()
            kept = []
            best = math.inf
            for state in states:
                if state[1] < best:
                    kept.append(state)
                    best = state[1]
            groups[signature] = kept
            total += len(kept)
        if total > MAX_FRONTIER_STATES:
            return None
    final = sorted(state for states in groups.values() for state in states)
    kept = []
    best = math.inf
    for state in final:
        if state[1] < best:
            kept.append(state)
            best = state[1]
    members = np.array([[(mask >> i) & 1 for i in range(k)] for _, _, mask in kept], dtype=bool)
    costs = np.array([cost for cost, _, _ in kept], dtype=np.float64)
    risks = site.risk * np.array([factor for _, factor, _ in kept], dtype=np.float64)
    return members.reshape(len(kept), k), costs, risks


def _add_chain(
    programme: _Programme, site: Site, measures: Sequence[Measure], scale: float, budget: float
) -> tuple[int, ...]:
    base = site.risk * scale
    x_columns = []
    previous: int | None = None  # the column of r_{j-1}; None while it is the constant base
    for n, measure in enumerate(measures):
        fits = within_budget(measure.cost, budget)
        x = programme.column(0.0, integral=True, lower=0.0, upper=1.0 if fits else 0.0)
        z = programme.column(0.0, integral=False, lower=0.0, upper=base)
        last = n == len(measures) - 1
        r = programme.column(1.0 if last else 0.0, integral=False, lower=0.0, upper=base)
        if fits:
            programme.budget_row[x] = measure.cost
        # r_j - r_{j-1} + (1 - f_j) z_j = 0
        equality = {r: 1.0, z: 1.0 - measure.factor}
        if previous is None:
            programme.rows.append((equality, base, base))
        else:
            equality[previous] = -1.0
            programme.rows.append((equality, 0.0, 0.0))
            programme.rows.append(({z: 1.0, previous: -1.0}, -np.inf, 0.0))
        programme.rows.append(({z: 1.0, x: -base}, -np.inf, 0.0))
        x_columns.append(x)
        previous = r
    return tuple(x_columns)


def solve(
    problem: MitigationProblem,
    *,
    time_limit_seconds: float = DEFAULT_TIME_LIMIT_SECONDS,
    forced_in: Iterable[str] = (),
    forced_out: Iterable[str] = (),
) -> MitigationPlan:
    """The plan that minimises total residual risk within the budget (exact, HiGHS).

    ``forced_in`` measures must be in the plan and ``forced_out`` ones must not; a
    forced set that breaks an exclusion or the budget raises PlanInputError.
    """
    must = set(forced_in)
    never = set(forced_out)
    known = {m.key for m in problem.measures}
    for key in sorted((must | never) - known):
        raise PlanInputError(f"measure {key!r} is not one of the measures")
    if must & never:
        raise PlanInputError(f"measure {sorted(must & never)[0]!r} is forced both in and out")
    if not is_allowed(problem, must):
        raise PlanInputError("the measures forced in exclude each other")
    forced_cost, _ = evaluate(problem, must)
    if not within_budget(forced_cost, problem.budget):
        raise PlanInputError("the measures forced in cost more than the budget")

    risk_before = math.fsum(site.risk for site in problem.sites)
    excluded = problem.excluded_pairs()
    by_site: dict[str, list[Measure]] = {site.key: [] for site in problem.sites}
    for measure in problem.measures:
        if measure.key not in never:
            by_site[measure.site].append(measure)
    scale = _OBJECTIVE_SCALE / risk_before if risk_before > 0 else 1.0

    programme = _Programme()
    fixed: list[str] = []
    combination_sites: list[_Combinations] = []
    chain_sites: list[_Chain] = []
    for site in problem.sites:
        measures = by_site[site.key]
        if site.risk == 0:
            # Nothing to reduce: only measures forced in belong to the plan.
            fixed.extend(m.key for m in measures if m.key in must)
            continue
        frontier = (
            _site_combinations(site, measures, excluded, problem.budget, must)
            if len(measures) <= ENUMERATE_UP_TO
            else _site_frontier(site, measures, excluded, problem.budget, must)
        )
        if frontier is None:
            x_columns = _add_chain(programme, site, measures, scale, problem.budget)
            for measure, x in zip(measures, x_columns, strict=True):
                if measure.key in must:
                    programme.lower[x] = 1.0
            index = dict(zip((m.key for m in measures), x_columns, strict=True))
            for pair in excluded:
                a, b = sorted(pair)
                if a in index and b in index:
                    programme.rows.append(({index[a]: 1.0, index[b]: 1.0}, -np.inf, 1.0))
            chain_sites.append(_Chain(tuple(measures), x_columns))
            continue
        members, costs, risks = frontier
        if len(members) == 1:
            fixed.extend(m.key for m, chosen in zip(measures, members[0], strict=True) if chosen)
            continue
        columns = tuple(
            programme.column(float(risk) * scale, integral=True, lower=0.0, upper=1.0)
            for risk in risks
        )
        for column, cost in zip(columns, costs, strict=True):
            if cost:
                programme.budget_row[column] = float(cost)
        programme.rows.append(({column: 1.0 for column in columns}, 1.0, 1.0))
        combination_sites.append(_Combinations(tuple(measures), members, columns))

    if not programme.objective:
        return _plan(problem, fixed, risk_before, optimal=True, lower_bound=None)

    fixed_cost = evaluate(problem, fixed)[0]
    limit = max(0.0, problem.budget * (1 + BUDGET_TOLERANCE) + BUDGET_TOLERANCE - fixed_cost)
    in_programme = {c.measures[0].site for c in combination_sites}
    in_programme |= {c.measures[0].site for c in chain_sites}
    lower_bound: float | None = None
    for _ in range(_REPAIRS + 1):
        result = _run_highs(programme, limit, time_limit_seconds)
        if result.status not in (0, 1):
            raise RuntimeError(f"HiGHS did not solve the plan: {result.message}")
        chosen = fixed + _read_choice(result.x, combination_sites, chain_sites, must)
        cost, site_risk = evaluate(problem, chosen)
        bound = result.mip_dual_bound
        if lower_bound is None and bound is not None and math.isfinite(bound):
            # The first solve's bound holds for every plan within the budget; a repair
            # below only shrinks the region, so its bound would not.
            fixed_risk = math.fsum(r for key, r in site_risk.items() if key not in in_programme)
            lower_bound = fixed_risk + float(bound) / scale
        if within_budget(cost, problem.budget):
            break
        # HiGHS accepts a row violated within its feasibility tolerance; ask again with
        # the limit lowered by what was overspent.
        limit -= 2 * (cost - problem.budget * (1 + BUDGET_TOLERANCE) - BUDGET_TOLERANCE)
    optimal = result.status == 0 and (
        lower_bound is None
        or math.fsum(site_risk.values()) - lower_bound
        <= MIP_RELATIVE_GAP * max(math.fsum(site_risk.values()), 1e-300) * 10
    )
    return _plan(problem, chosen, risk_before, optimal=optimal, lower_bound=lower_bound)


def _read_choice(
    x: NDArray[np.float64] | None,
    combination_sites: Sequence[_Combinations],
    chain_sites: Sequence[_Chain],
    must: set[str],
) -> list[str]:
    """The measures a solution picks; without one (time ran out first), the cheapest plan:
    the first combination at every site, the measures forced in and nothing else."""
    chosen: list[str] = []
    for combination in combination_sites:
        picked = 0 if x is None else int(np.argmax(x[list(combination.columns)]))
        chosen.extend(
            m.key
            for m, member in zip(combination.measures, combination.members[picked], strict=True)
            if member
        )
    for chain in chain_sites:
        chosen.extend(
            m.key
            for m, column in zip(chain.measures, chain.x_columns, strict=True)
            if (m.key in must if x is None else x[column] > 0.5)
        )
    return chosen


def _run_highs(programme: _Programme, limit: float, time_limit_seconds: float) -> Any:
    n = len(programme.objective)
    rows = list(programme.rows)
    column_upper = np.array(programme.upper)
    # A column costing more than the whole limit can never be chosen: fixing it at 0
    # keeps every coefficient of the budget row within the limit.
    budget_row = {}
    for column, cost in programme.budget_row.items():
        if cost > limit:
            column_upper[column] = 0.0
        else:
            budget_row[column] = cost
    if budget_row:
        # HiGHS tolerates rows violated by 1e-6 in the units given: with the limit at
        # _BUDGET_ROW_SCALE, that is one part in 1e12 of the budget.
        factor = _BUDGET_ROW_SCALE / limit
        rows.append(({c: v * factor for c, v in budget_row.items()}, -np.inf, limit * factor))
    data, row_index, col_index = [], [], []
    lower, upper = [], []
    for r, (coefficients, low, high) in enumerate(rows):
        for column, value in coefficients.items():
            row_index.append(r)
            col_index.append(column)
            data.append(value)
        lower.append(low)
        upper.append(high)
    matrix = sparse.csr_array((data, (row_index, col_index)), shape=(len(rows), n))
    return milp(
        c=np.array(programme.objective),
        integrality=np.array(programme.integral),
        bounds=Bounds(np.array(programme.lower), column_upper),
        constraints=[LinearConstraint(matrix, np.array(lower), np.array(upper))],
        options={
            "time_limit": time_limit_seconds,
            "mip_rel_gap": MIP_RELATIVE_GAP,
            "presolve": True,
        },
    )


def _plan(
    problem: MitigationProblem,
    chosen: Iterable[str],
    risk_before: float,
    *,
    optimal: bool,
    lower_bound: float | None,
) -> MitigationPlan:
    order = {m.key: n for n, m in enumerate(problem.measures)}
    selected = tuple(sorted(set(chosen), key=order.__getitem__))
    if not is_allowed(problem, selected):
        raise RuntimeError("the solver returned measures that exclude each other")
    cost, site_risk = evaluate(problem, selected)
    if not within_budget(cost, problem.budget):
        raise RuntimeError("the solver returned a plan over the budget")
    risk_after = math.fsum(site_risk.values())
    if lower_bound is None:
        lower_bound = risk_after
    lower_bound = max(0.0, min(lower_bound, risk_after))
    gap = 0.0 if risk_after == 0 else (risk_after - lower_bound) / risk_after
    return MitigationPlan(
        selected=selected,
        cost=cost,
        risk_before=risk_before,
        risk_after=risk_after,
        optimal=optimal,
        gap=gap,
        risk_lower_bound=lower_bound,
        site_risk_after=site_risk,
    )
