"""Matching one new mention against stored ones in Python, with the trained model's weights.

`blocking_keys` gives the keys a mention is indexed under (one per blocking
rule value); candidates are the stored mentions sharing a key. `score_one`
reproduces Splink's comparison levels and weights for those candidates.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from vigil.linkage.comparisons import BLOCKING_RULES, blocking_rules_named, level_hit

if TYPE_CHECKING:
    from vigil.linkage.engine import Model


@dataclass(frozen=True)
class ScoredPair:
    """A new mention (left) scored against a stored one (right)."""

    unique_id_l: str
    unique_id_r: str
    match_weight: float
    match_probability: float
    weights: dict[str, float]
    levels: dict[str, str]


def _values(value: Any, explode: bool, first_letter: bool) -> list[str]:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return []
    items = [str(v) for v in value] if explode else [str(value)]
    if first_letter:
        items = [v[:1] for v in items]
    return [v for v in items if v]


def blocking_keys(
    prepared_row: Mapping[str, Any], rule_names: Sequence[str] | None = None
) -> list[str]:
    """Index keys for a prepared mention, e.g. "dob_initial:1990-01-02|j", "phone:+15551234567".

    Two mentions are candidates if they share a key: the same pairs Splink's
    blocking rules produce. Pass the model's `blocking_rule_names()` to use
    only the rules it was trained with.
    """
    keys: list[str] = []
    rules = BLOCKING_RULES if rule_names is None else blocking_rules_named(rule_names)
    for rule in rules:
        parts: list[list[str]] = [
            _values(prepared_row.get(c), c in rule.explode, c in rule.first_letter)
            for c in rule.columns
        ]
        if not all(parts):
            continue
        combos: list[str] = [""]
        for values in parts:
            combos = [
                f"{prefix}|{v}" if prefix else v for prefix in combos for v in sorted(set(values))
            ]
        keys.extend(f"{rule.name}:{combo}" for combo in combos)
    return keys


def score_one(
    model: Model, new_row: Mapping[str, Any], candidate_rows: Sequence[Mapping[str, Any]]
) -> list[ScoredPair]:
    """Score a new prepared mention against candidates, as Splink's predict would.

    A mention that is not linkable (see engine.is_linkable) scores against
    nobody; neither do unlinkable candidates.
    """
    from vigil.linkage.engine import is_linkable

    if not is_linkable(new_row):
        return []
    compared = model.comparisons()
    prior_weight = math.log2(model.prior / (1 - model.prior))
    new_id = str(new_row.get("unique_id"))
    scored = []
    for candidate in candidate_rows:
        candidate_id = str(candidate.get("unique_id"))
        if candidate_id == new_id or not is_linkable(candidate):
            continue
        weights: dict[str, float] = {}
        levels: dict[str, str] = {}
        for comparison, parameters in compared:
            for level, mu in zip(comparison.levels, parameters, strict=True):
                if level_hit(level, new_row, candidate):
                    weights[comparison.name] = 0.0 if mu is None else math.log2(mu[0] / mu[1])
                    levels[comparison.name] = level.label
                    break
        weight = prior_weight + sum(weights.values())
        scored.append(
            ScoredPair(
                unique_id_l=new_id,
                unique_id_r=candidate_id,
                match_weight=weight,
                match_probability=_probability(weight),
                weights=weights,
                levels=levels,
            )
        )
    return scored


def _probability(weight: float) -> float:
    if weight > 60:
        return 1.0
    odds = math.pow(2.0, weight)
    return odds / (1 + odds)
