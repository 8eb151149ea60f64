"""The two planning solvers at regional scale, each against a greedy baseline.

In one run:

1. **mitigation** — ``--sites`` sites (default 2,000) with ``--measures`` candidate
   measures each (default 5; about a fifth exclude a neighbour), budgets of 10%, 25%
   and 50% of the cost of every measure: the exact plan (``mitigation.solve``: parse
   excluded, solve included) against the greedy rule planners use by hand (take the
   affordable measure with the most risk reduction per dollar, given what is already
   chosen at its site, until nothing fits);
2. **patrols** — ``--places`` places (default 10,000) and ``--units`` units (1,000):
   the exact strong Stackelberg coverage (``patrols.solve``) against two baselines
   (cover the ``m`` places most attractive to the attacker; coverage proportional to
   the attacker's uncovered payoff), each scored by the defender's utility when the
   attacker best-responds (ties to the defender); the attacked place's own LP (HiGHS)
   is solved as a check of the exact coverage;
3. **schedules** — ``--schedules`` (10,000) daily assignments sampled from that
   coverage, with the largest gap between a place's frequency and its coverage;
4. **end to end** — ``vigil plan mitigation`` (25% budget) and ``vigil plan patrols``
   on the same instances through the real command in a subprocess (wall time includes
   starting Python and importing Vigil; the patrol output holds every schedule).

Run: ``.venv/bin/python -m bench.preparedness_plans_bench [--json FILE]``
"""

from __future__ import annotations

import argparse
import heapq
import json
import math
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import linprog  # type: ignore[import-untyped]

from bench.timing import load_average, say
from vigil.preparedness import mitigation, patrols


def mitigation_instance(sites: int, per_site: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    measures = []
    for s in range(sites):
        for k in range(per_site):
            measure: dict[str, Any] = {
                "id": f"m{s}.{k}",
                "site": f"s{s}",
                "cost": round(rng.lognormvariate(9, 1), 2),  # dollars, median ~8,000
                "vulnerability_factor": round(rng.uniform(0.4, 0.95), 3),
            }
            if k and rng.random() < 0.2:
                measure["excludes"] = [f"m{s}.{k - 1}"]
            measures.append(measure)
    return {
        "budget": 0.0,
        "sites": [
            {
                "id": f"s{s}",
                "threat": round(rng.betavariate(2, 8), 4),
                "vulnerability": round(rng.uniform(0.2, 1.0), 3),
                "consequence": float(rng.randint(50, 5000)),  # people at risk
            }
            for s in range(sites)
        ],
        "measures": measures,
    }


def greedy_mitigation(problem: mitigation.MitigationProblem) -> tuple[tuple[str, ...], float]:
    """Most risk reduction per dollar first, re-scored as a site's risk falls."""
    site_risk = {site.key: site.risk for site in problem.sites}
    version = dict.fromkeys(site_risk, 0)
    measures = {m.key: m for m in problem.measures}
    excluded = {m.key: set(m.excludes) for m in problem.measures}
    for m in problem.measures:
        for other in m.excludes:
            excluded[other].add(m.key)

    def priority(m: mitigation.Measure) -> float:
        reduction = site_risk[m.site] * (1 - m.factor)
        return -(reduction / m.cost if m.cost > 0 else math.inf if reduction > 0 else 0.0)

    heap = [(priority(m), version[m.site], m.key) for m in problem.measures]
    heapq.heapify(heap)
    chosen: list[str] = []
    blocked: set[str] = set()
    spent = 0.0
    while heap:
        score, seen, key = heapq.heappop(heap)
        m = measures[key]
        if key in blocked or score >= 0:
            continue
        if seen != version[m.site]:
            heapq.heappush(heap, (priority(m), version[m.site], key))
            continue
        if not mitigation.within_budget(spent + m.cost, problem.budget):
            continue
        chosen.append(key)
        spent += m.cost
        blocked |= excluded[key] | {key}
        site_risk[m.site] *= m.factor
        version[m.site] += 1
    return tuple(chosen), math.fsum(site_risk.values())


def run_mitigation(sites: int, per_site: int, seed: int) -> list[dict[str, Any]]:
    data = mitigation_instance(sites, per_site, seed)
    total = sum(m["cost"] for m in data["measures"])
    results = []
    for share in (0.10, 0.25, 0.50):
        data["budget"] = round(total * share, 2)
        problem = mitigation.parse_problem(data)
        load = load_average()
        started = time.perf_counter()
        plan = mitigation.solve(problem, time_limit_seconds=120)
        solve_seconds = time.perf_counter() - started
        started = time.perf_counter()
        greedy, greedy_risk = greedy_mitigation(problem)
        greedy_seconds = time.perf_counter() - started
        cost, _ = mitigation.evaluate(problem, greedy)
        assert mitigation.within_budget(cost, problem.budget)
        assert mitigation.is_allowed(problem, greedy)
        row = {
            "budget_share": share,
            "budget": problem.budget,
            "load": load,
            "solve_s": round(solve_seconds, 3),
            "optimal": plan.optimal,
            "gap": plan.gap,
            "risk_before": plan.risk_before,
            "risk_after": plan.risk_after,
            "measures": len(plan.selected),
            "greedy_s": round(greedy_seconds, 3),
            "greedy_risk_after": greedy_risk,
            "greedy_excess": greedy_risk / plan.risk_after - 1,
        }
        say(
            f"mitigation {sites}x{per_site} at {share:.0%}: {solve_seconds:.2f} s "
            f"optimal={plan.optimal} gap={plan.gap:.1e} risk {plan.risk_before:,.0f} -> "
            f"{plan.risk_after:,.1f}; greedy {greedy_seconds:.3f} s -> {greedy_risk:,.1f} "
            f"(+{row['greedy_excess']:.2%}) load {load}"
        )
        results.append(row)
    return results


def patrol_instance(places: int, units: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    targets = []
    for i in range(places):
        value = rng.lognormvariate(2, 1)  # what an attack there would cost
        targets.append(
            {
                "id": f"p{i}",
                "defender_covered": round(-0.1 * value * rng.random(), 4),
                "defender_uncovered": round(-value, 4),
                "attacker_covered": round(-rng.uniform(0, 5), 4),
                "attacker_uncovered": round(value * rng.uniform(0.5, 1.5), 4),
            }
        )
    return {"resources": units, "targets": targets}


def score(game: patrols.SecurityGame, coverage: np.ndarray) -> tuple[float, float]:
    """Defender's and attacker's utilities when the attacker best-responds to coverage."""
    attacker = coverage * game.attacker_covered + (1 - coverage) * game.attacker_uncovered
    defender = coverage * game.defender_covered + (1 - coverage) * game.defender_uncovered
    best = attacker.max()
    ties = attacker >= best - 1e-9
    return float(defender[ties].max()), float(best)


def attacked_place_lp(game: patrols.SecurityGame, t: int) -> float:
    """The defender's best utility when the attacker strikes t (the multiple-LP method)."""
    n = len(game.keys)
    spread = game.attacker_uncovered - game.attacker_covered
    from scipy.sparse import csr_array  # type: ignore[import-untyped]

    others = np.array([i for i in range(n) if i != t])
    rows = np.arange(len(others))
    matrix = csr_array(
        (
            np.concatenate((-spread[others], np.full(len(others), spread[t]))),
            (np.concatenate((rows, rows)), np.concatenate((others, np.full(len(others), t)))),
        ),
        shape=(len(others), n),
    )
    limits = game.attacker_uncovered[t] - game.attacker_uncovered[others]
    from scipy.sparse import vstack

    objective = np.zeros(n)
    objective[t] = -(game.defender_covered[t] - game.defender_uncovered[t])
    result = linprog(
        objective,
        A_ub=vstack([matrix, csr_array(np.ones((1, n)))]),
        b_ub=np.concatenate((limits, [game.resources])),
        bounds=(0, 1),
        method="highs",
    )
    return float(game.defender_uncovered[t] - result.fun)


def run_patrols(places: int, units: int, schedules: int, seed: int) -> dict[str, Any]:
    game = patrols.parse_game(patrol_instance(places, units, seed))
    load = load_average()
    started = time.perf_counter()
    found = patrols.solve(game)
    solve_seconds = time.perf_counter() - started
    exact_defender, exact_attacker = score(game, found.coverage)
    top = np.zeros(places)
    top[np.argsort(-game.attacker_uncovered)[:units]] = 1.0
    proportional = game.attacker_uncovered - game.attacker_uncovered.min() + 1e-9
    proportional = proportional / proportional.sum() * units
    for _ in range(50):  # cap at 1 and hand the excess on
        over = proportional > 1
        if not over.any():
            break
        excess = float((proportional[over] - 1).sum())
        proportional[over] = 1
        free = proportional < 1
        proportional[free] += excess * proportional[free] / proportional[free].sum()
    started = time.perf_counter()
    lp_value = attacked_place_lp(game, found.attacked)
    lp_seconds = time.perf_counter() - started
    started = time.perf_counter()
    sampled = patrols.sample_schedules(found.coverage, units, schedules, seed=seed)
    sample_seconds = time.perf_counter() - started
    error = float(np.abs(patrols.frequencies(sampled, places) - found.coverage).max())
    largest = max(len(s) for s in sampled)
    result = {
        "load": load,
        "solve_s": round(solve_seconds, 4),
        "defender_utility": found.defender_utility,
        "attacker_utility": found.attacker_utility,
        "scored_defender_utility": exact_defender,
        "attacked_place_lp": lp_value,
        "attacked_place_lp_s": round(lp_seconds, 2),
        "top_m_defender_utility": score(game, top)[0],
        "top_m_attacker_utility": score(game, top)[1],
        "proportional_defender_utility": score(game, proportional)[0],
        "proportional_attacker_utility": score(game, proportional)[1],
        "schedules": schedules,
        "sample_s": round(sample_seconds, 3),
        "max_frequency_error": error,
        "largest_schedule": largest,
    }
    say(
        f"patrols {places} places, {units} units: {solve_seconds * 1000:.1f} ms, defender "
        f"{found.defender_utility:.4f} (attacked place's LP {lp_value:.4f}, "
        f"{lp_seconds:.1f} s), attacker {exact_attacker:.4f}; top-m defender "
        f"{result['top_m_defender_utility']:.4f}, proportional "
        f"{result['proportional_defender_utility']:.4f}; {schedules} schedules "
        f"{sample_seconds:.3f} s, max |freq - coverage| {error:.4f}, largest {largest} "
        f"places; load {load}"
    )
    return result


def run_commands(args: argparse.Namespace) -> dict[str, Any]:
    vigil = str(Path(sys.executable).with_name("vigil"))
    timings: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as folder:
        directory = Path(folder)
        data = mitigation_instance(args.sites, args.measures, args.seed)
        data["budget"] = round(0.25 * sum(m["cost"] for m in data["measures"]), 2)
        (directory / "m.json").write_text(json.dumps(data))
        (directory / "p.json").write_text(
            json.dumps(patrol_instance(args.places, args.units, args.seed))
        )
        commands = {
            "startup_wall_s": [vigil, "plan", "--help"],
            "plan_mitigation_wall_s": [vigil, "plan", "mitigation", "m.json", "-o", "plan.json"],
            "plan_patrols_wall_s": [
                vigil, "plan", "patrols", "p.json", "-o", "cov.json",
                "--schedules", str(args.schedules), "--seed", "1",
            ],
        }  # fmt: skip
        for name, command in commands.items():
            load = load_average()
            started = time.perf_counter()
            subprocess.run(command, cwd=directory, check=True, capture_output=True)
            timings[name] = round(time.perf_counter() - started, 2)
            timings[name.replace("_wall_s", "_load")] = load
        timings["patrols_output_mb"] = round((directory / "cov.json").stat().st_size / 1e6, 1)
        plan = json.loads((directory / "plan.json").read_text())
        timings["plan_mitigation_optimal"] = plan["optimal"]
    say(f"end to end: {timings}")
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=2000)
    parser.add_argument("--measures", type=int, default=5)
    parser.add_argument("--places", type=int, default=10_000)
    parser.add_argument("--units", type=int, default=1000)
    parser.add_argument("--schedules", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--no-commands", action="store_true", help="Skip the end-to-end runs.")
    parser.add_argument("--json", type=Path, help="Also write the figures here.")
    args = parser.parse_args()
    figures: dict[str, Any] = {
        "mitigation": run_mitigation(args.sites, args.measures, args.seed),
        "patrols": run_patrols(args.places, args.units, args.schedules, args.seed),
    }
    if not args.no_commands:
        figures["commands"] = run_commands(args)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
