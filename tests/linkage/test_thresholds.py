"""Thresholds: defaults until reviewers have decided enough pairs of both kinds, then
set from the decisions, with the precision and recall they give."""

from __future__ import annotations

from vigil.linkage import thresholds


def test_defaults_until_enough_decisions() -> None:
    few = [(9.0, True)] * 5 + [(1.0, False)] * 30
    chosen = thresholds.choose(few)
    assert (chosen.lower, chosen.upper, chosen.source) == (
        thresholds.DEFAULT_LOWER,
        thresholds.DEFAULT_UPPER,
        "default",
    )
    assert thresholds.choose([]).evaluation == {}


def test_decisions_set_both_thresholds() -> None:
    same = [(float(w), True) for w in range(4, 24)] * 2  # 40 "same", weights 4..23
    different = [(float(w), False) for w in range(-6, 6)] * 3  # 36 "not the same", up to 5
    chosen = thresholds.choose(same + different)
    assert chosen.source == "decisions"
    # Above 6 every decided pair was "same": the lowest such weight is the upper threshold.
    assert chosen.upper == 6.0
    # The lower threshold keeps 99% of the "same" pairs above it: all of them here.
    assert chosen.lower == 4.0
    assert chosen.evaluation["precision"] == 1.0
    assert chosen.evaluation["false_negatives"] == 4  # the "same" pairs at 4 and 5
    assert chosen.lower <= chosen.upper


def test_the_lower_threshold_never_goes_below_the_floor() -> None:
    same = [(-40.0, True)] * 25 + [(10.0, True)] * 25
    different = [(-50.0, False)] * 25
    chosen = thresholds.choose(same + different)
    assert chosen.lower == thresholds.FLOOR
