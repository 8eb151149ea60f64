"""Patrol coverage is the strong Stackelberg equilibrium, and schedules match it."""

from __future__ import annotations

import math
import random
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog  # type: ignore[import-untyped]

from vigil.preparedness import patrols


@st.composite
def games(draw: st.DrawFn) -> dict[str, Any]:
    n = draw(st.integers(1, 6))
    # Small integers make ties (between places, and equal covered/uncovered payoffs) common.
    payoff = st.integers(-10, 10) | st.floats(-10, 10).map(lambda v: round(v, 6))
    targets = []
    for i in range(n):
        du = draw(payoff)
        ac = draw(payoff)
        targets.append(
            {
                "id": f"t{i}",
                "defender_covered": du
                + draw(st.sampled_from([0, 1, 5]) | st.floats(0, 10).map(lambda v: round(v, 6))),
                "defender_uncovered": du,
                "attacker_covered": ac,
                "attacker_uncovered": ac
                + draw(st.sampled_from([0, 1, 5]) | st.floats(0, 10).map(lambda v: round(v, 6))),
            }
        )
    return {"resources": draw(st.integers(0, n + 1)), "targets": targets}


def lp_sse(game: patrols.SecurityGame) -> float:
    """The SSE defender utility by the multiple-LP method: one LP per attacked target."""
    n = len(game.keys)
    dc, du = game.defender_covered, game.defender_uncovered
    ac, au = game.attacker_covered, game.attacker_uncovered
    best = -math.inf
    for t in range(n):
        objective = np.zeros(n)
        objective[t] = -(dc[t] - du[t])
        rows, limits = [], []
        for other in range(n):
            if other == t:
                continue
            # A_other(c) <= A_t(c):  au_o - c_o (au_o - ac_o) <= au_t - c_t (au_t - ac_t)
            row = np.zeros(n)
            row[other] = -(au[other] - ac[other])
            row[t] = au[t] - ac[t]
            rows.append(row)
            limits.append(au[t] - au[other])
        rows.append(np.ones(n))
        limits.append(game.resources)
        result = linprog(
            objective,
            A_ub=np.array(rows),
            b_ub=np.array(limits),
            bounds=[(0, 1)] * n,
            method="highs",
        )
        if result.status == 0:
            best = max(best, du[t] - result.fun)
    return best


def attacker_utilities(game: patrols.SecurityGame, coverage: np.ndarray) -> np.ndarray:
    return coverage * game.attacker_covered + (1 - coverage) * game.attacker_uncovered


def check_equilibrium(data: dict[str, Any]) -> tuple[patrols.SecurityGame, patrols.Equilibrium]:
    game = patrols.parse_game(data)
    found = patrols.solve(game)
    c = found.coverage
    assert np.all(c >= 0) and np.all(c <= 1)
    assert c.sum() <= game.resources + 1e-9
    utilities = attacker_utilities(game, c)
    t = found.attacked
    # The attacked target is a best response, and the reported utilities are the coverage's.
    assert utilities[t] >= utilities.max() - 1e-7
    assert found.attacker_utility == pytest.approx(utilities[t], abs=1e-7)
    defender = c[t] * game.defender_covered[t] + (1 - c[t]) * game.defender_uncovered[t]
    assert found.defender_utility == pytest.approx(defender, abs=1e-7)
    # Ties among the attacker's best responses go the defender's way.
    for other in np.flatnonzero(utilities >= utilities.max() - 1e-9):
        value = c[other] * game.defender_covered[other]
        value += (1 - c[other]) * game.defender_uncovered[other]
        assert value <= found.defender_utility + 1e-7
    # And no coverage does better for the defender: the independent LPs agree.
    assert found.defender_utility == pytest.approx(lp_sse(game), abs=1e-6)
    return game, found


@settings(max_examples=300, deadline=None)
@given(games())
def test_coverage_is_the_strong_stackelberg_equilibrium(data: dict[str, Any]) -> None:
    check_equilibrium(data)


def test_a_worked_example() -> None:
    data = {
        "resources": 1,
        "targets": [
            {
                "id": "mall",
                "defender_covered": 0,
                "defender_uncovered": -10,
                "attacker_covered": -1,
                "attacker_uncovered": 10,
            },
            {
                "id": "stadium",
                "defender_covered": 0,
                "defender_uncovered": -5,
                "attacker_covered": -1,
                "attacker_uncovered": 5,
            },
            {
                "id": "park",
                "defender_covered": 0,
                "defender_uncovered": -1,
                "attacker_covered": 0,
                "attacker_uncovered": 1,
            },
        ],
    }
    game, found = check_equilibrium(data)
    # Water level L with (10 - L)/11 + (5 - L)/6 = 1: L = 49/17; the park stays uncovered.
    assert found.attacker_utility == pytest.approx(49 / 17)
    assert found.coverage.tolist() == pytest.approx([(10 - 49 / 17) / 11, (5 - 49 / 17) / 6, 0])
    # At the level the attacker is indifferent between mall and stadium; the defender
    # loses less at the stadium (-5 x 0.647 against -10 x 0.353).
    assert game.keys[found.attacked] == "stadium"


def test_units_beyond_the_places_cover_everything() -> None:
    data = {
        "resources": 3,
        "targets": [
            {
                "id": i,
                "defender_covered": 1,
                "defender_uncovered": -1,
                "attacker_covered": -1,
                "attacker_uncovered": 1,
            }
            for i in range(2)
        ],
    }
    _, found = check_equilibrium(data)
    assert found.coverage.tolist() == [1.0, 1.0]


def random_game(n: int, m: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    targets = []
    for i in range(n):
        du = rng.uniform(-10, 0)
        ac = rng.uniform(-10, 0)
        targets.append(
            {
                "id": f"p{i}",
                "defender_covered": du + rng.uniform(0, 10),
                "defender_uncovered": du,
                "attacker_covered": ac,
                "attacker_uncovered": ac + rng.uniform(0, 10),
            }
        )
    return {"resources": m, "targets": targets}


def test_schedules_match_the_coverage_and_hold_at_most_m_places() -> None:
    game = patrols.parse_game(random_game(300, 40, seed=5))
    found = patrols.solve(game)
    schedules = patrols.sample_schedules(found.coverage, game.resources, 1000, seed=11)
    assert len(schedules) == 1000
    for schedule in schedules:
        assert len(schedule) <= game.resources
        assert len(set(schedule.tolist())) == len(schedule)
    assert np.abs(patrols.frequencies(schedules, 300) - found.coverage).max() <= 0.02
    # Reproducible from the seed, different with another.
    again = patrols.sample_schedules(found.coverage, game.resources, 1000, seed=11)
    assert all(np.array_equal(a, b) for a, b in zip(schedules, again, strict=True))
    other = patrols.sample_schedules(found.coverage, game.resources, 1000, seed=12)
    assert not all(np.array_equal(a, b) for a, b in zip(schedules, other, strict=True))


@pytest.mark.parametrize("count", [1, 7, 99, 100, 250, 2001])
def test_frequencies_are_within_the_stated_bound_for_any_number_of_schedules(count: int) -> None:
    coverage = np.array([0.5, 0.25, 0.999, 0.0, 1.0, 0.251, 0.333, 0.667])
    schedules = patrols.sample_schedules(coverage, 4, count, seed=count)
    blocks = max(1, count // patrols.SCHEDULE_BLOCK)
    error = np.abs(patrols.frequencies(schedules, len(coverage)) - coverage).max()
    assert error <= blocks / count + 1e-12
    assert all(len(s) <= 4 for s in schedules)
    assert all(3 not in s.tolist() for s in schedules)  # never a place with coverage 0
    assert all(4 in s.tolist() for s in schedules)  # always the place with coverage 1
