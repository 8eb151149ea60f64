"""The two match-weight thresholds, and how reviewers' decisions set them.

A pair scoring at or above the upper threshold is linked without review; from the
lower threshold up to the upper one it goes to the review queue; below, nothing.
Weights are Splink's match weights (log2 of the Bayes factor, prior included):
0 is even odds, 6.6 is 99 to 1.

Until reviewers have decided enough pairs of both kinds, the defaults hold. Then
each run sets the upper threshold to the lowest weight at which the decided pairs
above it were at least ``TARGET_PRECISION`` "same", and the lower threshold to the
highest weight that still keeps ``TARGET_RECALL`` of the "same" pairs above it, and
records the precision, recall and F1 the decisions give at the chosen thresholds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

DEFAULT_LOWER = 0.0  # even odds: worth a reviewer's look
DEFAULT_UPPER = 8.0  # about 250 to 1
MIN_DECISIONS = 20  # of each kind, before the decisions move the thresholds
TARGET_PRECISION = 0.99
TARGET_RECALL = 0.99
FLOOR = -5.0  # never review below this, whatever the decisions say


@dataclass(frozen=True)
class Thresholds:
    lower: float
    upper: float
    source: str  # "default" or "decisions"
    evaluation: dict[str, Any]


def _evaluate(decided: Sequence[tuple[float, bool]], threshold: float) -> dict[str, float | int]:
    true_pos = sum(1 for weight, same in decided if same and weight >= threshold)
    false_pos = sum(1 for weight, same in decided if not same and weight >= threshold)
    false_neg = sum(1 for weight, same in decided if same and weight < threshold)
    precision = true_pos / (true_pos + false_pos) if true_pos + false_pos else 1.0
    recall = true_pos / (true_pos + false_neg) if true_pos + false_neg else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "pairs": len(decided),
        "true_positives": true_pos,
        "false_positives": false_pos,
        "false_negatives": false_neg,
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
    }


def choose(decided: Sequence[tuple[float, bool]]) -> Thresholds:
    """Thresholds from decided pairs: (current match weight, decided "same")."""
    same = sorted(weight for weight, is_same in decided if is_same)
    different = [weight for weight, is_same in decided if not is_same]
    if len(same) < MIN_DECISIONS or len(different) < MIN_DECISIONS:
        return Thresholds(
            DEFAULT_LOWER,
            DEFAULT_UPPER,
            "default",
            _evaluate(decided, DEFAULT_UPPER) if decided else {},
        )
    upper = DEFAULT_UPPER
    for candidate in sorted({weight for weight, _ in decided if math.isfinite(weight)}):
        above = [is_same for weight, is_same in decided if weight >= candidate]
        if above and sum(above) / len(above) >= TARGET_PRECISION:
            upper = candidate
            break
    keep = math.ceil(TARGET_RECALL * len(same))
    lower = same[len(same) - keep] if keep else DEFAULT_LOWER
    lower = max(FLOOR, min(lower, upper))
    return Thresholds(lower, upper, "decisions", _evaluate(decided, upper))
