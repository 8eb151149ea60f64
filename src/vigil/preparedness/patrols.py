"""Protective-patrol allocation as a security game: exact Stackelberg coverage and schedules.

m identical units, n places, no scheduling constraints (a unit can cover any one place):
the defender commits to coverage probabilities c (0 ≤ c_i ≤ 1, Σ c ≤ m), the attacker
watches and strikes the place with the highest expected utility
``A_i(c_i) = c_i·attacker_covered + (1 − c_i)·attacker_uncovered``, breaking ties in
the defender's favour (the strong Stackelberg equilibrium, SSE).

Why the water level is exact. For a level L, place i needs coverage
``need_i(L) = max(0, (Au_i − L) / (Au_i − Ac_i))`` to keep its attacker utility at or
below L, which is possible only if L ≥ Ac_i. In the LP for "the attacker strikes t"
(Conitzer and Sandholm's multiple-LP method) t sits at the level and every other place
at or below it, and the defender's utility at t rises as L falls (defender_covered ≥
defender_uncovered). So every such LP is best at the lowest feasible level
``L* = max(max_i Ac_i, min{L : Σ need_i(L) ≤ m})`` — the same for every t — and the SSE
is: coverage need_i(L*), the attacker's utility L*, and, among the places at the level
(attack set), the one where the defender fares best. Units left over (only when some
place is fully covered) can raise the coverage of an attacked place whose attacker
payoffs are equal (coverage does not move the attacker there). Finding L* is ORIGAMI's
water filling: sort by Au, and solve the piecewise-linear Σ need_i(L) = m — O(n log n).

Schedules: coverage laid end to end on [0, Σc); one day is the places hit by the comb
u, u+1, …, u+m−1. Each place's interval is at most 1 long, so a day holds at most m
distinct places, and a place is hit with probability exactly c_i. Offsets are
evenly spaced within blocks of schedules (systematic sampling) and the layout is
reshuffled per block, so over N schedules every frequency is within (number of
blocks)/N ≤ 1/100 of its coverage once N ≥ 100 (within 1/N below that).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from vigil.preparedness.plan_input import (
    PlanInputError,
    array,
    check_fields,
    identifier,
    number,
    whole_number,
)

MAX_UNITS = 10_000_000
SCHEDULE_BLOCK = 100
# Payoffs within this (relative to the payoff range) count as equal for the attacker.
TIE_TOLERANCE = 1e-9


@dataclass(frozen=True)
class SecurityGame:
    """Places with their four payoffs, and how many units the defender has."""

    resources: int
    keys: tuple[str, ...]
    labels: tuple[str | int, ...]
    defender_covered: NDArray[np.float64]
    defender_uncovered: NDArray[np.float64]
    attacker_covered: NDArray[np.float64]
    attacker_uncovered: NDArray[np.float64]


@dataclass(frozen=True)
class Equilibrium:
    """The defender's SSE coverage and what each side expects from it."""

    coverage: NDArray[np.float64]
    attacked: int
    defender_utility: float
    attacker_utility: float
    attack_set: tuple[int, ...]


def parse_game(data: Any) -> SecurityGame:
    """The game in ``data`` (parsed JSON), or PlanInputError naming the first fault.

    Payoff order is not strict: defender_covered ≥ defender_uncovered and
    attacker_uncovered ≥ attacker_covered; equal values (coverage changes nothing for
    that side at that place) are allowed.
    """
    top = check_fields(data, "the input", required=("resources", "targets"))
    resources = whole_number(top["resources"], "resources", minimum=0, maximum=MAX_UNITS)
    targets = array(top["targets"], "targets")
    if not targets:
        raise PlanInputError("targets is empty: there is no place to protect")
    keys: list[str] = []
    labels: list[str | int] = []
    seen: set[str] = set()
    payoffs: list[tuple[float, float, float, float]] = []
    fields = ("defender_covered", "defender_uncovered", "attacker_covered", "attacker_uncovered")
    for n, raw in enumerate(targets):
        where = f"targets[{n}]"
        item = check_fields(raw, where, required=("id", *fields))
        key = identifier(item["id"], f"{where}.id")
        if key in seen:
            raise PlanInputError(f"{where}.id {key!r} is used by another target")
        seen.add(key)
        dc, du, ac, au = (number(item[name], f"{where}.{name}") for name in fields)
        if dc < du:
            raise PlanInputError(
                f"{where}: defender_covered ({dc:g}) is below defender_uncovered ({du:g}); "
                "a patrol cannot make the defender worse off"
            )
        if au < ac:
            raise PlanInputError(
                f"{where}: attacker_uncovered ({au:g}) is below attacker_covered ({ac:g}); "
                "a patrol cannot make the attacker better off"
            )
        keys.append(key)
        labels.append(item["id"])
        payoffs.append((dc, du, ac, au))
    table = np.array(payoffs, dtype=np.float64)
    return SecurityGame(
        resources=resources,
        keys=tuple(keys),
        labels=tuple(labels),
        defender_covered=table[:, 0],
        defender_uncovered=table[:, 1],
        attacker_covered=table[:, 2],
        attacker_uncovered=table[:, 3],
    )


def _scale(game: SecurityGame) -> float:
    return max(
        1.0,
        float(np.abs(game.attacker_uncovered).max()),
        float(np.abs(game.attacker_covered).max()),
    )


def attacker_spread(game: SecurityGame) -> NDArray[np.float64]:
    """How much full coverage lowers the attacker's utility at each place.

    Differences within TIE_TOLERANCE of the payoff scale count as none: coverage there
    moves the attacker by a rounding error (and dividing by it would overflow).
    """
    spread = game.attacker_uncovered - game.attacker_covered
    return np.where(spread > TIE_TOLERANCE * _scale(game), spread, 0.0)


def _lowest_level(game: SecurityGame, spread: NDArray[np.float64]) -> float:
    """L*: the lowest attacker utility m units can hold every place to."""
    au = game.attacker_uncovered
    floor = float(np.where(spread > 0, game.attacker_covered, au).max())
    movable = spread > 0
    if not movable.any():
        return floor
    u = au[movable]
    w = 1.0 / spread[movable]
    order = np.argsort(-u, kind="stable")
    u, w = u[order], w[order]
    # With the top k places active, Σ need(L) = S1_k − L·S2_k on [u_{k+1}, u_k].
    s1 = np.cumsum(u * w)
    s2 = np.cumsum(w)
    levels = (s1 - game.resources) / s2
    below = np.concatenate((u[1:], [-np.inf]))
    hits = np.flatnonzero(levels >= below)
    level = float(levels[hits[0]])
    # Rounding can leave the root a hair above its interval's top.
    level = min(level, float(u[hits[0]]))
    return max(floor, level)


def solve(game: SecurityGame) -> Equilibrium:
    """The strong Stackelberg equilibrium (exact; ties go the defender's way)."""
    m = game.resources
    au = game.attacker_uncovered
    du, dc = game.defender_uncovered, game.defender_covered
    spread = attacker_spread(game)
    level = _lowest_level(game, spread)
    with np.errstate(divide="ignore", invalid="ignore"):
        coverage = np.where(spread > 0, np.clip((au - level) / spread, 0.0, 1.0), 0.0)
    excess = float(coverage.sum()) - m
    if excess > 0:  # rounding only: take it from the most covered place
        top = int(np.argmax(coverage))
        coverage[top] = max(0.0, coverage[top] - excess)
    tie = TIE_TOLERANCE * _scale(game)
    attack_set = np.flatnonzero(au >= level - tie)
    leftover = max(0.0, m - float(coverage.sum()))
    best: tuple[float, int, float] | None = None
    for place in attack_set.tolist():
        c = float(coverage[place])
        if spread[place] <= 0:
            c = min(1.0, c + leftover)
        value = c * float(dc[place]) + (1.0 - c) * float(du[place])
        if best is None or value > best[0]:
            best = (value, place, c)
    if best is None:  # the place that sets the level is always in the attack set
        raise RuntimeError("no place is at the attacker's level")
    value, attacked, chosen = best
    coverage[attacked] = chosen
    attacker_utility = float(au[attacked]) - chosen * float(spread[attacked])
    return Equilibrium(
        coverage=coverage,
        attacked=attacked,
        defender_utility=value,
        attacker_utility=attacker_utility,
        attack_set=tuple(attack_set.tolist()),
    )


def sample_schedules(
    coverage: NDArray[np.float64], resources: int, count: int, seed: int
) -> list[NDArray[np.int64]]:
    """``count`` daily assignments (place indices, ascending), each of at most m places.

    Reproducible from ``seed``; each place's frequency over them is within
    ceil(count / SCHEDULE_BLOCK) / count of its coverage.
    """
    rng = np.random.default_rng(seed)
    n = len(coverage)
    teeth = min(resources, n)
    blocks = max(1, count // SCHEDULE_BLOCK)
    sizes = [count // blocks + (1 if b < count % blocks else 0) for b in range(blocks)]
    schedules: list[NDArray[np.int64]] = []
    comb = np.arange(teeth, dtype=np.float64)
    for size in sizes:
        layout = rng.permutation(n)
        ends = np.cumsum(coverage[layout])
        total = float(ends[-1]) if n else 0.0
        # Evenly spaced offsets: any arc of length c holds floor(size·c) or ceil(size·c).
        offsets = (np.arange(size) + rng.random()) / size
        points = offsets[:, None] + comb[None, :]
        hit = np.searchsorted(ends, points, side="right")
        # Points past the end hit no place: n sorts after every index and is cut off.
        places = np.where(points < total, layout[np.minimum(hit, n - 1)], n)
        places.sort(axis=1)
        counts = (places < n).sum(axis=1)
        # An interval of length 1 can catch two teeth only through rounding.
        repeated = (places[:, 1:] == places[:, :-1]) & (places[:, 1:] < n)
        for row, count, twice in zip(places, counts, repeated.any(axis=1), strict=True):
            schedules.append(np.unique(row[:count]) if twice else row[:count])
    order = rng.permutation(len(schedules))
    return [schedules[i] for i in order]


def frequencies(schedules: Sequence[NDArray[np.int64]], n: int) -> NDArray[np.float64]:
    """How often each place is covered over the schedules."""
    counts = np.zeros(n, dtype=np.float64)
    for schedule in schedules:
        counts[schedule] += 1
    return counts / max(1, len(schedules))


def as_json(
    game: SecurityGame,
    equilibrium: Equilibrium,
    schedules: Sequence[NDArray[np.int64]],
    seed: int,
) -> dict[str, Any]:
    """The command's output document."""
    labels = game.labels
    return {
        "coverage": {
            key: float(p) for key, p in zip(game.keys, equilibrium.coverage.tolist(), strict=True)
        },
        "attacked_target": labels[equilibrium.attacked],
        "defender_utility": equilibrium.defender_utility,
        "attacker_utility": equilibrium.attacker_utility,
        "attack_set": [labels[i] for i in equilibrium.attack_set],
        "resources": game.resources,
        "coverage_used": math.fsum(equilibrium.coverage.tolist()),
        "seed": seed,
        "schedules": [[labels[i] for i in schedule.tolist()] for schedule in schedules],
    }
